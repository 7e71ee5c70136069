#!/usr/bin/env bash
# Peak memory (`/usr/bin/time -f %M`) and time of `canon` on the inputs of
# the README's memory table, built in WORKDIR (kept for the next run):
#   - a gzip bomb (5 GB of one letter; SKIP_BOMB=1 leaves it out), and two
#     of them with `-j 2`;
#   - one 200 MB line (a generated archive's text with its line ends
#     turned into spaces);
#   - one big file: a generated archive's pages `cat` together (BIG_MB,
#     default 700), then the same as one JSONL record;
#   - `check` on the big file.
# Each input is run once (the memory does not vary much; the time does).
# Usage: bash benches/memory.sh [WORKDIR]    (needs python3 for the record)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
big_mb=${BIG_MB:-700}
cargo build --release --quiet --bin canon --example make_archive
canon=$PWD/target/release/canon

if [ ! -f "$work/big.txt" ]; then
  rm -rf "$work/pages"
  target/release/examples/make_archive "$work/pages/" "$big_mb" 2026 > /dev/null
  find "$work/pages" -type f -name '*.txt' | LC_ALL=C sort | xargs cat > "$work/big.txt"
  rm -rf "$work/pages"
fi
if [ ! -f "$work/line.txt" ]; then
  head -c 200000000 "$work/big.txt" | tr '\n\r' '  ' > "$work/line.txt"
fi
if [ ! -f "$work/record.jsonl" ]; then
  # One record holding the big file's text (read and escaped a block of
  # lines at a time; damaged bytes become U+FFFD).
  python3 - "$work/big.txt" "$work/record.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], 'rb') as src, open(sys.argv[2], 'w', encoding='utf-8') as out:
    out.write('{"id": "big", "text": "')
    while True:
        block = src.readlines(1 << 24)
        if not block:
            break
        text = b''.join(block).decode('utf-8', 'replace')
        out.write(json.dumps(text, ensure_ascii=False)[1:-1])
    out.write('"}\n')
EOF
fi
if [ "${SKIP_BOMB:-0}" != 1 ] && [ ! -f "$work/bomb.gz" ]; then
  head -c 5000000000 /dev/zero | tr '\0' a | gzip -1 > "$work/bomb.gz"
  cp "$work/bomb.gz" "$work/bomb2.gz"
fi

run() {
  local label=$1
  shift
  rm -rf "$work/out"
  /usr/bin/time -o "$work/time.txt" -f '%e %M' "$@" > /dev/null 2>&1 || true
  # (The last line: `check` exits 1 with findings, and time says so first.)
  tail -n 1 "$work/time.txt" | awk -v l="$label" '{ printf "| %s | %.1f s | %d MB |\n", l, $1, $2 / 1024 }'
}

echo "| input | time | peak RSS |"
echo "|---|---|---|"
if [ -f "$work/bomb.gz" ]; then
  run "a 5 GB gzip bomb, \`clean\`" "$canon" clean "$work/bomb.gz" --out "$work/out" -q
  run "two bombs, \`clean -j 2\`" "$canon" clean "$work/bomb.gz" "$work/bomb2.gz" --out "$work/out" -q -j 2
fi
run "one 200 MB line, \`clean\`" "$canon" clean "$work/line.txt" --out "$work/out" -q
run "one $(($(stat -L -c %s "$work/big.txt") / 1000000)) MB file, \`clean\`" "$canon" clean "$work/big.txt" --out "$work/out" -q
run "the same as one JSONL record, \`clean -j 1\`" "$canon" clean "$work/record.jsonl" --out "$work/out" -q -j 1
run "the big file, \`check\`" "$canon" check "$work/big.txt" --format json
