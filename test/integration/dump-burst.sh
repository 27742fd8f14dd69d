#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dump-burst: nothing is lost silently through @pval/chardev.  A burst of
# N = 100,000 UDP datagrams crosses pval0 while the addon reads every ring of
# that direction: slots read + ring drops (PVAL_IOC_RING_STATS, as reported
# alongside the batches) = N, and every slot read is one of the datagrams.
# Then the same through `pval dump --json > /dev/null`, whose Ctrl-C summary
# must add up to N as well.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"
. "$(dirname "$0")/dump-lib.bash"

require_root
require_cmd "$NLPVAL" "$SEND"
COUNTER=$PVAL_ROOT/packages/chardev/bench/read-count.mjs
dump_require_built
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

N=${PVAL_BURST_N:-100000}
T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }

cd_setup pval0 txcopy 1 rxcopy 1 swtstamp 1 || { echo "SKIP: cannot build the topology"; exit $ksft_skip; }

# addon_burst tx|rx: read-count.mjs on every ring of one direction during
# the burst.
addon_burst()
{
	local dir=$1 sent slots udp drops
	cd_bg "$T/$dir" node "$COUNTER" -r -w 4000 -u "$PORT" "--$dir" pval0 || check_err 1 "reader did not start: $(cat "$T/$dir")"
	if [ "$dir" = tx ]; then sent=$(cd_send_a "$N"); else sent=$(cd_send_b "$N"); fi
	cd_wait "$CD_PID" 180 || check_err 1 "reader: $(cat "$T/$dir")"
	[ "$(cd_sent_field "$sent" sent)" = "$N" ] || check_err 1 "sender: $sent"
	slots=$(field "$T/$dir" slots)
	udp=$(field "$T/$dir" udp)
	drops=$(field "$T/$dir" drops)
	info "$dir: $sent"
	info "$dir: $(grep '^slots' "$T/$dir")"
	info "$dir: slots read $slots + ring drops $drops = $((slots + drops)) of $N sent"
	[ "$((slots + drops))" = "$N" ] || check_err 1 "slots $slots + drops $drops != $N"
	[ "$udp" = "$slots" ] || check_err 1 "$((slots - udp)) slots are not the burst's datagrams"
	log_test "addon, $N-datagram burst on $dir: slots read + ring drops = packets sent"
}

dump_burst()
{
	local pid sent read drops devs
	devs=$(cd_devs pval0 tx)
	node "$PVAL_CLI" dump -v pval0 --tx --json >/dev/null 2>"$T/dump.err" &
	pid=$!
	for ((i = 0; i < 400; i++)); do
		[ "$(ls -l "/proc/$pid/fd" 2>/dev/null | grep -c -- '-> /dev/pval/pval0-tx-')" = "$NCPU" ] && break
		sleep 0.05
	done
	sent=$(cd_send_a "$N")
	sleep 3
	kill -INT $pid
	cd_wait $pid 120 || check_err 1 "pval dump: exit $?: $(cat "$T/dump.err")"
	sed 's/^/    /' "$T/dump.err"
	read=$(sed -n 's/^dump: \([0-9]*\) slots read, \([0-9]*\) ring drops$/\1/p' "$T/dump.err")
	drops=$(sed -n 's/^dump: \([0-9]*\) slots read, \([0-9]*\) ring drops$/\2/p' "$T/dump.err")
	info "pval dump --json: slots read $read + ring drops $drops = $((read + drops)) of $N sent"
	[ "$((read + drops))" = "$N" ] || check_err 1 "pval dump: $read + $drops != $N"
	# -v: each device's reader thread asked pval.ko for wakeups at 64 slots.
	[ "$(grep -c '^dump: /dev/pval/pval0-tx-cpu-[0-9]*: reader thread .*, woken at 64 slots$' "$T/dump.err")" = "$NCPU" ] ||
		check_err 1 "pval dump -v: not every device's reader thread reports wakeups at 64 slots"
	log_test "pval dump --json, $N-datagram burst: summary slots read + ring drops = packets sent; wakeups at 64 slots"
}

addon_burst tx
addon_burst rx
dump_burst
pval_exit
