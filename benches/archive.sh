#!/usr/bin/env bash
# Throughput and peak RSS of `canon clean` on a generated archive of about
# SIZE_MB megabytes of text (default 1000), given as a folder, a .tar.gz and
# a .jsonl.zst, next to plain line dedup (`awk '!seen[$0]++'`) over the same
# folder, then scores the folder's run against the generator's ground truth
# (pairwise precision and recall). Each timing is the fastest of RUNS runs
# (default 3). DAMAGE=misread|hard generates the damaged archives (see
# examples/make_archive.rs: misread paragraphs, mixed encodings, retried
# scrapes, glitches, letter spacing); default plain.
# Usage: bash benches/archive.sh [SIZE_MB] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1000}
work=${2:-$(mktemp -d)}
cargo build --release --quiet --bin canon --example make_archive --example score_archive
gen=target/release/examples/make_archive
canon=target/release/canon
damage=${DAMAGE:-plain}
[ -d "$work/folder" ] || "$gen" "$work/folder/" "$size" 2026 "$damage"
[ -f "$work/archive.tar.gz" ] || "$gen" "$work/archive.tar.gz" "$size" 2026 "$damage"
[ -f "$work/archive.jsonl.zst" ] || "$gen" "$work/archive.jsonl.zst" "$size" 2026 "$damage"
bytes=$(du -sb "$work/folder" | cut -f1)
runs=${RUNS:-3}
. benches/fastest.sh
measure() { # label, command...: a table row for the fastest of $runs runs
  local label=$1 best rss; shift
  read -r best rss < <(fastest "$@")
  awk -v l="$label" -v b="$bytes" -v s="$best" -v rss="$rss" \
    'BEGIN { printf "| %s | %.2f s | %.0f MB/s | %.0f MB |\n", l, s, b / 1e6 / s, rss / 1024 }'
}
echo "| run ($((bytes / 1000000)) MB of text) | time | throughput | peak RSS |"
echo "|---|---|---|---|"
measure "awk line dedup (folder)" sh -c "find '$work/folder' -type f | sort | xargs cat | awk '!seen[\$0]++'"
measure "canon clean (folder)" "$canon" clean "$work/folder" --out "$work/out" --quiet
measure "canon clean (.tar.gz)" "$canon" clean "$work/archive.tar.gz" --out "$work/out" --quiet
measure "canon clean (.jsonl.zst)" "$canon" clean "$work/archive.jsonl.zst" --out "$work/out" --quiet --jsonl-id id
measure "canon check (folder)" "$canon" check "$work/folder" --quiet --format json
rm -rf "$work/out"; "$canon" clean "$work/folder" --out "$work/out" --quiet || true
echo
target/release/examples/score_archive "$work/folder.truth.json" "$work/out/report.json"
