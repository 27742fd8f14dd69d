#!/usr/bin/env bash
# Boots a Debian cloud kernel under QEMU (TCG) and runs one command in it.
#
#   test/vm/run.sh [--kernel 6.1|6.12|7.x|RELEASE] [--timeout SECONDS] [--cpus N]
#                  [--mem MB] [--no-build] [--qemu ARG]... [--with PROGRAM]...
#                  [--nic MODEL]... [--cpu MODEL] -- COMMAND [ARGS...]
#
# --qemu passes one more argument to qemu-system-x86_64 (repeat it for
# several), e.g. --qemu -device --qemu e1000e,netdev=n0 or --qemu -icount
# --qemu shift=0,sleep=off.  --with copies one more host program, with the
# shared libraries it links, into the guest at the same path (e.g. --with
# /usr/bin/perf).
#
# --nic adds an emulated NIC of that QEMU model (igb: Intel 82576, e1000e:
# 82574L; both with a PTP clock).  NICs are cabled back to back in pairs
# through a QEMU hub of their own on the host side, the first to the
# second, the third to the fourth: what one sends, the other receives, and
# nothing else is on the wire.  The guest sees them as eth0, eth1, ... in
# that order (net.ifnames=0) and loads no driver for them.
# --cpu sets the QEMU CPU model (default: max; max,cx16=off before QEMU 10).
#
# The guest sees the repository at /pval (tracked and untracked files, the
# packages' build outputs and their production dependencies), pval.ko built
# for the guest kernel at /pval/kmod/pval.ko and the test driver at
# /pval/test/kmod-hwts/pvalhwts.ko (neither loaded), the C clients
# built on the host in /pval/test/clients/build, and Debian's bash, ip,
# tcpdump, ping, node and kmod. COMMAND runs as root with cwd /pval; its
# output streams here. Exit status: COMMAND's, or 1 when the kernel log
# shows a warning, BUG, Oops, refcount or leak report (even if COMMAND
# passed), or 124 when the guest does not finish in time.
# Logs: test/vm/out/<release>/<run>/{console.log,output.log,dmesg.log}, and
# test/vm/out/<release>/latest pointing at the newest run.
set -euo pipefail
. "$(dirname "$0")/kernels.sh"

line=6.1 timeout=300 cpus=2 mem=2048 build=1 qemu_extra=() with=() nics=() cpu=
while [ $# -gt 0 ]; do
  case $1 in
    --kernel) line=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --qemu) qemu_extra+=("$2"); shift 2 ;;
    --with) with+=("$2"); shift 2 ;;
    --nic) nics+=("$2"); shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "run.sh: no command given (usage: run.sh [options] -- COMMAND...)" >&2; exit 2; }

case $line in
  [0-9]*.*-*) krel=$line ;;
  *) krel=$(kernel_release "$line") ;;
esac
kimg=$(kernel_image_dir "$krel")/boot/vmlinuz-$krel
[ -f "$kimg" ] || { echo "run.sh: no kernel image $kimg; run test/vm/setup-host.sh" >&2; exit 1; }
outdir=$PVAL_ROOT/test/vm/out/$krel/$(date +%H%M%S)-$$
mkdir -p "$outdir"
ln -sfn "$(basename "$outdir")" "$PVAL_ROOT/test/vm/out/$krel/latest"
lock=$PVAL_CACHE/build-$krel.lock

# 1. Build pval.ko and pvalhwts.ko for the guest kernel, each in a copy of
#    its sources of its own so builds for several kernels can run side by
#    side; build the C clients.
kbuild=$PVAL_CACHE/build/$krel/kmod
hbuild=$PVAL_CACHE/build/$krel/kmod-hwts
# build_module SRC DIR NAME: SRC's sources copied to DIR and built there.
build_module() {
  "$PVAL_ROOT/scripts/kmod-build.sh" --src "$1" --out "$2" "$krel" >/dev/null 2>"$outdir/kbuild-$3.log" \
    || { cat "$outdir/kbuild-$3.log" >&2; echo "run.sh: building $3.ko for $krel failed" >&2; exit 1; }
}
if [ $build = 1 ]; then
  (
    flock 9
    build_module kmod "$kbuild" pval
    if [ -d "$PVAL_ROOT/test/kmod-hwts" ]; then build_module test/kmod-hwts "$hbuild" pvalhwts; fi
    # This run's modules, taken before the lock is released: a run from
    # another tree may rebuild the shared build directory next.
    cp "$kbuild/pval.ko" "$outdir/pval.ko"
    if [ -f "$hbuild/pvalhwts.ko" ]; then cp "$hbuild/pvalhwts.ko" "$outdir/pvalhwts.ko"; fi
    if [ -f "$PVAL_ROOT/test/clients/Makefile" ]; then
      make -s -C "$PVAL_ROOT/test/clients" >"$outdir/clients.log" 2>&1 \
        || { cat "$outdir/clients.log" >&2; echo "run.sh: building test/clients failed" >&2; exit 1; }
    fi
  ) 9>"$lock"
fi

