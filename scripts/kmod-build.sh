#!/usr/bin/env bash
# Builds pval.ko (or another external module of this tree) for one kernel
# and prints the path of the .ko. The kernel is a configured line (6.1,
# 6.12, 7.x: test/vm/kernels.sh) or any release whose headers are installed
# (/usr/src/linux-headers-RELEASE or /lib/modules/RELEASE/build, e.g.
# $(uname -r)); kernels whose headers need another distribution's compiler
# are built in their root (kernel_make). The sources are copied to OUT
# first, so builds for several kernels can run side by side and the tree
# stays clean. kbuild's output goes to stderr.
#
#   scripts/kmod-build.sh [--src DIR] [--out DIR] KERNEL [MAKE_VAR=VALUE...]
#
#   --src DIR   module sources, relative to the repository (default kmod)
#   --out DIR   build directory, emptied first
#               (default .cache/kmod-build/RELEASE/<basename of DIR>)
#   e.g. scripts/kmod-build.sh 7.x W=1 C=2
set -euo pipefail
. "$(dirname "$0")/../test/vm/kernels.sh"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
src=kmod out=
while [ $# -gt 0 ]; do
  case $1 in
    --src) src=${2:?--src needs a directory}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "kmod-build: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "kmod-build: no kernel given (a line: ${PVAL_KERNEL_LINES[*]}, or a release)" >&2; exit 2; }
kernel=$1
shift
for arg in "$@"; do
  case $arg in
    *=*) ;;
    *) echo "kmod-build: '$arg' is not a make variable (NAME=VALUE)" >&2; exit 2 ;;
  esac
done

case " ${PVAL_KERNEL_LINES[*]} " in
  *" $kernel "*) krel=$(kernel_release "$kernel") ;;
  *) krel=$kernel ;;
esac
[ -f "$PVAL_ROOT/$src/Kbuild" ] || [ -f "$PVAL_ROOT/$src/Makefile" ] \
  || { echo "kmod-build: $PVAL_ROOT/$src has no Kbuild or Makefile" >&2; exit 2; }
name=$(basename "$src")
out=${out:-$PVAL_ROOT/.cache/kmod-build/$krel/$name}

# Headers: the host's, a build root's, or those of an installed kernel.
if [ ! -d "$(kernel_headers_dir "$krel")" ] && [ -z "$(kernel_build_root "$krel")" ]; then
  if [ -d "/lib/modules/$krel/build" ]; then
    kernel_headers_dir() { echo "/lib/modules/$1/build"; }
  else
    echo "kmod-build: no headers for kernel '$krel' (not a line of test/vm/kernels.sh, no $(kernel_headers_dir "$krel"), no /lib/modules/$krel/build); run test/vm/setup-host.sh or install linux-headers-$krel" >&2
    exit 1
  fi
fi

# Sources only: build products of another kernel must not be linked in.
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
(cd "$PVAL_ROOT/$src" && git ls-files -co --exclude-standard . | cpio -pdm --quiet "$out")
kernel_make "$krel" "$out" "$@" modules >&2 || { echo "kmod-build: building $name.ko for $krel failed" >&2; exit 1; }
ko=$(find "$out" -maxdepth 1 -name '*.ko' | head -1)
[ -n "$ko" ] || { echo "kmod-build: kbuild made no .ko in $out" >&2; exit 1; }
echo "$ko"
