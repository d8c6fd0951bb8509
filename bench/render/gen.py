#!/usr/bin/env python3
"""Write N rows of synthetic customer feedback as CSV to stdout (deterministic).

Some values hold commas, doubled quotes, line breaks and non-ASCII text, so both programs pay
for the full RFC 4180 rules, not only the easy path."""
import csv
import random
import sys

n = int(sys.argv[1])
rng = random.Random(42)
names = ["Chen", "Quinn", "Sam", "Bo", "Noor", "Vik", "Lena", "Gus", "Xavi", "Uma", "Zoë", "Jun"]
channels = ["survey", "app store", "email", "support chat", "twitter"]
starts = ["Crashes when I", "Love how fast it is to", "I wish I could", "Freezes after I",
          "Can I", "Double-charged me when I", "Five stars — finally I can", "How do I"]
verbs = ["share from", "filter in", "sync", "open", "upload a photo in", "use"]
things = ["the checkout", "the export to CSV", "the login", "the API", "the dark mode",
          "the web dashboard", "the billing page", "the search"]
extras = ["", "", "", ' They said "it\'s fixed", it is not.', "\nAlso, second paragraph: thanks, team.",
          " 🙂", ", again, and again"]
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["id", "customer", "channel", "feedback"])
for i in range(1, n + 1):
    text = f"{rng.choice(starts)} {rng.choice(verbs)} {rng.choice(things)}{rng.choice(extras)}"
    w.writerow([f"fb-{i:07d}", rng.choice(names), rng.choice(channels), text])
