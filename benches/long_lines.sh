#!/usr/bin/env bash
# Scaling of `canon normalize`, `check` and `clean` with the length of one
# line: a corpus report joined into one line with half-width commas and
# periods between Han (so the rules change it all along), at 400 KB, 4 MB
# and 40 MB. Each timing is the fastest of RUNS runs (default 3); the ratio
# is each size's time over the previous size's (linear: about 10).
# Then adversarial lines: one shape that makes a rule look around each
# place, repeated (see the second table).
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
# `run CMD FILE`: the fastest time and peak RSS of `canon CMD FILE`.
run() {
  case $1 in
    clean) fastest timeout 120 "$canon" clean "$2" --out "$work/out" --quiet ;;
    *) fastest timeout 120 "$canon" "$1" "$2" ;;
  esac
}
# `ratio A B`: B over A (A at least 0.01 s).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b / (a > 0.01 ? a : 0.01) }'; }
echo "| command | 400 KB | 4 MB | 40 MB | ratios | peak RSS at 40 MB |"
echo "|---|---|---|---|---|---|"
for cmd in normalize check clean; do
  row="| $cmd"
  prev=""
  ratios=""
  rss=0
  for size in 400000 4000000 40000000; do
    read -r t rss < <(run "$cmd" "$work/line-$size.txt")
    row="$row | $(printf '%.2f s' "$t")"
    [ -n "$prev" ] && ratios="$ratios$(ratio "$prev" "$t") "
    prev=$t
  done
  echo "$row | ${ratios% } | $((rss / 1024)) MB |"
done

# Adversarial lines: one shape repeated to 400 KB and 4 MB, each making a
# rule look around every place it might change (a run of `!` before Han, a
# URL after every Han, Windows drives back to back, e-mail addresses,
# entities, quotes, full-width letters). Linear: each ratio about 10.
echo
echo "| one line of … (normalize / check / clean) | 400 KB | 4 MB | ratios |"
echo "|---|---|---|---|"
shapes=(
  'a!!!…!中 (one run of !)'
  '见http://a.b/c,中文。'
  '中,a:\b:\c:\d:\e:\f:\'
  'a@b.c中,x@y.z，'
  '&amp;中,&#12345;'
  '"中"“中“中,'
  '中ａｂ,'
)
for k in "${!shapes[@]}"; do
  shape=${shapes[$k]}
  for size in 400000 4000000; do
    f="$work/shape-$k-$size.txt"
    if [ ! -f "$f" ]; then
      if [ "$k" = 0 ]; then
        # One run of `!` between a letter and Han: the rule looks back over it.
        { printf 'a'; head -c "$size" /dev/zero | tr '\0' '!'; printf '中\n'; } > "$f"
      else
        s=$shape
        while [ "$(printf '%s' "$s" | wc -c)" -lt "$size" ]; do s=$s$s; done
        # Cut at the size, back to a character boundary, then one newline.
        { printf '%s' "$s" | head -c "$size" | iconv -c -f UTF-8 -t UTF-8 || true; echo; } > "$f"
      fi
    fi
  done
  for cmd in normalize check clean; do
    row="| \`${shape:0:16}\`… ($cmd)"
    prev=""
    for size in 400000 4000000; do
      read -r t _ < <(run "$cmd" "$work/shape-$k-$size.txt")
      row="$row | $(printf '%.2f s' "$t")"
      [ -n "$prev" ] && row="$row | $(ratio "$prev" "$t")"
      prev=$t
    done
    echo "$row |"
  done
done
