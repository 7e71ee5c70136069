#!/usr/bin/env bash
# Accuracy of `canon clean` on generated archives with ground truth: for
# each seed, an archive of SIZE_MB megabytes with DAMAGE (plain, misread or
# hard: see examples/make_archive.rs) is cleaned and scored — documents out
# against true ones, pairwise precision and recall, outputs merging true
# documents, true documents split, and each output's line diff against its
# true document's normalized text.
# Usage: bash benches/accuracy.sh [SIZE_MB] [DAMAGE] [SEEDS...]
#   (defaults: 40 hard 1 2 3 4 5 6 7 8 9; WORK=dir keeps the archives;
#   CANON=path times another build, e.g. the last release, for a baseline)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-40}
damage=${2:-hard}
shift $(($# > 2 ? 2 : $#))
seeds=${*:-1 2 3 4 5 6 7 8 9}
work=${WORK:-$(mktemp -d)}
cargo build --release --quiet --bin canon --example make_archive --example score_archive
for seed in $seeds; do
  dir="$work/$damage-$size-$seed"
  [ -d "$dir/folder" ] || target/release/examples/make_archive "$dir/folder/" "$size" "$seed" "$damage" 2> /dev/null
  rm -rf "$dir/out"
  "${CANON:-target/release/canon}" clean "$dir/folder" --out "$dir/out" --quiet || true
  echo "seed $seed ($size MB, $damage):"
  target/release/examples/score_archive "$dir/folder.truth.json" "$dir/out/report.json" "$dir/out" | sed 's/^/  /'
done
