#!/usr/bin/env python3
"""Book monitoring throughput and peak memory, end to end (`ballast monitor`).

Generates a seeded book with `ballast generate-accounts` (default: 1,000,000 accounts following
the benchmark models in Benchmarks/data/models-10.json, about ten holdings each, with a few
broken lines) and times `ballast monitor --accounts BOOK` under `/usr/bin/time -v`: wall time,
accounts per second, peak resident memory (constant in the book's size: histograms of fixed
size and lists cut at --list-limit), user and system CPU. The run evaluates the bundled alert
rules and writes the dashboard, as a daily job would; `--no-audit` unless `--audit`. Runs are
repeated (`--rounds`) and the median is reported with the range.

    python3 Benchmarks/monitor.py                          # release build, 1M accounts
    python3 Benchmarks/monitor.py --sizes 100000,1000000 --rounds 3
    python3 Benchmarks/monitor.py --json results.json
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batch_rebalance import ROOT, run  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000000", help="comma-separated book sizes")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--models", default="Benchmarks/data/models-10.json")
    ap.add_argument("--alerts", default="Examples/monitor/alerts.json")
    ap.add_argument("--as-of", default="2022-12-28")
    ap.add_argument("--broken", type=int, default=100, help="deliberately bad lines in each book")
    ap.add_argument("--audit", action="store_true", help="append the run's audit record (into the temporary folder)")
    ap.add_argument("--binary", default=".build/release/ballast")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--json", help="write the results here as JSON")
    args = ap.parse_args()

    if not args.no_build:
        print("building the release binary ...", file=sys.stderr)
        run(["swift", "build", "-c", "release", "--product", "ballast"])
    binary = args.binary
    results = []
    with tempfile.TemporaryDirectory(prefix="ballast-monitor-bench-") as tmp:
        for n in [int(s) for s in args.sizes.split(",")]:
            book = os.path.join(tmp, f"book-{n}.jsonl")
            run([binary, "generate-accounts", "--universe", "stocks", "--count", str(n), "--seed", "1", "--models", args.models,
                 "--as-of", args.as_of, "--broken", str(args.broken), "--out", book])
            rounds = []
            for r in range(args.rounds):
                subprocess.run(["sync"])
                time.sleep(1)
                report = os.path.join(tmp, "monitor.html")
                cmd = [binary, "monitor", "--universe", "stocks", "--accounts", book, "--models", args.models, "--as-of", args.as_of,
                       "--jobs", str(args.jobs), "--alerts", args.alerts, "--report", report, "--format", "json"]
                cmd += ["--audit-db", os.path.join(tmp, f"audit-{n}-{r}.sqlite")] if args.audit else ["--no-audit"]
                out = os.path.join(tmp, "monitor.json")
                with open(out, "w") as f:
                    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, cwd=ROOT, text=True, stdout=f, stderr=subprocess.PIPE)
                if p.returncode not in (0, 4):
                    sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
                wall, rss, user, sys_cpu, _ = parse(p.stderr)
                with open(out) as f:
                    figures = json.load(f)
                rounds.append({"seconds": wall, "peakMB": rss, "user": user, "sys": sys_cpu, "exit": p.returncode,
                               "accounts": figures["accounts"], "problems": figures["problems"],
                               "outOfBandShare": figures["outOfBandShare"], "alertsFired": figures["alertsFired"],
                               "medianDrift": figures["drift"]["quantiles"].get("p50")})
                print(f"  {n} accounts round {r + 1}: {wall:.2f} s, {n / wall:,.0f}/s, peak {rss:.1f} MB", file=sys.stderr)
            secs = [x["seconds"] for x in rounds]
            med = statistics.median(secs)
            results.append({"accounts": n, "bookBytes": os.path.getsize(book), "medianSeconds": med, "accountsPerSecond": n / med,
                            "rangePerSecond": [n / max(secs), n / min(secs)], "peakMB": max(x["peakMB"] for x in rounds),
                            "userSeconds": statistics.median(x["user"] for x in rounds),
                            "sysSeconds": statistics.median(x["sys"] for x in rounds), "rounds": rounds})
    print(f"\nballast monitor, {args.jobs} jobs, {'with' if args.audit else 'without'} the audit record, "
          f"median of {args.rounds} runs, {time.strftime('%Y-%m-%d')}\n")
    print("| accounts | book | wall (s) | accounts/s (range) | peak RSS | user / sys CPU (s) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        lo, hi = r["rangePerSecond"]
        print(f"| {r['accounts']:,} | {r['bookBytes'] / 1e6:,.0f} MB | {r['medianSeconds']:.2f} | {r['accountsPerSecond']:,.0f} "
              f"({lo:,.0f}-{hi:,.0f}) | {r['peakMB']:.1f} MB | {r['userSeconds']:.2f} / {r['sysSeconds']:.2f} |")
    for r in results:
        x = r["rounds"][-1]
        print(f"\n{r['accounts']:,}: {x['accounts']:,} measured, {x['problems']} problems, out of band {x['outOfBandShare']:.1%}, "
              f"median drift {x['medianDrift']:.2%}, {x['alertsFired']} alerts fired (exit {x['exit']})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"jobs": args.jobs, "date": time.strftime("%Y-%m-%d"), "results": results}, f, indent=2)


def parse(err):
    """The wall time, peak RSS (MB), user and system CPU of /usr/bin/time -v's report."""
    import re

    def field(name):
        m = re.search(rf"{re.escape(name)}: (.*)", err)
        if not m:
            sys.exit(f"/usr/bin/time did not report {name}")
        return m.group(1).strip()

    parts = [float(x) for x in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    seconds = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
    return (seconds, int(field("Maximum resident set size (kbytes)")) / 1024, float(field("User time (seconds)")),
            float(field("System time (seconds)")), err)


if __name__ == "__main__":
    main()
