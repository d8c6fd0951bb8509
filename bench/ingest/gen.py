#!/usr/bin/env python3
"""Write N OpenAI batch output lines (chat completions) for custom_ids row-1..row-N as the
output files of batches of CHUNK requests each (OpenAI allows 50,000 per batch), each file
shuffled (real output files are not in input order): gen.py N CHUNK OUTDIR
Files: OUTDIR/results-0001.jsonl, ... in batch order."""
import json
import os
import random
import sys

n, chunk, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(outdir, exist_ok=True)
rng = random.Random(42)
for k, first in enumerate(range(1, n + 1, chunk), start=1):
    order = list(range(first, min(first + chunk, n + 1)))
    rng.shuffle(order)
    with open(os.path.join(outdir, "results-%04d.jsonl" % k), "w", encoding="utf-8") as f:
        for i in order:
            body = {"id": "chatcmpl-%d" % i, "object": "chat.completion",
                    "created": 1711652795, "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "message": {"role": "assistant",
                                                         "content": "label %d" % (i % 4)},
                                 "logprobs": None, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 22, "completion_tokens": 2, "total_tokens": 24}}
            line = {"id": "batch_req_%d" % i, "custom_id": "row-%d" % i,
                    "response": {"status_code": 200, "request_id": "req_%d" % i, "body": body},
                    "error": None}
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
