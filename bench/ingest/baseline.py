#!/usr/bin/env python3
"""The Python 3 standard-library baseline of bench/ingest: the same work as bench_ingest
(json + sqlite3 + csv): a store of N tasks; the result files' lines streamed in, joined on
custom_id, in transactions of 1000; then every row exported in input order as CSV.

    baseline.py setup  DB N [PROMPT]      (PROMPT > 0: each task keeps a request with a prompt
                                           of that many bytes, as batchtop's do)
    baseline.py ingest DB RESULTS_DIR     (every results-*.jsonl, in name order)
    baseline.py export DB OUT.csv
"""
import csv
import glob
import json
import os
import sqlite3
import sys


def main():
    cmd, db = sys.argv[1], sys.argv[2]
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    if cmd == "setup":
        n = int(sys.argv[3])
        prompt = int(sys.argv[4]) if len(sys.argv) > 4 else 0
        text = ("Label this customer feedback. " * (prompt // 30 + 1))[:prompt]
        con.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, row_no INTEGER, custom_id TEXT"
                    " UNIQUE, input TEXT, state TEXT, output TEXT, error TEXT, response TEXT,"
                    " input_tokens INTEGER, output_tokens INTEGER, cost_usd REAL"
                    + (", request TEXT" if prompt else "") + ")")

        def request(i):
            return json.dumps({"custom_id": "row-%d" % i, "method": "POST",
                               "url": "/v1/chat/completions",
                               "body": {"model": "gpt-4o-mini", "messages": [
                                   {"role": "user", "content": text}]}})

        con.execute("BEGIN")
        if prompt:
            con.executemany(
                "INSERT INTO tasks(row_no, custom_id, input, state, request)"
                " VALUES (?,?,?, 'running', ?)",
                ((i, "row-%d" % i, json.dumps({"id": str(i), "text": "item %d" % i}),
                  request(i)) for i in range(1, n + 1)))
        else:
            con.executemany(
                "INSERT INTO tasks(row_no, custom_id, input, state) VALUES (?,?,?, 'running')",
                ((i, "row-%d" % i, json.dumps({"id": str(i), "text": "item %d" % i}))
                 for i in range(1, n + 1)))
        con.execute("COMMIT")
    elif cmd == "ingest":
        batch = []

        def flush():
            con.execute("BEGIN")
            con.executemany(
                "UPDATE tasks SET state=?, output=?, error=?, response=?, input_tokens=?,"
                " output_tokens=?, cost_usd=? WHERE custom_id=? AND state='running'", batch)
            con.execute("COMMIT")
            batch.clear()

        def ingest_line(line):
            if not line.strip():
                return
            r = json.loads(line)
            resp = r.get("response") or {}
            body = resp.get("body") or {}
            ok = 200 <= (resp.get("status_code") or 0) < 300
            out = None
            if ok:
                out = body["choices"][0]["message"]["content"]
            usage = body.get("usage") or {}
            pin, pout = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
            cost = (0.075 * pin + 0.30 * pout) / 1e6
            err = None if ok else json.dumps(r.get("error"))
            batch.append(("succeeded" if ok else "failed", out, err,
                          json.dumps(body, separators=(",", ":")), pin, pout, cost,
                          r["custom_id"]))
            if len(batch) == 1000:
                flush()

        for path in sorted(glob.glob(os.path.join(sys.argv[3], "results-*.jsonl"))):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    ingest_line(line)
        if batch:
            flush()
    elif cmd == "export":
        with open(sys.argv[3], "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["id", "text", "status", "output", "error", "input_tokens",
                        "output_tokens", "cost_usd"])
            for inp, state, out, err, pin, pout, cost in con.execute(
                    "SELECT input, state, output, error, input_tokens, output_tokens, cost_usd"
                    " FROM tasks ORDER BY row_no"):
                d = json.loads(inp)
                w.writerow([d.get("id"), d.get("text"), state, out or "", err or "",
                            pin or 0, pout or 0, "%.8f" % (cost or 0)])


if __name__ == "__main__":
    main()
