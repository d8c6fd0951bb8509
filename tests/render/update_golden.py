#!/usr/bin/env python3
"""Rewrite the expected screens in tests/render/test_*.c from a BT_GOLDEN_OUT directory.

    mkdir -p /tmp/golden && (cd build && BT_GOLDEN_OUT=/tmp/golden ctest -L render)
    tests/render/update_golden.py /tmp/golden && git diff tests/render   # review every change

A block in a test file looks like
    /* golden NAME */
    static const char NAME[] = ...;
    /* end NAME */
and NAME_elems blocks take NAME.elems instead of NAME.txt."""
import os
import re
import sys

out_dir = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))


def literal(name, text):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    body = "\n".join('    "%s\\n"' % l.replace("\\", "\\\\").replace('"', '\\"') for l in lines)
    return "static const char %s[] =\n%s;" % (name, body or '    ""')


def replace(m):
    name = m.group(1)
    base, ext = (name[:-6], "elems") if name.endswith("_elems") else (name, "txt")
    path = os.path.join(out_dir, "%s.%s" % (base, ext))
    if not os.path.exists(path):
        return m.group(0)
    with open(path, encoding="utf-8") as f:
        return "/* golden %s */\n%s\n/* end %s */" % (name, literal(name, f.read()), name)


for fn in sorted(os.listdir(here)):
    if not (fn.startswith("test_") and fn.endswith(".c")):
        continue
    p = os.path.join(here, fn)
    with open(p, encoding="utf-8") as f:
        src = f.read()
    new = re.sub(r"/\* golden (\w+) \*/\n.*?\n/\* end \1 \*/", replace, src, flags=re.S)
    if new != src:
        with open(p, "w", encoding="utf-8") as f:
            f.write(new)
        print("updated", fn)
