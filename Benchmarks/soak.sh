#!/usr/bin/env bash
# Soak test: a batch rebalance of a generated book (default 1,000,000 accounts) without and
# then with the audit trail (a compact row per account, a Merkle root per block), both under
# /usr/bin/time -v in the same run. Reports both throughputs and their ratio, peak memory, the
# audit database's size per million records, then verifies the chain and reports its rate.
#
#   bash Benchmarks/soak.sh [ACCOUNTS] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-1000000}
jobs=${2:-$(nproc)}
[ "${SOAK_NO_BUILD:-}" = 1 ] || swift build -c release --product ballast >/dev/null
bin=${SOAK_BINARY:-.build/release/ballast}
work=$(mktemp -d /tmp/ballast-soak-XXXXXX)
trap 'rm -rf "$work"' EXIT
$bin generate-accounts --universe stocks --count "$accounts" --seed 1 --models Benchmarks/data/models-10.json --as-of 2022-12-28 --out "$work/book.jsonl"
sync
/usr/bin/time -v $bin rebalance --universe stocks --accounts "$work/book.jsonl" --models Benchmarks/data/models-10.json --as-of 2022-12-28 \
    --out "$work/plans-plain.jsonl" --jobs "$jobs" --no-audit --quiet 2>"$work/time-plain.txt" || true
plain_wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time-plain.txt")
plain_seconds=$(awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }' <<<"$plain_wall")
rm -f "$work/plans-plain.jsonl"
sync
/usr/bin/time -v $bin rebalance --universe stocks --accounts "$work/book.jsonl" --models Benchmarks/data/models-10.json --as-of 2022-12-28 \
    --out "$work/plans.jsonl" --jobs "$jobs" --audit-db "$work/audit.sqlite" --quiet 2>"$work/time.txt" || true
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
seconds=$(awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }' <<<"$wall")
size=$(du -cb "$work"/audit.sqlite* | tail -1 | cut -f1)
verify_start=$(date +%s.%N)
records=$($bin audit verify --audit-db "$work/audit.sqlite" --format json | python3 -c 'import json,sys; v=json.load(sys.stdin); assert v["intact"], v; print(v["records"])')
verify_end=$(date +%s.%N)
awk -v n="$accounts" -v p="$plain_seconds" -v s="$seconds" -v rss="$rss" -v size="$size" -v r="$records" -v v0="$verify_start" -v v1="$verify_end" -v j="$jobs" 'BEGIN {
    printf "soak, %d accounts, %d jobs, without and with the audit trail (%s)\n", n, j, strftime("%Y-%m-%d")
    printf "  without the trail: wall %.2f s, %.0f accounts/s\n", p, n / p
    printf "  with the trail:    wall %.2f s, %.0f accounts/s (%.0f%% of the rate without), peak RSS %.1f MB\n", s, n / s, 100 * p / s, rss / 1024
    printf "  audit: %d records, %.0f MB (%.0f MB per million accounts), verified in %.2f s (%.0f records/s)\n", r, size / 1e6, size / 1e6 / (n / 1e6), v1 - v0, r / (v1 - v0)
}'
