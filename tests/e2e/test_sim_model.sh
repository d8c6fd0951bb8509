#!/usr/bin/env bash
# The deterministic model: batchtop-sim's answers and usage over HTTP (chat completions,
# Anthropic messages, Responses, and inside an OpenAI batch) equal those of the reference
# implementation sim/model_ref.py on a few hundred generated prompts.
set -euo pipefail
source "$BATCHTOP_SOURCE_DIR/tests/sdk/sim_lib.sh"
trap cleanup_sim EXIT
start_sim --request-ms 1 --validate-ms 10 --finalize-ms 10
python3 - "$SIM_URL" "$BATCHTOP_SOURCE_DIR/sim" <<'PY'
import json, random, sys, time, urllib.request, uuid
url, simdir = sys.argv[1], sys.argv[2]
sys.path.insert(0, simdir)
import model_ref

def call(path, body, headers, raw=None, ctype="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url + path, data=data, headers={"content-type": ctype, **headers},
                                 method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=20) as r:
        return r.read()

OA = {"authorization": "Bearer sk-test"}
AN = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
rng = random.Random(4)
words = ["bug", "feature", "praise", "other", "the", "app", "crashes", "Label", "this", "as", "or",
         "Classify", "sentiment", "positive", "negative", "neutral", "héllo", "日本語", "naïve",
         "a", "b", ",", ".", "?", "  ", "\n", "'quoted'", "as soon as", "\"x\""]

def prompt():
    kind = rng.random()
    if kind < 0.4:
        opts = rng.sample(["bug", "feature", "praise", "other", "spam", "red", "green blue", "yes"], rng.randint(2, 5))
        lst = ", ".join(opts[:-1]) + (", or " if rng.random() < 0.3 else " or ") + opts[-1]
        return f"{rng.choice(['Label', 'Classify', 'Tag'])} this {rng.choice(['feedback', 'row'])} as {lst}. {rng.choice(words)} {rng.randint(0, 9999)}"
    return " ".join(rng.choice(words) for _ in range(rng.randint(0, 14)))

failures = 0
def check(what, got, want):
    global failures
    if got != want:
        failures += 1
        if failures < 10:
            print(f"MISMATCH {what}: got {got!r} want {want!r}")

lines = []
for i in range(150):
    p = prompt()
    msgs = [{"role": "user", "content": p}]
    if rng.random() < 0.5:
        msgs.insert(0, {"role": "system", "content": rng.choice(["You label.", "Be brief."])})
    if rng.random() < 0.2:
        msgs.append({"role": "assistant", "content": "ok"})
    body = {"model": "gpt-4o-mini", "messages": msgs}
    if rng.random() < 0.5:
        body["max_tokens"] = rng.randint(1, 12)
    want = model_ref.answer(body)
    got = json.loads(call("/v1/chat/completions", body, OA))
    check(f"chat {i}", (got["choices"][0]["message"]["content"], got["usage"]["prompt_tokens"],
          got["usage"]["completion_tokens"], got["choices"][0]["finish_reason"]),
          (want["answer"], want["input_tokens"], want["output_tokens"], "length" if want["truncated"] else "stop"))
    an = {"model": "claude-haiku-4-5", "max_tokens": body.get("max_tokens", 64),
          "messages": [m for m in msgs if m["role"] != "system"] or [{"role": "user", "content": ""}]}
    if msgs[0]["role"] == "system":
        an["system"] = [{"type": "text", "text": msgs[0]["content"]}]
    want = model_ref.answer(an)
    got = json.loads(call("/v1/messages", an, AN))
    check(f"messages {i}", (got["content"][0]["text"], got["usage"]["input_tokens"], got["usage"]["output_tokens"]),
          (want["answer"], want["input_tokens"], want["output_tokens"]))
    rb = {"model": "gpt-5", "input": p, "instructions": "Be brief."}
    want = model_ref.answer(rb)
    got = json.loads(call("/v1/responses", rb, OA))
    check(f"responses {i}", got["output"][0]["content"][0]["text"], want["answer"])
    lines.append({"custom_id": f"m{i}", "method": "POST", "url": "/v1/chat/completions", "body": body})

# The same prompts inside a batch: the answers do not depend on the way in.
boundary = uuid.uuid4().hex
jsonl = "".join(json.dumps(l) + "\n" for l in lines).encode()
form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.jsonl\"\r\n"
        f"Content-Type: application/jsonl\r\n\r\n").encode() + jsonl + f"\r\n--{boundary}--\r\n".encode()
fid = json.loads(call("/v1/files", None, OA, raw=form, ctype=f"multipart/form-data; boundary={boundary}"))["id"]
bid = json.loads(call("/v1/batches", {"input_file_id": fid, "endpoint": "/v1/chat/completions",
                                      "completion_window": "24h"}, OA))["id"]
deadline = time.time() + 30
while True:
    b = json.loads(call(f"/v1/batches/{bid}", None, OA, raw=None))
    if b["status"] == "completed" or time.time() > deadline:
        break
    time.sleep(0.05)
assert b["status"] == "completed", b
out = call(f"/v1/files/{b['output_file_id']}/content", None, OA, raw=None).decode()
got = {json.loads(l)["custom_id"]: json.loads(l) for l in out.splitlines()}
assert len(got) == len(lines), len(got)
for l in lines:
    want = model_ref.answer(l["body"])
    check(f"batch {l['custom_id']}", got[l["custom_id"]]["response"]["body"]["choices"][0]["message"]["content"], want["answer"])
print(f"model: {len(lines)} prompts x 4 ways, {failures} mismatches")
sys.exit(1 if failures else 0)
PY
stop_sim
