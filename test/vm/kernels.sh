# shellcheck shell=bash
# Kernel versions the VM suites run on, and where their files live.
#
# Each "line" is a Debian cloud kernel: 6.1 from bookworm (security updates
# included), 6.12 from bookworm-backports. The exact ABI name (e.g.
# 6.1.0-56-cloud-amd64) is resolved from apt at setup time and recorded in
# .cache/vm/kernels.env, so the suites follow Debian's updates.

PVAL_ROOT=${PVAL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PVAL_CACHE=${PVAL_CACHE:-$PVAL_ROOT/.cache/vm}
PVAL_KERNEL_LINES=(6.1 6.12)

# The generic 6.12 kernel (linux-image-amd64 from bookworm-backports, not
# the cloud flavour): it carries the drivers of real NICs, igb and e1000e,
# with their PTP clocks, which the nic-hwtstamp suite needs against QEMU's
# emulated 82576 (igb).  Resolved by setup-host.sh into kernels.env like the
# cloud lines (KREL_generic); `run.sh --kernel generic` boots it.  Not one of
# PVAL_KERNEL_LINES: only the NIC suite runs on it, in one boot.
PVAL_NIC_KERNEL_LINE=generic

# kernel_release LINE -> e.g. 6.1.0-56-cloud-amd64 (after setup-host.sh ran)
kernel_release() {
  local env="$PVAL_CACHE/kernels.env"
  [ -f "$env" ] || { echo "kernel_release: $env missing; run test/vm/setup-host.sh" >&2; return 1; }
  local var="KREL_${1//./_}"
  # shellcheck disable=SC1090
  (. "$env"; eval "printf '%s\n' \"\${$var:-}\"") | grep . || { echo "kernel_release: unknown kernel line '$1' (known: ${PVAL_KERNEL_LINES[*]})" >&2; return 1; }
}

kernel_image_dir() { echo "$PVAL_CACHE/kernels/$1"; }
kernel_headers_dir() { echo "/usr/src/linux-headers-$1"; }
