#!/usr/bin/env python3
"""Expected results of examples/triage.pipeline.yaml, computed independently of batchtop:
the rows of examples/feedback.csv, the three templates' texts written out again here, and the
sim's reference model (sim/model_ref.py). Prints one line per row:
    id <TAB> label_output <TAB> reply_status <TAB> reply_output <TAB> priority_output
Usage: pipeline_expected.py SOURCE_DIR"""
import csv
import importlib.util
import sys

src = sys.argv[1]
spec = importlib.util.spec_from_file_location("model_ref", f"{src}/sim/model_ref.py")
model = importlib.util.module_from_spec(spec)
spec.loader.exec_module(model)


def answer(body):
    return model.answer(body)["answer"]


def chat(system, user, max_tokens, temperature=None):
    msgs = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user}]
    body = {"model": "gpt-4o-mini", "messages": msgs, "max_tokens": max_tokens}
    return answer(body)


def messages(system, user, max_tokens):
    body = {"model": "claude-haiku-4-5", "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": user}]}
    if system:
        body["system"] = system
    return answer(body)


with open(f"{src}/examples/feedback.csv", newline="") as f:
    for row in csv.DictReader(f):
        label = chat("You label customer feedback for a product team. Answer with one word.",
                     "Label this feedback as bug, feature, praise or other. Answer with the "
                     f"label only.\n\nChannel: {row['channel']}\nFeedback: {row['feedback']}", 5)
        if label.strip().lower() == "praise":
            print("\t".join([row["id"], label, "skipped", "", ""]))
            continue
        reply = messages("You write short, kind replies for a support team.",
                         f"A customer wrote this {label} through {row['channel']}:\n\n"
                         f"{row['feedback']}\n\nWrite a one-sentence reply to {row['customer']}.",
                         60)
        priority = chat(None, f"Rate the urgency of this {label} as low, medium or high. Answer "
                        f"with one word.\n\nCustomer: {row['feedback']}\nOur draft reply: {reply}",
                        3)
        print("\t".join([row["id"], label, "succeeded", reply, priority]))
