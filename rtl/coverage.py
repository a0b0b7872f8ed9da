#!/usr/bin/env python3
"""rtl/coverage.py: line and toggle coverage per RTL module from Verilator
coverage files (make rtl-coverage).  A point (module, file, line, column,
kind, signal bit) is covered when any instance of the module in any of the
files hit it; 'line' counts Verilator's line and branch points, 'toggle'
its toggle points.  Prints one line per module."""
import sys
from collections import defaultdict

hit = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        for ln in fh:
            if not ln.startswith("C '"):
                continue
            body, count = ln[3:].rsplit("' ", 1)
            kv = {}
            for item in body.split("\x01")[1:]:
                k, _, v = item.partition("\x02")
                kv[k] = v
            page = kv.get("page", "")
            kind, _, module = page.partition("/")
            key = (module, kind, kv.get("f"), kv.get("l"), kv.get("n"), kv.get("o"))
            hit[key] = hit.get(key, False) or int(count) > 0

tot = defaultdict(lambda: [0, 0, 0, 0])  # line hit, line all, toggle hit, toggle all
for (module, kind, *_), h in hit.items():
    t = tot[module]
    if kind == "v_toggle":
        t[2] += h
        t[3] += 1
    else:  # v_line, v_branch, v_user
        t[0] += h
        t[1] += 1
if not tot:
    sys.exit("rtl-coverage: no coverage points in " + " ".join(sys.argv[1:]))
pct = lambda a, b: 100.0 * a / b if b else 100.0
for module in sorted(tot):
    lh, la, th, ta = tot[module]
    print(f"{module:16s} line {pct(lh, la):5.1f}% ({lh}/{la})  toggle {pct(th, ta):5.1f}% ({th}/{ta})")
