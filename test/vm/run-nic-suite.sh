#!/usr/bin/env bash
# Runs the NIC suites (test/integration/nic-*.sh) in one boot of the generic
# 6.12 kernel (kernels.sh, PVAL_NIC_KERNEL_LINE) with two igb NICs cabled
# back to back and two e1000e; there they must find the NICs
# (PVAL_NIC_REQUIRED=1).  The cloud kernels of run-suites.sh have no NIC
# drivers: there the NIC suites are skipped.  Prints the guest's output,
# then one line for scripts/test.sh's summary:
#
#   vm generic: N passed, N failed, N skipped (exit RC)
#
#   test/vm/run-nic-suite.sh
set -uo pipefail
. "$(dirname "$0")/kernels.sh"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$(dirname "$0")/run.sh" --kernel "$PVAL_NIC_KERNEL_LINE" --timeout "${PVAL_VM_TIMEOUT:-1500}" \
  --nic igb --nic igb --nic e1000e --nic e1000e -- \
  env PVAL_NIC_REQUIRED=1 bash test/integration/run-all.sh nic- 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
counts=$(grep -a '^integration: ' "$log" | tail -1)
counts=${counts#integration: }
# A guest that died, hung or logged a kernel warning is one failure more.
[ -n "$counts" ] || counts="0 passed, 0 failed, 0 skipped"
if [ "$rc" != 0 ]; then
  case $counts in *" 0 failed"*) counts=${counts/ 0 failed/ 1 failed} ;; esac
fi
echo "vm $PVAL_NIC_KERNEL_LINE: $counts (exit $rc)"
exit "$rc"
