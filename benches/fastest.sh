# Sourced by the bench scripts. `fastest CMD...`: runs CMD $runs times
# (default 3; the machine is shared, so the fastest run is the measure),
# removing "$work/out" before each, and prints the fastest wall time in
# seconds and the largest peak RSS in KB.
fastest() {
  local best="" rss=0 t0 t1 s r
  for _ in $(seq "${runs:-3}"); do
    rm -rf "$work/out"
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/rss" "$@" > /dev/null 2> "$work/err" || true
    t1=$(date +%s.%N)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    r=$(tail -n 1 "$work/rss")
    if [ -z "$best" ] || awk -v s="$s" -v b="$best" 'BEGIN { exit !(s < b) }'; then best=$s; fi
    if [ "$r" -gt "$rss" ]; then rss=$r; fi
  done
  echo "$best $rss"
}
