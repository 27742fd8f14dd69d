#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# chardev-tstamp: timestamps in the slots.  swtstamp fills tstamp with
# CLOCK_REALTIME ns where the packet crosses pval: never zero, never going
# back within a ring, inside the sender's own clock readings around the
# burst.  Without swtstamp tstamp is 0.  Hardware timestamps on a lower
# device without them (veth) are refused with a message.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"

require_root
require_cmd "$READ" "$SEND" "$NLPVAL"
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

N=2000
T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

# stamped DIR: a burst of N towards the DIR rings with per-ring checks.
stamped()
{
	local dir=$1 out=$T/$1 sent t0 t1 tsmin tsmax drops
	cd_bg "$out" "$READ" -r -M epoll -c -s -u $PORT -n $N -w 3000 $(cd_devs pvt "$dir") ||
		{ check_err 1 "reader did not start"; return; }
	if [ "$dir" = tx ]; then sent=$(cd_send_a $N); else sent=$(cd_send_b $N); fi
	cd_wait "$CD_PID" 60 || check_err 1 "reader: $(cat "$out")"
	t0=$(cd_sent_field "$sent" t0)
	t1=$(cd_sent_field "$sent" t1)
	tsmin=$(cd_field "$out" tsmin)
	tsmax=$(cd_field "$out" tsmax)
	drops=$(( $(cd_stats_sum "$out" dropped_full) + $(cd_stats_sum "$out" dropped_nomem) ))
	info "$dir: sender clock [$t0, $t1], slot stamps [$tsmin, $tsmax]," \
		"first $(( (tsmin - t0) / 1000 )) us after t0, last $(( (tsmax - t1) / 1000 )) us after t1;" \
		"$(cd_field "$out" slots) slots ($drops dropped), $(cd_field "$out" tszero) zero, $(cd_field "$out" tsback) going back"
	# A slow guest may overflow a ring: what was read plus what was
	# counted lost is the burst.
	[ "$(cd_field "$out" udp)" -gt 0 ] && [ $(( $(cd_field "$out" udp) + drops )) = $N ] ||
		check_err 1 "slots + drops != $N: $(cat "$out")"
	[ "$(cd_field "$out" tszero)" = 0 ] || check_err 1 "zero timestamps"
	[ "$(cd_field "$out" tsback)" = 0 ] || check_err 1 "timestamps going back within a ring"
	[ "$tsmin" -ge "$t0" ] || check_err 1 "a stamp before the sender's first clock reading"
	if [ "$dir" = tx ]; then
		# Sent synchronously inside sendmmsg(): within the sender's readings.
		[ "$tsmax" -le "$t1" ] || check_err 1 "a TX stamp after the sender's last clock reading"
	else
		# Received from the backlog, possibly after sendmmsg() returned.
		[ "$tsmax" -le $((t1 + 2000000000)) ] || check_err 1 "an RX stamp 2 s after the burst"
	fi
}

cd_setup pvt txcopy 1 rxcopy 1 swtstamp 1 slots 8192 || { echo "FAIL: setup"; exit 1; }

stamped tx
log_test "swtstamp TX: stamps of a $N burst non-zero, monotonic per ring, within the sender's CLOCK_REALTIME"
stamped rx
log_test "swtstamp RX: stamps of a $N burst non-zero, monotonic per ring, after the peer's first send"

ip netns exec "$NS_A" "$NLPVAL" set pvt swtstamp 0 || check_err 1 "swtstamp 0"
cd_bg "$T/off" "$READ" -r -M epoll -u $PORT -n 10 -w 2000 $(cd_devs pvt tx) || check_err 1 "reader"
cd_send_a 10 >/dev/null
cd_wait "$CD_PID" 10
[ "$(cd_field "$T/off" tszero)" = 10 ] || check_err 1 "stamps without swtstamp: $(cat "$T/off")"
log_test "swtstamp off: tstamp is 0"

for sw in txtstamp rxtstamp; do
	out=$(ip netns exec "$NS_A" "$NLPVAL" set pvt $sw 1 2>&1)
	check_fail $? "$sw on veth accepted"
	expect_err_msg "$out" "no hardware"
	info "$sw 1 on veth: $out"
	ip netns exec "$NS_A" "$NLPVAL" show pvt | grep -q "$sw off" || check_err 1 "$sw changed: $(ip netns exec "$NS_A" "$NLPVAL" show pvt)"
	log_test "$sw on a veth lower device is refused with a message and stays off"
done

"$IP" -n "$NS_A" link add vh0 type veth peer name vh1
out=$(ip netns exec "$NS_A" "$NLPVAL" add pvh link vh0 txtstamp 1 2>&1)
check_fail $? "creation with txtstamp on veth accepted"
expect_err_msg "$out" "no hardware"
info "add with txtstamp 1: $out"
"$IP" -n "$NS_A" link show pvh >/dev/null 2>&1 && check_err 1 "refused link exists"
[ -e /dev/pval/pvh-tx-cpu-0 ] && check_err 1 "refused link left devices"
log_test "creation with txtstamp on veth is refused and leaves nothing behind"

pval_exit