# 2. The guest image: the cached base plus this run's payload.
base=$("$PVAL_ROOT/test/vm/mkbase.sh" "$krel")
stage=$(mktemp -d)
initrd=$(mktemp --suffix=.cpio)
cleanup() { rm -rf "$stage" "$initrd"; }
trap cleanup EXIT
mkdir -p "$stage/pval/.vm"
(
  cd "$PVAL_ROOT"
  {
    git ls-files -co --exclude-standard
    # Build outputs of the packages and their production dependencies.
    find packages -maxdepth 3 \( -path '*/node_modules' -prune -o -type d \( -name dist -o -name prebuilds \) -print \) | xargs -r -I{} find {} -type f
    find packages -path '*/build/Release/*.node' 2>/dev/null
    [ -d test/clients/build ] && find test/clients/build -type f
    find . -maxdepth 5 -path '*/node_modules/*' -type l -not -path './node_modules/.pnpm/*' 2>/dev/null
    if command -v pnpm >/dev/null && [ -d node_modules ]; then
      deps=$(pnpm list -r --prod --parseable --depth Infinity 2>/dev/null | grep '/node_modules/' | sed "s#^$PVAL_ROOT/##")
      echo "$deps" | xargs -r -I{} find {} \( -type f -o -type l \)
      # The links beside each package in the store, through which it finds its own dependencies.
      echo "$deps" | sed -n 's#^\(node_modules/\.pnpm/[^/]*/node_modules\)/.*#\1#p' | sort -u | xargs -r -I{} find {} -maxdepth 2 -type l
    fi
  } | sort -u | grep -v '^\.cache/' | grep -v '^test/vm/out/' | while read -r f; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    mkdir -p "$stage/pval/$(dirname "$f")"
    cp -a "$f" "$stage/pval/$f" 2>/dev/null || true
  done
)
# The modules this run built; with --no-build, the last ones built for this
# kernel, taken under the build lock (another run may be rebuilding).
(
  flock 9
  kdir=$kbuild hdir=$hbuild
  if [ -f "$outdir/pval.ko" ]; then kdir=$outdir hdir=$outdir; fi
  if [ -f "$kdir/pval.ko" ]; then cp "$kdir/pval.ko" "$stage/pval/kmod/pval.ko"; fi
  if [ -f "$hdir/pvalhwts.ko" ]; then
    mkdir -p "$stage/pval/test/kmod-hwts"
    cp "$hdir/pvalhwts.ko" "$stage/pval/test/kmod-hwts/pvalhwts.ko"
  fi
) 9>"$lock"
for prog in ${with[@]+"${with[@]}"}; do
  [ -x "$prog" ] || { echo "run.sh: --with $prog: not an executable" >&2; exit 2; }
  for f in "$prog" $(ldd "$prog" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    cp -L --parents "$f" "$stage"
  done
done
printf '%q ' "$@" > "$stage/pval/.vm/cmd"
echo >> "$stage/pval/.vm/cmd"
{ cat "$base"; (cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet); } > "$initrd"

# NICs in pairs, each pair on a hub of its own (hubport netdevs).  They
# are PCIe devices (igb with SR-IOV needs PCIe): a q35 machine, one root port
# per NIC.
nic_args=()
[ ${#nics[@]} = 0 ] || nic_args+=(-machine q35)
for i in "${!nics[@]}"; do
  nic_args+=(-netdev "hubport,id=pvnic$i,hubid=$((i / 2))"
             -device "pcie-root-port,id=pvport$i,chassis=$((i + 1))"
             -device "${nics[$i]},netdev=pvnic$i,bus=pvport$i")
done
if [ $(( ${#nics[@]} % 2 )) = 1 ]; then
  echo "run.sh: --nic ${nics[-1]} has no partner: NICs are cabled in pairs" >&2; exit 2
fi
# CPU model: QEMU's "max" (every feature TCG emulates).  Under Debian 12's
# QEMU 7.2, 6.12 guests needed cmpxchg16b taken away (cx16=off).  QEMU 10
# (setup-host.sh) does not: 10 of 10 boots of the 6.12 cloud kernel and 5
# of 5 of 6.1 with plain "max" (cx16 on both vCPUs) came up and shut down
# with a clean log, and the kmod-hwtstamp and nic-hwtstamp suites pass with
# it.  The workaround stays for an older QEMU only.
if [ -z "$cpu" ]; then
  qemu_major=$(qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\).*/\1/p')
  if [ "${qemu_major:-0}" -ge 10 ]; then cpu=max; else cpu=max,cx16=off; fi
fi

# 3. Boot. ttyS0 carries the kernel console (kept in console.log even if the
#    guest hangs); ttyS1 carries the command's output.
: > "$outdir/console.log"
echo "run.sh: booting $krel ($cpus vCPUs, ${mem} MB, timeout ${timeout}s): $*" >&2
# A guest that is not up within $boot_limit seconds is booted again (at most
# twice more): under a loaded host, TCG boots now and then stall early.
boot() {
  : > "$outdir/console.log"
  : > "$outdir/output.log"
  # qemu runs as our direct child (so every kill reaches it, not a wrapper)
  # and without fd 8, so a guest can never hold a VM slot's lock on its own.
  qemu-system-x86_64 \
    -accel tcg -cpu "$cpu" -smp "$cpus" -m "$mem" \
    -nodefaults -no-reboot -display none -nic none \
    -kernel "$kimg" -initrd "$initrd" \
    -append "console=ttyS0 rdinit=/init panic=-1 ignore_loglevel printk.time=1 tsc=reliable net.ifnames=0 cryptomgr.notests watchdog_thresh=30" \
    -serial "file:$outdir/console.log" -serial "file:$outdir/output.log" \
    ${nic_args[@]+"${nic_args[@]}"} ${qemu_extra[@]+"${qemu_extra[@]}"} </dev/null 8>&- &
  qpid=$!
  # The run's time limit: the watchdog kills the guest (wait then reports 137).
  (sleep "$timeout" && kill -KILL "$qpid") </dev/null >/dev/null 2>&1 8>&- &
  wdpid=$!
  local waited=0 rc
  until grep -aq '^@@PVAL-GUEST-UP' "$outdir/output.log"; do
    if ! kill -0 "$qpid" 2>/dev/null || [ $waited -ge "$boot_limit" ]; then
      stop_guest
      return 99
    fi
    sleep 1; waited=$((waited + 1))
  done
  tail -n +1 -f --pid="$qpid" "$outdir/output.log" | sed -u '/^@@PVAL-DMESG-BEGIN@@/,/^@@PVAL-DMESG-END@@/d'
  wait "$qpid"
  rc=$?
  kill "$wdpid" 2>/dev/null; wait "$wdpid" 2>/dev/null
  qpid= wdpid=
  return $rc
}
# Kills the guest and its watchdog, if any; also on exit, so that an
# interrupted run.sh leaves no qemu behind.
qpid= wdpid=
stop_guest() {
  [ -z "$qpid" ] || { kill -KILL "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; }
  [ -z "$wdpid" ] || { kill "$wdpid" 2>/dev/null; wait "$wdpid" 2>/dev/null; }
  qpid= wdpid=
}
trap 'stop_guest; cleanup' EXIT
trap 'stop_guest; exit 130' INT
trap 'stop_guest; exit 143' TERM
boot_limit=${PVAL_BOOT_LIMIT:-180}
# At most $PVAL_VM_SLOTS guests at once on this host: each TCG guest keeps
# its vCPUs' host threads busy, and an overloaded host stalls guests.
slots=${PVAL_VM_SLOTS:-2}
exec 8>/dev/null
while :; do
  for i in $(seq 1 "$slots"); do
    exec 8>"$PVAL_CACHE/vm-slot-$i.lock"
    flock -n 8 && break 2
  done
  sleep 2
done
set +e
for attempt in 1 2 3; do
  boot
  qrc=$?
  [ $qrc = 99 ] || break
  echo "run.sh: the guest was not up after ${boot_limit}s (attempt $attempt); last kernel messages:" >&2
  tail -n 5 "$outdir/console.log" | tr -d '\r' >&2
  cp "$outdir/console.log" "$outdir/console-stalled-$attempt.log"
done
set -e

sed -n '/^@@PVAL-DMESG-BEGIN@@/,/^@@PVAL-DMESG-END@@/p' "$outdir/output.log" | sed '1d;$d' > "$outdir/dmesg.log"
[ -s "$outdir/dmesg.log" ] || cp "$outdir/console.log" "$outdir/dmesg.log"
rc=$(sed -n 's/^@@PVAL-RC=\([0-9]*\)@@.*/\1/p' "$outdir/output.log" | tail -1)

if [ -z "$rc" ]; then
  if [ "$qrc" = 137 ]; then
    echo "run.sh: FAIL: the guest did not finish within ${timeout}s (killed); last kernel messages:" >&2
    rc=124
  else
    echo "run.sh: FAIL: the guest stopped before the command finished (qemu exit $qrc); last kernel messages:" >&2
    rc=1
  fi
  tail -n 40 "$outdir/console.log" | tr -d '\r' >&2
fi

# Any of these in the kernel log fails the run.
bad='WARNING:|BUG:|Oops|kernel BUG|general protection fault|refcount_t:|UBSAN:|KASAN:|kmemleak|unregister_netdevice: waiting|Call Trace:|list_(add|del) corruption|sleeping function called from invalid context|INFO: task .* blocked|rcu: INFO|soft lockup|hard LOCKUP|double free|use-after-free'
if grep -Eq "$bad" "$outdir/dmesg.log" "$outdir/console.log"; then
  echo "run.sh: FAIL: the kernel log of $krel has a warning or error report:" >&2
  grep -Eh -A 12 "$bad" "$outdir/console.log" | tr -d '\r' | head -60 >&2
  [ "$rc" = 0 ] && rc=1
fi
echo "run.sh: $krel: exit $rc (logs in ${outdir#"$PVAL_ROOT"/})" >&2
exit "$rc"
