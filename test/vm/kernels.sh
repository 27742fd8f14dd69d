# shellcheck shell=bash
# Kernel versions the VM suites run on, and where their files live.
#
# Each "line" is a Debian cloud kernel: 6.1 from bookworm (security updates
# included), 6.12 from bookworm-backports, 7.x the newest of
# trixie-backports. The exact ABI name (e.g. 6.1.0-56-cloud-amd64) is
# resolved from apt at setup time and recorded in .cache/vm/kernels.env, so
# the suites follow Debian's updates.

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

# --- Kernels built in a Debian trixie root -------------------------------
# trixie-backports' kernels are built with trixie's gcc 14 and glibc: their
# headers (and the kbuild tools in them) only work inside a trixie root,
# which setup-host.sh makes in .cache/vm/trixie-root. Modules for such a
# kernel are built in that root, through kernel_make.
PVAL_KERNEL_LINES+=(7.x)

kernel_trixie_root() { echo "$PVAL_CACHE/trixie-root"; }

# kernel_build_root KREL -> the root whose /usr/src holds KREL's headers, or
# nothing when they are the host's own.
kernel_build_root() {
  local root
  root=$(kernel_trixie_root)
  if [ ! -d "$(kernel_headers_dir "$1")" ] && [ -d "$root$(kernel_headers_dir "$1")" ]; then echo "$root"; fi
}

# kernel_make KREL DIR [MAKE_ARGS...]: kbuild for the external module in
# DIR against KREL's headers, on the host or in the kernel's build root (DIR
# bound to /build there, and /proc for objtool, in a mount namespace of its
# own, so nothing stays mounted and builds can run side by side).
kernel_make() {
  local krel=$1 dir=$2 root
  shift 2
  root=$(kernel_build_root "$krel")
  if [ -z "$root" ]; then
    make -C "$(kernel_headers_dir "$krel")" M="$dir" "$@"
    return
  fi
  unshare --mount --propagation private -- sh -c '
    root=$1 dir=$2 hdr=$3; shift 3
    mount --bind "$dir" "$root/build" && mount --bind /dev/null "$root/dev/null" &&
      mount -t proc proc "$root/proc" || exit 1
    exec chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME=/root \
      make -C "$hdr" M=/build "$@"' sh "$root" "$dir" "$(kernel_headers_dir "$krel")" "$@"
}
