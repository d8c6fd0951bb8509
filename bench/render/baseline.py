#!/usr/bin/env python3
"""The same work as `batchtop render TEMPLATE INPUT`, written plainly with the Python 3
standard library (csv + json + re): read the CSV, fill the template's {{field}} slots, write one
OpenAI batch request line per row. Handles the front matter keys the benchmark template uses
(model, max_tokens, temperature, system). Output is byte-identical to batchtop's."""
import csv
import json
import re
import sys


def load_template(path):
    text = open(path, encoding="utf-8").read()
    meta = {}
    if text.startswith("---\n"):
        head, body = text[4:].split("\n---\n", 1)
        for line in head.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                meta[k.strip()] = v.strip()
    else:
        body = text
    if body.endswith("\n"):
        body = body[:-1]
    return meta, body


def main():
    tpl_path, csv_path = sys.argv[1], sys.argv[2]
    meta, body = load_template(tpl_path)
    slot = re.compile(r"\{\{\s*([^}|]+?)\s*\}\}")
    system = meta.get("system")
    extra = {}
    if "max_tokens" in meta:
        extra["max_tokens"] = int(meta["max_tokens"])
    if "temperature" in meta:
        t = meta["temperature"]
        extra["temperature"] = float(t) if "." in t else int(t)
    out = sys.stdout
    with open(csv_path, encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), 1):
            user = slot.sub(lambda m: row[m.group(1)], body)
            messages = []
            if system is not None:
                messages.append({"role": "system", "content": system})
            messages.append({"role": "user", "content": user})
            req = {"custom_id": f"row-{n}", "method": "POST", "url": "/v1/chat/completions",
                   "body": {"model": meta["model"], "messages": messages, **extra}}
            out.write(json.dumps(req, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")


main()
