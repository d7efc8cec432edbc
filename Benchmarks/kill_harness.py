#!/usr/bin/env python3
"""Random kill -9 harness for the crash-safe batch rebalancer.

Generates a seeded book, makes an uninterrupted reference run, then for each trial starts a
batch run with the audit trail, kills it with SIGKILL at a random moment (also while it is
resuming), and resumes until a run finishes. Each trial must end with output byte-identical to
the reference, exactly one audit row per account line, and `audit verify` intact. Prints one line
per failure and a summary; exits 1 on any failure.

    python3 Benchmarks/kill_harness.py                       # 100 trials, 20,000 accounts
    python3 Benchmarks/kill_harness.py --trials 200 --accounts 50000 --seed 7

Then deterministic kill points (BALLAST_BATCH_KILL_AT=POINT:BLOCK, small blocks through
BALLAST_BATCH_BLOCK_BYTES): after the output write, after the audit commit and after the
checkpoint rename of blocks 1 to 4, each followed by a resume that is itself killed at the same
point of its first block, then a resume to the end.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--accounts", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=".build/release/ballast")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    binary = os.path.join(ROOT, args.binary)
    failures = 0
    kills = 0
    with tempfile.TemporaryDirectory(prefix="ballast-kill-") as tmp:
        book = os.path.join(tmp, "book.jsonl")
        subprocess.run([binary, "generate-accounts", "--universe", "stocks", "--count", str(args.accounts), "--seed", str(args.seed), "--broken", "5",
                        "--out", book], cwd=ROOT, check=True, capture_output=True)
        base = ["rebalance", "--universe", "stocks", "--accounts", book, "--as-of", "2022-12-28", "--jobs", "2", "--quiet"]
        reference = os.path.join(tmp, "reference.jsonl")
        started = time.time()
        subprocess.run([binary] + base + ["--out", reference, "--no-audit"], cwd=ROOT, capture_output=True)
        full = time.time() - started
        with open(reference, "rb") as f:
            expected = f.read()
        for trial in range(args.trials):
            out = os.path.join(tmp, f"plans-{trial}.jsonl")
            db = os.path.join(tmp, f"audit-{trial}.sqlite")
            cmd = [binary] + base + ["--out", out, "--audit-db", db]
            resume = False
            for attempt in range(50):
                p = subprocess.Popen(cmd + (["--resume"] if resume else []), cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
                # Kill at a random moment within the run's expected time (sometimes not at all).
                if attempt < 3 and rng.random() < 0.9:
                    time.sleep(rng.uniform(0, full * 1.2))
                    if p.poll() is None:
                        p.send_signal(signal.SIGKILL)
                        kills += 1
                err = p.communicate()[1].decode()
                if p.returncode in (0, 1):
                    break
                if p.returncode not in (0, 1, -signal.SIGKILL):
                    print(f"trial {trial}: exit {p.returncode}: {err.strip()[:300]}")
                    failures += 1
                    break
                resume = os.path.exists(out)
            with open(out, "rb") as f:
                got = f.read()
            problems = []
            if got != expected:
                problems.append("output differs from the uninterrupted run")
            exported = subprocess.run([binary, "audit", "export", "--audit-db", db], cwd=ROOT, capture_output=True, text=True)
            lines = [json.loads(l)["line"] for l in exported.stdout.splitlines() if '"block"' in l[:12] or l.startswith('{"accountDigest"')]
            if sorted(lines) != list(range(1, args.accounts + 1)):
                problems.append(f"{len(lines)} audit rows for {args.accounts} lines ({len(set(lines))} distinct)")
            v = subprocess.run([binary, "audit", "verify", "--audit-db", db], cwd=ROOT, capture_output=True, text=True)
            if v.returncode != 0:
                problems.append("verify: " + (v.stdout + v.stderr).strip()[:200])
            if problems:
                failures += 1
                print(f"trial {trial}: " + "; ".join(problems))
            for suffix in ["", "-wal", "-shm"]:
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
            os.remove(out)
        def check(name, out, db):
            nonlocal failures
            with open(out, "rb") as f:
                got = f.read()
            problems = [] if got == expected else ["output differs from the uninterrupted run"]
            exported = subprocess.run([binary, "audit", "export", "--audit-db", db], cwd=ROOT, capture_output=True, text=True)
            lines = [json.loads(l)["line"] for l in exported.stdout.splitlines() if l.startswith('{"accountDigest"')]
            if sorted(lines) != list(range(1, args.accounts + 1)):
                problems.append(f"{len(lines)} audit rows for {args.accounts} lines")
            if subprocess.run([binary, "audit", "verify", "--audit-db", db], cwd=ROOT, capture_output=True).returncode != 0:
                problems.append("verify fails")
            if problems:
                failures += 1
                print(f"{name}: " + "; ".join(problems))

        points = 0
        for point in ["after-output-write", "after-audit-commit", "after-checkpoint"]:
            for block in range(1, 5):
                out = os.path.join(tmp, f"det-{point}-{block}.jsonl")
                db = os.path.join(tmp, f"det-{point}-{block}.sqlite")
                cmd = [binary] + base + ["--out", out, "--audit-db", db]
                for kill_at, extra in [(f"{point}:{block}", []), (f"{point}:1", ["--resume"]), (None, ["--resume"])]:
                    env = dict(os.environ, BALLAST_BATCH_BLOCK_BYTES="65536")
                    if kill_at:
                        env["BALLAST_BATCH_KILL_AT"] = kill_at
                    r = subprocess.run(cmd + extra, cwd=ROOT, env=env, capture_output=True, text=True)
                    if kill_at and r.returncode != -signal.SIGKILL:
                        print(f"{point}:{block}: the kill point was not reached (exit {r.returncode}: {r.stderr.strip()[:200]})")
                        failures += 1
                    if kill_at:
                        kills += 1
                points += 1
                check(f"{point}:{block}", out, db)
    print(f"{args.trials} random trials and {points} deterministic kill points, {kills} kills (-9), {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
