#!/usr/bin/env bash
# Runs the integration suites on every kernel line (6.1 and 6.12), one boot
# per kernel, and prints the totals. Extra arguments go to run-all.sh (a
# suite name pattern).
#
#   test/vm/run-suites.sh [--kernel LINE]... [PATTERN]
set -uo pipefail
. "$(dirname "$0")/kernels.sh"

lines=() args=()
while [ $# -gt 0 ]; do
  case $1 in
    --kernel) lines+=("$2"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#lines[@]} -gt 0 ] || lines=("${PVAL_KERNEL_LINES[@]}")

total_p=0 total_f=0 total_s=0 status=0
for line in "${lines[@]}"; do
  log=$(mktemp)
  start=$(date +%s)
  "$(dirname "$0")/run.sh" --kernel "$line" --timeout "${PVAL_VM_TIMEOUT:-3000}" -- \
    bash test/integration/run-all.sh "${args[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  summary=$(grep -a '^integration: ' "$log" | tail -1)
  p=$(sed -n 's/.* \([0-9]*\) passed.*/\1/p' <<<"$summary")
  f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$summary")
  s=$(sed -n 's/.* \([0-9]*\) skipped.*/\1/p' <<<"$summary")
  p=${p:-0} f=${f:-0} s=${s:-0}
  # A guest that died, hung or logged a kernel warning is one more failure.
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  [ "$rc" = 0 ] || status=1
  echo "vm $line: $p passed, $f failed, $s skipped in $(( $(date +%s) - start ))s (exit $rc)"
  total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
  rm -f "$log"
done
echo "vm: $total_p passed, $total_f failed, $total_s skipped"
exit $status
