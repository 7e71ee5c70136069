#!/usr/bin/env bash
# What a small run costs: `canon normalize` on one line of Chinese, `check`
# on one line of rare Han (the GBK misread tables are built), `check` and
# `clean` on samples/ — the runs of a pre-commit hook or a CI job on a few
# files, where the start of the process is most of the time. Each timing is
# the fastest of RUNS runs (default 15), with the instructions counted by
# valgrind's callgrind when it is installed (repeatable on a busy machine).
# BASE=path/to/another/canon times that build in the same run.
# Usage: bash benches/startup.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
runs=${RUNS:-15}
cargo build --release --quiet --bin canon
printf '各位代表，现在我代表市人民政府向大会报告工作，请予审议。\n' > "$work/line.txt"
printf '鬱鬱蔥蔥，龘靐齉爩鱻麤龖。\n' > "$work/rare.txt"
. benches/fastest.sh
instructions() { # command...: instructions executed, or "-" without valgrind
  if command -v valgrind > /dev/null; then
    # (`check` exits 1 on findings: the count is wanted all the same.)
    { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 > /dev/null || true; } \
      | awk '/Collected/ { gsub(",", "", $4); printf "%.1f M", $4 / 1e6 }'
  else
    echo "-"
  fi
}
echo "| build | run | time | instructions | peak RSS |"
echo "|---|---|---|---|---|"
for bin in ${BASE:+"$BASE"} "$PWD/target/release/canon"; do
  name=$([ "$bin" = "$PWD/target/release/canon" ] && echo "this build" || echo "$bin")
  for run in "normalize $work/line.txt --quiet" "check $work/rare.txt --quiet" \
             "check samples --quiet" "clean samples --out $work/out --quiet"; do
    # (word splitting of $run is wanted: it is a command line.)
    # shellcheck disable=SC2086
    read -r best rss < <(fastest "$bin" $run)
    # shellcheck disable=SC2086
    n=$(rm -rf "$work/out"; instructions "$bin" $run)
    awk -v b="$name" -v r="${run%% --*}" -v s="$best" -v n="$n" -v rss="$rss" \
      'BEGIN { printf "| %s | `%s` | %.1f ms | %s | %.0f MB |\n", b, r, s * 1000, n, rss / 1024 }'
  done
done
