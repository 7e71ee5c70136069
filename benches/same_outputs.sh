#!/usr/bin/env bash
# Lists the sha256 of every file `canon` writes over a fixed set of runs, so
# two builds can be compared byte for byte (a refactor must change nothing):
# samples/ (clean txt, -j 1, jsonl; check in four formats; explain;
# normalize and --diff; rules), nine generated 40 MB archives (seeds 1–9)
# and a 150 MB one as a folder, .tar.gz and .jsonl.zst.
# Usage: bash benches/same_outputs.sh CANON_BINARY LISTING [WORKDIR]
# then `diff` two listings (grep -v canon-manifest to compare with builds
# from before the manifest existed).
set -u
bin=$(realpath "$1"); out=$(realpath -m "$2"); data=${3:-/tmp/canon-same-outputs}
cd "$(dirname "$0")/.."
cargo build --release --quiet --example make_archive
gen=target/release/examples/make_archive
mkdir -p "$data"
for s in 1 2 3 4 5 6 7 8 9; do [ -d "$data/s$s" ] || "$gen" "$data/s$s/" 40 "$s" 2>/dev/null; done
[ -d "$data/big" ] || "$gen" "$data/big/" 150 2>/dev/null
[ -f "$data/big.tar.gz" ] || "$gen" "$data/big.tar.gz" 150 2>/dev/null
[ -f "$data/big.jsonl.zst" ] || "$gen" "$data/big.jsonl.zst" 150 2>/dev/null
: > "$out"
scratch=$(mktemp -d)
run() { # label, args...
  local label=$1; shift
  rm -rf "$scratch/o"; mkdir -p "$scratch/o"
  "$bin" "$@" > "$scratch/o/stdout" 2> /dev/null; local rc=$?
  echo "== $label rc=$rc" >> "$out"
  (cd "$scratch/o" && find . -type f | sort | xargs sha256sum) >> "$out"
}
o="$scratch/o"
run samples clean samples --out "$o/out" --quiet
run samples-j1 clean samples --out "$o/out" --quiet -j 1
run samples-jsonl clean samples --out "$o/out.jsonl" --output-format jsonl --quiet
for f in human json sarif github; do run "samples-check-$f" check samples --quiet --no-config --format "$f"; done
run samples-explain explain samples --doc 0 --quiet
run samples-normalize normalize samples/chenzhou-2017-report-x8.txt
run samples-normalize-diff normalize samples/chenzhou-2017-report-x8.txt --diff
run rules rules
run list-rules check --list-rules
for s in 1 2 3 4 5 6 7 8 9; do run "seed$s" clean "$data/s$s" --out "$o/out" --quiet; done
run seed1-check check "$data/s1" --quiet --format json --no-config
run big150 clean "$data/big" --out "$o/out" --quiet
run big150-jsonl clean "$data/big.jsonl.zst" --out "$o/out.jsonl" --output-format jsonl --quiet --jsonl-id id
run big150-tar clean "$data/big.tar.gz" --out "$o/out" --quiet
run big150-check check "$data/big" --quiet --format json --no-config
rm -rf "$scratch"
echo "$(grep -c '^==' "$out") runs listed in $out"
