#!/usr/bin/env bash
# `python -m canon.spark clean` in local[2] next to `canon clean` on the same
# generated archive (default: 150 MB, damaged), both on this machine: wall
# time (fastest of RUNS, default 2) and peak memory — for the Spark job the
# largest sum of RSS over its whole process tree (driver JVM, Python driver,
# Python workers), sampled every 0.1 s — and whether the outputs are
# byte-identical. Needs the package installed (`pip install ./python`) and
# pyspark in the Python that runs it ($PYTHON, default python3).
# Usage: bash benches/spark.sh [SIZE_MB] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-150}
work=${2:-$(mktemp -d)}
py=${PYTHON:-python3}
runs=${RUNS:-2}
cargo build --release --quiet --bin canon --example make_archive
[ -d "$work/folder" ] || target/release/examples/make_archive "$work/folder/" "$size" 2026 "${DAMAGE:-hard}"
bytes=$(du -sb "$work/folder" | cut -f1)
# Runs a command, prints "seconds peak_tree_rss_kb".
tree_peak() {
  "$py" - "$@" <<'PY'
import os, subprocess, sys, time
def tree_rss(pid):
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except OSError:
                pass
    total, todo = 0, [pid]
    while todo:
        q = todo.pop()
        todo += kids.get(q, [])
        try:
            with open(f"/proc/{q}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total
t0 = time.monotonic()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak = 0
while proc.poll() is None:
    peak = max(peak, tree_rss(proc.pid))
    time.sleep(0.1)
print(f"{time.monotonic() - t0:.2f} {peak}")
sys.exit(proc.returncode)
PY
}
row() { # label, command...
  local label=$1 best="" rss=0 s r; shift
  for _ in $(seq "$runs"); do
    rm -rf "$work/out-$label"
    read -r s r < <(tree_peak "$@")
    if [ -z "$best" ] || awk -v s="$s" -v b="$best" 'BEGIN { exit !(s < b) }'; then best=$s; fi
    if [ "$r" -gt "$rss" ]; then rss=$r; fi
  done
  awk -v l="$label" -v b="$bytes" -v s="$best" -v rss="$rss" \
    'BEGIN { printf "| %s | %.2f s | %.0f MB/s | %.0f MB |\n", l, s, b / 1e6 / s, rss / 1024 }'
}
echo "| run ($((bytes / 1000000)) MB of text) | time | throughput | peak memory (process tree) |"
echo "|---|---|---|---|"
row clean target/release/canon clean "$work/folder" --out "$work/out-clean" --quiet
row spark "$py" -m canon.spark clean "$work/folder" --out "$work/out-spark" --master 'local[2]' --quiet
row spark-chrome-executors "$py" -m canon.spark clean "$work/folder" --out "$work/out-spark-chrome-executors" --master 'local[2]' --chrome executors --quiet
row spark-lsh-executors "$py" -m canon.spark clean "$work/folder" --out "$work/out-spark-lsh-executors" --master 'local[2]' --lsh executors --quiet
row spark-components-executors "$py" -m canon.spark clean "$work/folder" --out "$work/out-spark-components-executors" --master 'local[2]' --lsh executors --driver-pairs 0 --quiet
row spark-file-uri "$py" -m canon.spark clean "file://$work/folder" --out "$work/out-spark-file-uri" --master 'local[2]' --quiet
for k in spark spark-chrome-executors spark-lsh-executors spark-components-executors spark-file-uri; do
  if diff -r "$work/out-clean" "$work/out-$k" > /dev/null; then echo "$k: same documents and report as canon clean"; else echo "$k: OUTPUTS DIFFER"; fi
done
