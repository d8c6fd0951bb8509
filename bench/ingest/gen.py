#!/usr/bin/env python3
"""Write N OpenAI batch output lines (chat completions) for custom_ids row-1..row-N, in a
shuffled order (real output files are not in input order): gen.py N OUT.jsonl"""
import json
import random
import sys

n, path = int(sys.argv[1]), sys.argv[2]
order = list(range(1, n + 1))
random.Random(42).shuffle(order)
with open(path, "w", encoding="utf-8") as f:
    for i in order:
        body = {"id": "chatcmpl-%d" % i, "object": "chat.completion", "created": 1711652795,
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": {"role": "assistant",
                                                     "content": "label %d" % (i % 4)},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 22, "completion_tokens": 2, "total_tokens": 24}}
        line = {"id": "batch_req_%d" % i, "custom_id": "row-%d" % i,
                "response": {"status_code": 200, "request_id": "req_%d" % i, "body": body},
                "error": None}
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
