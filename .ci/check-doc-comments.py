#!/usr/bin/env python3
"""Fails when a public declaration of a library module has no `///` comment."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources")
missing = []
for module in sorted(os.listdir(ROOT)):
    if module in ("BallastCLI", "CBallastLAPACK"):
        continue
    for folder, _, files in os.walk(os.path.join(ROOT, module)):
        for name in files:
            if not name.endswith(".swift"):
                continue
            path = os.path.join(folder, name)
            lines = open(path, encoding="utf-8").read().split("\n")
            for i, line in enumerate(lines):
                if re.match(r"\s*(@\w+(\([^)]*\))?\s+)*(public|open)\s+(?!extension|import)", line):
                    j = i - 1
                    while j >= 0 and lines[j].strip().startswith("@"):
                        j -= 1
                    if j < 0 or not lines[j].strip().startswith("///"):
                        missing.append(f"{os.path.relpath(path, os.path.dirname(ROOT))}:{i + 1}: {line.strip()}")
for m in missing:
    print(m)
print(f"{len(missing)} public declarations without a /// comment")
sys.exit(1 if missing else 0)
