#!/usr/bin/env python3
"""Reference implementation of batchtop-sim's deterministic model (Python stdlib only).

The C code in sim/model.c must give the same answers; tests/e2e/test_sim_model.sh checks it.
See sim/README.md ("The deterministic model") for the rules in prose.

    python3 sim/model_ref.py < request.json        # prints {"answer", "input_tokens", ...}

The request is a chat-completions body ({"model", "messages", "max_tokens"...}), an Anthropic
Messages body ({"system", "messages", "max_tokens"}) or a Responses body ({"instructions",
"input", "max_output_tokens"}).
"""
import json
import sys

SPACE = b" \t\n\r\f\v"
QUOTES = b"\"'`"
STOPS = b".?!:;\n"


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def content_text(content) -> str:
    if isinstance(content, str):
        return content
    out = []
    if isinstance(content, list):
        for blk in content:
            t = blk if isinstance(blk, str) else (blk.get("text") if isinstance(blk, dict) else None)
            if isinstance(t, str):
                out.append(t)
    return "\n".join(out)


def parts_of(body: dict):
    """[(role, text)] in the order the model sees them."""
    parts = []
    system = body.get("system")
    if system is not None:
        t = content_text(system)
        if t:
            parts.append(("system", t))
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        parts.append(("system", instructions))
    if "messages" in body:
        msgs = body["messages"]
    elif isinstance(body.get("input"), str):
        msgs = [{"role": "user", "content": body["input"]}]
    else:
        msgs = body.get("input") or []
    for m in msgs:
        parts.append((m.get("role") or "user", content_text(m.get("content"))))
    return parts


def trim(s: bytes) -> bytes:
    return s.strip(SPACE + QUOTES)


def option_ok(s: bytes) -> bool:
    s = trim(s)
    return 0 < len(s) <= 48 and len(s.split()) <= 4


def parse_options(seg: bytes):
    low = seg.lower()
    pos = -1
    i = low.find(b" or ")
    while i >= 0:
        pos = i
        i = low.find(b" or ", i + 1)
    if pos < 0:
        return None
    left = seg[:pos].rstrip(SPACE)
    if left.endswith(b","):
        left = left[:-1]
    opts = left.split(b",") + [seg[pos + 4:]]
    if len(opts) < 2 or len(opts) > 64 or not all(option_ok(o) for o in opts):
        return None
    return [trim(o) for o in opts]


def label_answer(focus: bytes, h: int):
    low = focus.lower()
    for i in range(len(focus) - 2):
        if low[i:i + 3] != b"as ":
            continue
        if i > 0 and focus[i - 1] not in SPACE:
            continue
        seg = focus[i + 3:]
        end = len(seg)
        for k, c in enumerate(seg):
            if c in STOPS:
                end = k
                break
        opts = parse_options(seg[:end])
        if opts:
            return opts[h % len(opts)]
    return None


def answer(body: dict) -> dict:
    parts = parts_of(body)
    users = [t for r, t in parts if r == "user"]
    focus = (users[-1] if users else "\n".join(t for _, t in parts)).encode()
    h = fnv1a64(focus)
    text = label_answer(focus, h)
    if text is None:
        words = focus.split()[:6]
        text = b"sim: " + b" ".join(words) + (b" " if words else b"") + b"[%08x]" % (h & 0xFFFFFFFF)
    max_tokens = body.get("max_completion_tokens")
    if not isinstance(max_tokens, int):
        max_tokens = body.get("max_tokens", body.get("max_output_tokens"))
    truncated = False
    if isinstance(max_tokens, int) and max_tokens > 0 and (len(text) + 3) // 4 > max_tokens:
        cut = max_tokens * 4
        while cut > 0 and (text[cut] & 0xC0) == 0x80:
            cut -= 1
        text = text[:cut]
        truncated = True
    total = sum(len(t.encode()) for _, t in parts)
    return {
        "answer": text.decode("utf-8", "replace"),
        "input_tokens": (total + 3) // 4 + 3 * len(parts),
        "output_tokens": max(1, (len(text) + 3) // 4),
        "truncated": truncated,
    }


if __name__ == "__main__":
    # One JSON request, or one per line (JSONL): one JSON answer per request.
    data = sys.stdin.read()
    try:
        requests = [json.loads(data)]
    except ValueError:
        requests = [json.loads(line) for line in data.splitlines() if line.strip()]
    for req in requests:
        print(json.dumps(answer(req), ensure_ascii=False))
