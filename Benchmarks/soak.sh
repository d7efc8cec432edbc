#!/usr/bin/env bash
# Soak test: a batch rebalance of a generated book (default 1,000,000 accounts) with an audit
# record per account, under /usr/bin/time -v. Reports throughput, peak memory, the audit
# database's size per million records and its append rate, then verifies the chain.
#
#   bash Benchmarks/soak.sh [ACCOUNTS] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-1000000}
jobs=${2:-$(nproc)}
swift build -c release --product ballast >/dev/null
bin=.build/release/ballast
work=$(mktemp -d /tmp/ballast-soak-XXXXXX)
trap 'rm -rf "$work"' EXIT
$bin generate-accounts --count "$accounts" --seed 1 --models Benchmarks/data/models-10.json --as-of 2022-12-28 --out "$work/book.jsonl"
sync
/usr/bin/time -v $bin rebalance --accounts "$work/book.jsonl" --models Benchmarks/data/models-10.json --as-of 2022-12-28 \
    --out "$work/plans.jsonl" --jobs "$jobs" --audit-db "$work/audit.sqlite" --quiet 2>"$work/time.txt" || true
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
seconds=$(awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }' <<<"$wall")
size=$(du -cb "$work"/audit.sqlite* | tail -1 | cut -f1)
verify_start=$(date +%s.%N)
records=$($bin audit verify --audit-db "$work/audit.sqlite" --format json | python3 -c 'import json,sys; v=json.load(sys.stdin); assert v["intact"], v; print(v["records"])')
verify_end=$(date +%s.%N)
awk -v n="$accounts" -v s="$seconds" -v rss="$rss" -v size="$size" -v r="$records" -v v0="$verify_start" -v v1="$verify_end" -v j="$jobs" 'BEGIN {
    printf "soak, %d accounts, %d jobs, with an audit record per account (%s)\n", n, j, strftime("%Y-%m-%d")
    printf "  wall %.2f s, %.0f accounts/s, peak RSS %.1f MB\n", s, n / s, rss / 1024
    printf "  audit: %d records, %.0f MB (%.0f MB per million), verified in %.2f s\n", r, size / 1e6, size / 1e6 / (r / 1e6), v1 - v0
}'
