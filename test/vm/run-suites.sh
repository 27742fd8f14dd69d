#!/usr/bin/env bash
# Runs the integration suites on every kernel line (6.1, 6.12, 7.x), one
# boot per kernel, two guests at a time: the line with the long suites in
# one, the others one after another in the other. Prints each guest's
# output as it comes (prefixed with its line) and the totals. Extra
# arguments go to run-all.sh (a suite name pattern).
#
# The long stress suites ($long_suites below) run on one line only,
# PVAL_LONG_LINE (default 7.x, the newest kernel), when that line is among
# those run; the other lines run every other suite. PVAL_LONG_LINE=all runs
# them on every line.
#
#   test/vm/run-suites.sh [--kernel LINE]... [PATTERN]
set -uo pipefail
. "$(dirname "$0")/kernels.sh"

long_suites="kmod-stress chardev-teardown stats-prom"
long_line=${PVAL_LONG_LINE:-7.x}

lines=() args=()
while [ $# -gt 0 ]; do
  case $1 in
    --kernel) lines+=("$2"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#lines[@]} -gt 0 ] || lines=("${PVAL_KERNEL_LINES[@]}")
if [ "$long_line" != all ] && [[ " ${PVAL_KERNEL_LINES[*]} " != *" $long_line "* ]]; then
  echo "run-suites: PVAL_LONG_LINE=$long_line is not a kernel line (${PVAL_KERNEL_LINES[*]}, or all)" >&2
  exit 2
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
start=$(date +%s)
# One line: its guest's output, prefixed with the line, and a result file.
run_line() {
  local line=$1 skip= t0 rc
  if [ "$long_line" != all ] && [ "$line" != "$long_line" ] && [[ " ${lines[*]} " == *" $long_line "* ]]; then
    skip=$long_suites
  fi
  t0=$(date +%s)
  "$(dirname "$0")/run.sh" --kernel "$line" --timeout "${PVAL_VM_TIMEOUT:-3000}" -- \
    env PVAL_SUITE_SKIP="$skip" bash test/integration/run-all.sh ${args[@]+"${args[@]}"} 2>&1 \
    | tee "$logs/$line.log" | sed -u "s/^/[$line] /"
  rc=${PIPESTATUS[0]}
  echo "$rc $(( $(date +%s) - t0 ))" > "$logs/$line.rc"
}
# Two guests at a time: the line with the long suites on its own, the
# others one after another beside it.
first=() rest=()
for line in "${lines[@]}"; do
  if [ "$line" = "$long_line" ] && [ ${#first[@]} = 0 ]; then first=("$line"); else rest+=("$line"); fi
done
if [ ${#first[@]} = 0 ]; then first=("${rest[0]}"); rest=("${rest[@]:1}"); fi
run_line "${first[0]}" &
for line in ${rest[@]+"${rest[@]}"}; do run_line "$line"; done
wait

total_p=0 total_f=0 total_s=0 status=0
for line in "${lines[@]}"; do
  read -r rc secs < "$logs/$line.rc"
  summary=$(grep -a '^integration: ' "$logs/$line.log" | tail -1)
  p=$(sed -n 's/.* \([0-9]*\) passed.*/\1/p' <<<"$summary")
  f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$summary")
  s=$(sed -n 's/.* \([0-9]*\) skipped.*/\1/p' <<<"$summary")
  p=${p:-0} f=${f:-0} s=${s:-0}
  # A guest that died, hung or logged a kernel warning is one more failure.
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  [ "$rc" = 0 ] || status=1
  echo "vm $line ($(kernel_release "$line" 2>/dev/null || echo "$line")): $p passed, $f failed, $s skipped in ${secs}s (exit $rc)"
  total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
done
echo "vm: $total_p passed, $total_f failed, $total_s skipped in $(( $(date +%s) - start ))s"
exit $status
