#!/usr/bin/env python3
"""Batch rebalancing throughput and peak memory, end to end (parse, plan, write).

Generates seeded books with `ballast generate-accounts` (default: 100,000 and 1,000,000
accounts following the benchmark models in Benchmarks/data/models-10.json, about ten holdings
each), then times `ballast rebalance --accounts BOOK --out FILE` under `/usr/bin/time -v`
for each size: wall time, accounts per second, peak resident memory, user and system CPU,
output size and the mix of plan statuses. Dirty pages are flushed (`sync`) before every run so
that one run's write-back does not slow the next. Runs are repeated (`--rounds`) and the
median is reported with the range.

    python3 Benchmarks/batch_rebalance.py                     # release build, 100k and 1M
    python3 Benchmarks/batch_rebalance.py --sizes 100000 --rounds 5 --fsync
    python3 Benchmarks/batch_rebalance.py --json results.json

`--fsync` measures durable runs (output flushed to disk before each checkpoint and at the
end); `--stdout-null` measures the engine without the file system (output to /dev/null).
`--baseline BINARY` times an earlier build in every round as well, alternating with the current
one on the same book, and reports the median of the per-round throughput ratios and whether both
wrote the same plans (without `--universe` when the earlier build has no such option).
Runs pass `--no-audit` unless `--audit` is given (Benchmarks/soak.sh measures the batch with an
audit record per account).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, check=True, text=True, capture_output=True, **kw)


def timed(cmd, stdout=None):
    """Runs cmd under /usr/bin/time -v; returns (wall s, peak RSS MB, user s, sys s, stderr)."""
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, cwd=ROOT, text=True, stdout=stdout or subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if p.returncode not in (0, 1):
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    err = p.stderr

    def field(name):
        m = re.search(rf"{re.escape(name)}: (.*)", err)
        if not m:
            sys.exit(f"/usr/bin/time did not report {name}")
        return m.group(1).strip()

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(x) for x in wall.split(":")]
    seconds = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
    rss = int(field("Maximum resident set size (kbytes)")) / 1024
    return seconds, rss, float(field("User time (seconds)")), float(field("System time (seconds)")), err


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated book sizes")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--models", default="Benchmarks/data/models-10.json")
    ap.add_argument("--as-of", default="2022-12-28")
    ap.add_argument("--fsync", action="store_true", help="durable runs")
    ap.add_argument("--stdout-null", action="store_true", help="write the plans to /dev/null instead of a file")
    ap.add_argument("--audit", action="store_true", help="write an audit record per account (into the temporary folder)")
    ap.add_argument("--binary", default=".build/release/ballast")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--baseline", help="also time this binary (an earlier build) in every round, alternating with --binary, and "
                    "report the throughput ratio and whether both wrote the same plans")
    ap.add_argument("--json", help="write the results here as JSON")
    args = ap.parse_args()

    if not args.no_build:
        print("building the release binary ...", file=sys.stderr)
        run(["swift", "build", "-c", "release", "--product", "ballast"])
    binary = args.binary
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="ballast-batch-bench-") as tmp:
        for n in sizes:
            book = os.path.join(tmp, f"book-{n}.jsonl")
            run([binary, "generate-accounts", "--universe", "stocks", "--count", str(n), "--seed", "1", "--models", args.models,
                 "--as-of", args.as_of, "--out", book])
            rounds = []
            base_rounds = []
            runs = [("baseline", args.baseline, base_rounds)] if args.baseline else []
            runs.append(("current", binary, rounds))
            digests = {}
            for r in range(args.rounds):
                for label, exe, into in runs:
                    out = os.path.join(tmp, "plans.jsonl")
                    if os.path.exists(out):
                        os.remove(out)
                    subprocess.run(["sync"])
                    time.sleep(1)
                    universe = ["--universe", "stocks"] if "--universe" in run([exe, "rebalance", "--help"]).stdout else []
                    cmd = [exe, "rebalance", *universe, "--accounts", book, "--models", args.models, "--as-of", args.as_of,
                           "--jobs", str(args.jobs), "--out", "-" if args.stdout_null else out]
                    if args.fsync:
                        cmd.append("--fsync")
                    if args.audit:
                        audit_db = os.path.join(tmp, f"audit-{n}-{r}-{label}.sqlite")
                        cmd += ["--audit-db", audit_db]
                    else:
                        cmd.append("--no-audit")
                    with open(os.devnull, "w") as null:
                        wall, rss, user, sys_cpu, err = timed(cmd, stdout=null if args.stdout_null else None)
                    summary = next((l for l in err.splitlines() if " accounts: " in l), "")
                    size = 0 if args.stdout_null else os.path.getsize(out)
                    if not args.stdout_null and r == 0:
                        digests[label] = subprocess.run(["sha256sum", out], capture_output=True, text=True).stdout.split()[0]
                    into.append({"seconds": wall, "peakMB": rss, "user": user, "sys": sys_cpu, "outputBytes": size,
                                 "summary": summary})
                    print(f"  {n} accounts round {r + 1} {label}: {wall:.2f} s, {n / wall:,.0f}/s, peak {rss:.1f} MB",
                          file=sys.stderr)
            secs = [x["seconds"] for x in rounds]
            med = statistics.median(secs)
            results.append({
                "accounts": n, "bookBytes": os.path.getsize(book), "medianSeconds": med,
                "accountsPerSecond": n / med, "rangePerSecond": [n / max(secs), n / min(secs)],
                "peakMB": max(x["peakMB"] for x in rounds), "userSeconds": statistics.median(x["user"] for x in rounds),
                "sysSeconds": statistics.median(x["sys"] for x in rounds), "outputBytes": rounds[-1]["outputBytes"],
                "summary": rounds[-1]["summary"], "rounds": rounds,
            })
            if base_rounds:
                ratios = [b["seconds"] / c["seconds"] for b, c in zip(base_rounds, rounds)]
                results[-1]["baseline"] = {
                    "binary": args.baseline, "medianSeconds": statistics.median(x["seconds"] for x in base_rounds),
                    "speedRatio": statistics.median(ratios), "ratioRange": [min(ratios), max(ratios)],
                    "samePlans": digests.get("baseline") == digests.get("current") if digests else None, "rounds": base_rounds,
                }
    mode = "to /dev/null" if args.stdout_null else ("durable (--fsync)" if args.fsync else "to a file")
    mode += ", with an audit record per account" if args.audit else ", --no-audit"
    print(f"\nbatch rebalance, {args.jobs} jobs, {mode}, median of {args.rounds} runs, {time.strftime('%Y-%m-%d')}\n")
    print("| accounts | wall (s) | accounts/s (range) | peak RSS | user / sys CPU (s) | output |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        lo, hi = r["rangePerSecond"]
        print(f"| {r['accounts']:,} | {r['medianSeconds']:.2f} | {r['accountsPerSecond']:,.0f} ({lo:,.0f}-{hi:,.0f}) | "
              f"{r['peakMB']:.1f} MB | {r['userSeconds']:.2f} / {r['sysSeconds']:.2f} | {r['outputBytes'] / 1e6:,.0f} MB |")
    for r in results:
        print(f"\n{r['accounts']:,}: {r['summary']}")
    for r in results:
        b = r.get("baseline")
        if b:
            print(f"\n{r['accounts']:,} against {b['binary']}: current/baseline throughput {b['speedRatio']:.3f} "
                  f"(per-round range {b['ratioRange'][0]:.3f}-{b['ratioRange'][1]:.3f}; baseline median {b['medianSeconds']:.2f} s); "
                  f"same plans: {b['samePlans']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"jobs": args.jobs, "mode": mode, "date": time.strftime("%Y-%m-%d"), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
