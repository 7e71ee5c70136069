#!/usr/bin/env bash
# Scaling of `canon normalize`, `check` and `clean` with the length of one
# line: a corpus report joined into one line with half-width commas and
# periods between Han (so the rules change it all along), at 400 KB, 4 MB
# and 40 MB. Each timing is the fastest of RUNS runs (default 3); the ratio
# is each size's time over the previous size's (linear: about 10).
# Usage: bash benches/long_lines.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
runs=${RUNS:-3}
cargo build --release --quiet --bin canon
canon=$PWD/target/release/canon
report=tests/fixtures/corpus/sichuan-2026.txt
one=$(tr -d '\n' < "$report" | sed 's/，/,/g; s/。/./g')
for size in 400000 4000000 40000000; do
  f="$work/line-$size.txt"
  if [ ! -f "$f" ]; then
    : > "$f.tmp"
    while [ "$(stat -c %s "$f.tmp")" -lt "$size" ]; do printf '%s' "$one" >> "$f.tmp"; done
    # Cut at the size, back to a character boundary, then one newline.
    head -c "$size" "$f.tmp" | iconv -c -f UTF-8 -t UTF-8 > "$f" || true
    echo >> "$f"
    rm -f "$f.tmp"
  fi
done
. benches/fastest.sh
echo "| command | 400 KB | 4 MB | 40 MB | ratios | peak RSS at 40 MB |"
echo "|---|---|---|---|---|---|"
for cmd in normalize check clean; do
  row="| $cmd"
  prev=""
  ratios=""
  rss=0
  for size in 400000 4000000 40000000; do
    f="$work/line-$size.txt"
    case $cmd in
      clean) set -- "$canon" clean "$f" --out "$work/out" --quiet ;;
      *) set -- "$canon" "$cmd" "$f" ;;
    esac
    read -r t rss < <(fastest "$@")
    row="$row | $(printf '%.2f s' "$t")"
    [ -n "$prev" ] && ratios="$ratios$(awk -v a="$prev" -v b="$t" 'BEGIN { printf "%.1f ", b / a }')"
    prev=$t
  done
  echo "$row | ${ratios% } | $((rss / 1024)) MB |"
done
