#!/usr/bin/env python3
"""Rebalance a sharded account book with Spark, piping every shard through `ballast`.

`ballast rebalance --accounts - --out -` reads JSON Lines on standard input and writes one plan
per line on standard output, keeping no state between accounts, so Spark's RDD.pipe can run it
unchanged on every worker. This script checks that every account came back exactly once.

    python3 Examples/spark/rebalance_book.py BALLAST_BINARY BOOK.jsonl [--shards 8] [--as-of 2022-12-28]

Needs pyspark and a Java runtime. Exit code 0 when every account came back exactly once.
"""
import argparse
import json
import os
import shlex
import sys

from pyspark.sql import SparkSession


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ballast", help="path of the ballast executable")
    ap.add_argument("book", help="account book, JSON Lines")
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--as-of", default="2022-12-28")
    args = ap.parse_args()

    ballast = os.path.abspath(args.ballast)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spark = SparkSession.builder.master("local[2]").appName("ballast-rebalance").getOrCreate()
    sc = spark.sparkContext
    lines = sc.textFile(os.path.abspath(args.book)).repartition(args.shards)
    # The command runs in the repository so that the bundled data and catalogue are found.
    script = f"cd {shlex.quote(root)} && {shlex.quote(ballast)} rebalance --universe stocks --accounts - --out - --as-of {shlex.quote(args.as_of)} --quiet; exit 0"
    command = "/bin/sh -c " + shlex.quote(script)
    plans = lines.pipe(command).collect()
    spark.stop()

    inputs = []
    with open(args.book) as f:
        for line in f:
            if line.strip():
                try:
                    inputs.append(json.loads(line).get("id"))
                except json.JSONDecodeError:
                    inputs.append(None)
    outputs = [json.loads(p).get("accountId") for p in plans]
    expected = sorted(i for i in inputs if i is not None)
    returned = sorted(o for o in outputs if o is not None)
    ok = len(plans) == len(inputs) and expected == returned and len(set(returned)) == len(returned)
    print(f"{len(inputs)} accounts in, {len(plans)} plans out, {sum(1 for p in plans if json.loads(p).get('status') == 'error')} errors; "
          + ("every account exactly once" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
