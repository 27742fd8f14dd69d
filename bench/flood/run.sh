#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Flood benchmark: boots the test VM on each kernel line and runs flood.sh
# there (packets/s through pval0 with ipopt + txcopy + rxcopy + swtstamp,
# against the same traffic on a bare veth pair, in the same boot).
#
#   bench/flood/run.sh [--kernel 6.1|6.12]... [--wall] [--profile] [DURATION [ROUNDS]]
#
# By default the guest has one CPU and QEMU counts instructions (-icount
# shift=0): guest time advances 1 ns per instruction, whatever the host is
# doing, so runs repeat (to the packet on 6.1, within a percent on 6.12) and
# the ratio is the cost of pval in instructions, the reader's included (it
# shares the one CPU).
# Defaults: 1-second floods, 3 rounds.
#
# --wall boots two CPUs on the host's clock instead (sender on CPU 0, sink
# and reader on CPU 1): rates in real time under TCG, which vary with the
# host from round to round.  Defaults: 2-second floods, 11 rounds.
#
# --profile runs profile.sh instead, with the host's perf in the guest:
# where the cost per packet goes, by kernel symbol, bare against pval
# (DURATION only, default 2 seconds).
#
# FLOOD_* variables in the environment (see lib.bash) are passed on.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lines=() args=() wall=0 script=flood.sh extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) lines+=("$2"); shift 2 ;;
	--wall) wall=1; shift ;;
	--profile)
		command -v perf >/dev/null || { echo "run.sh: --profile needs perf on the host (apt-get install linux-perf)" >&2; exit 2; }
		script=profile.sh extra=(--with "$(command -v perf)")
		shift
		;;
	-h | --help) sed -n '2,23p' "$0"; exit 0 ;;
	*) args+=("$1"); shift ;;
	esac
done
[ ${#lines[@]} -gt 0 ] || lines=(6.1 6.12)
if [ $wall = 1 ]; then
	[ ${#args[@]} -gt 0 ] || [ $script != flood.sh ] || args=(2 11)
	vm=(--cpus 2)
	env=(FLOOD_CLOCK=host)
else
	[ ${#args[@]} -gt 0 ] || [ $script != flood.sh ] || args=(1 3)
	vm=(--cpus 1 --qemu -icount --qemu shift=0,sleep=off)
	env=(FLOOD_CLOCK=icount)
fi
# FLOOD_* settings (FLOOD_SWITCHES, FLOOD_READERS, ...) go to
# the guest.
for v in $(compgen -e | grep '^FLOOD_' | grep -v '^FLOOD_CLOCK$'); do env+=("$v=${!v}"); done
status=0
for line in "${lines[@]}"; do
	"$root/test/vm/run.sh" --kernel "$line" --timeout 1800 "${vm[@]}" ${extra[@]+"${extra[@]}"} -- \
		env "${env[@]}" bash bench/flood/$script ${args[@]+"${args[@]}"} || status=1
done
exit $status
