#!/usr/bin/env bash
# Dataset-pipeline runs on a generated archive of about SIZE_MB megabytes of
# UTF-8 text as JSONL records with metadata (id, text, url, meta): clean to
# txt (the baseline), to JSONL and to Parquet (metadata carried through),
# from Parquet to Parquet, and annotate to JSONL and Parquet. Each timing is
# the fastest of RUNS runs (default 3), with the largest peak RSS.
# Usage: bash benches/pipelines.sh [SIZE_MB] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-150}
work=${2:-$(mktemp -d)}
cargo build --release --quiet --bin canon --example make_archive --example jsonl_to_parquet
canon=target/release/canon
[ -f "$work/archive.jsonl.zst" ] || target/release/examples/make_archive "$work/archive.jsonl.zst" "$size" 2026
if [ ! -f "$work/archive.parquet" ]; then
  zstd -dcq "$work/archive.jsonl.zst" > "$work/archive.jsonl"
  target/release/examples/jsonl_to_parquet "$work/archive.jsonl" "$work/archive.parquet"
  rm -f "$work/archive.jsonl"
fi
runs=${RUNS:-3}
. benches/fastest.sh
measure() { # label, command...
  local label=$1 best rss; shift
  read -r best rss < <(fastest "$@")
  awk -v l="$label" -v s="$best" -v rss="$rss" \
    'BEGIN { printf "| %s | %.2f s | %.0f MB |\n", l, s, rss / 1024 }'
}
records=$(zstd -dcq "$work/archive.jsonl.zst" | wc -l)
echo "| run ($records records, $(zstd -dcq "$work/archive.jsonl.zst" | wc -c | awk '{ printf "%.0f", $1 / 1e6 }') MB of JSONL) | time | peak RSS |"
echo "|---|---|---|"
in=("$work/archive.jsonl.zst" --id-field id --quiet)
measure "clean .jsonl.zst → txt folder" "$canon" clean "${in[@]}" --out "$work/out"
measure "clean .jsonl.zst → JSONL (metadata)" "$canon" clean "${in[@]}" --output-format jsonl --out "$work/out"
measure "clean .jsonl.zst → Parquet" "$canon" clean "${in[@]}" --output-format parquet --out "$work/out"
measure "clean .parquet → Parquet" "$canon" clean "$work/archive.parquet" --id-field id --quiet --output-format parquet --out "$work/out"
measure "annotate .jsonl.zst → JSONL" "$canon" annotate "${in[@]}" --out "$work/out"
measure "annotate .jsonl.zst → Parquet" "$canon" annotate "${in[@]}" --out "$work/out.parquet"
rm -rf "$work/out" "$work/out.parquet"
