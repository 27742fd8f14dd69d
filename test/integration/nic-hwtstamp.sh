#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nic-hwtstamp: txtstamp on real drivers.  Two NICs of QEMU's igb model
# (Intel 82576) cabled back to back through a QEMU hub, driven by Debian's
# igb driver (the generic 6.12 kernel; the cloud kernels have no igb), and
# a pair of e1000e (82574L) if the guest has one:
#
#   test/vm/run.sh --kernel generic --nic igb --nic igb --nic e1000e --nic e1000e \
#       -- env PVAL_NIC_REQUIRED=1 bash test/integration/run-all.sh nic-hwtstamp
#
# igb: eth0 in $NS_A is the lower device of a pval link, eth1 in $NS_B the
# peer.  eth0's PTP hardware clock (/dev/ptpN) is set far from
# CLOCK_REALTIME, so a stamp from it cannot be mistaken for a software one.
# Checked: the link's configuration of eth0, rxtstamp refused (the 82576 has
# no filter for all packets), TX copies stamped by the PHC between two
# readings of it, one at a time and in bursts (monotonic per ring,
# txbusydrop on and off), RX copies unstamped, txtstamp off/on and link
# deletion under stamped traffic, rmmod pval and rmmod igb under a stamping
# link, and a clean kernel log.  e1000e: see test_e1000e.
#
# Without two igb NICs the suite is skipped, or fails with
# PVAL_NIC_REQUIRED=1 (test/vm/run-nic-suite.sh, which CI runs, sets it).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"

PHC=$PVAL_CLIENTS/phc
HWTS=$PVAL_CLIENTS/hwtstamp
DRIVER=igb
# eth0's clock is set to 10^15 ns (12 days after the epoch): its stamps
# read as January 1970, CLOCK_REALTIME as today.
PHC_BASE=1000000000000000

require_root
require_cmd "$READ" "$SEND" "$NLPVAL" "$HWTS" "$PHC" node

# no_nics WHY: skip, or fail where the NICs are required.
no_nics()
{
	if [ "${PVAL_NIC_REQUIRED:-0}" = 1 ]; then
		echo "FAIL: $DRIVER NICs: $1"
		exit 1
	fi
	echo "SKIP: $1"
	exit $ksft_skip
}

# nics_of DRIVER: the interfaces (in init_net) the driver drives, sorted.
nics_of()
{
	local d
	for d in /sys/class/net/*/device/driver; do
		[ "$(basename "$(readlink -f "$d")")" = "$1" ] && basename "$(dirname "$(dirname "$d")")"
	done | sort
}

modprobe "$DRIVER" 2>/dev/null || no_nics "no $DRIVER driver in $(uname -r) (boot the generic kernel: run.sh --kernel generic)"
for ((i = 0; i < 50; i++)); do
	[ "$(nics_of "$DRIVER" | wc -l)" -ge 2 ] && break
	sleep 0.1
done
read -r NIC_A NIC_B _ <<<"$(nics_of "$DRIVER" | tr '\n' ' ')"
[ -n "$NIC_B" ] || no_nics "fewer than two $DRIVER NICs (run.sh --nic $DRIVER --nic $DRIVER)"
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

T=$(mktemp -d)
dmesg_start=$(dmesg | wc -l)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cleanup_netns
	rm -rf "$T"
}
trap cleanup EXIT

nsa() { ip netns exec "$NS_A" "$@"; }
nsb() { ip netns exec "$NS_B" "$@"; }
nlp() { nsa "$NLPVAL" "$@"; }
hw_cfg() { nsa "$HWTS" get "$NIC_A"; }
# phc_now: eth0's clock in ns.
phc_now() { "$PHC" get "$PHC_DEV" | awk '{ print $2 }'; }
in_phc() { [ "$1" -ge "$PHC_BASE" ] && [ "$1" -lt $((PHC_BASE + 10 ** 13)) ]; }
CD_LOWER=$NIC_A
CD_PEER=$NIC_B

udp_stamps() { cd_udp_slots "$1"; }
tx_reader() { cd_tx_reader pvn "$@"; }

# sink_start NS: a UDP socket in NS counting what arrives until 3 s pass
# without a datagram (30 s in all); sink_count waits for it and sets SINK_GOT.
sink_start() { ip netns exec "$1" "$SEND" -R -w 3000 -t 30 $PORT >"$T/sink" & SINK_PID=$!; sleep 0.2; }
sink_count() { wait "$SINK_PID"; SINK_GOT=$(awk '$1 == "received" { print $2 }' "$T/sink"); }

test_nics()
{
	local i up info_a

	netns_add "$NS_A" && netns_add "$NS_B"
	check_err $? "namespaces"
	"$IP" link set "$NIC_A" netns "$NS_A" && "$IP" link set "$NIC_B" netns "$NS_B"
	check_err $? "moving $NIC_A and $NIC_B into the namespaces"
	cd_quiet "$NS_A" "$NIC_A"
	cd_quiet "$NS_B" "$NIC_B"
	"$IP" -n "$NS_B" addr add "$PVAL_ADDR_B/24" dev "$NIC_B"
	"$IP" -n "$NS_A" link set "$NIC_A" up && "$IP" -n "$NS_B" link set "$NIC_B" up
	check_err $? "links up"
	for ((i = 0; i < 100; i++)); do
		up="$(nsa cat "/sys/class/net/$NIC_A/carrier" 2>/dev/null)$(nsb cat "/sys/class/net/$NIC_B/carrier" 2>/dev/null)"
		[ "$up" = 11 ] && break
		sleep 0.1
	done
	[ "$up" = 11 ] || check_err 1 "no carrier on $NIC_A/$NIC_B after 10 s"
	info_a=$(nsa "$PHC" info "$NIC_A")
	check_err $? "ETHTOOL_GET_TS_INFO $NIC_A: $info_a"
	PHC_DEV=$(awk '{ print $2 }' <<<"$info_a")
	info "$NIC_A: $info_a"
	info "$NIC_B: $(nsb "$PHC" info "$NIC_B")"
	[ -n "$PHC_DEV" ] && [ -c "$PHC_DEV" ] || check_err 1 "$NIC_A has no PTP clock: $info_a"
	grep -q 'tx_hw 1 rx_hw 1' <<<"$info_a" || check_err 1 "$NIC_A does not report hardware timestamping: $info_a"
	log_test "$DRIVER: $NIC_A and $NIC_B up, cabled back to back; $NIC_A has a PTP clock ($PHC_DEV) and hardware TX/RX timestamping"
}

# The PHC runs, and is set where no software clock is.
test_phc()
{
	local out p0 r0 p1 r1 rate

	out=$("$PHC" set "$PHC_DEV" $PHC_BASE)
	check_err $? "clock_settime $PHC_DEV: $out"
	read -r _ p0 _ r0 <<<"$out"
	sleep 1
	read -r _ p1 _ r1 <<<"$("$PHC" get "$PHC_DEV")"
	rate=$(awk -v a=$((p1 - p0)) -v b=$((r1 - r0)) 'BEGIN { printf "%.4f", a / b }')
	info "$PHC_DEV set to $PHC_BASE: read $p0 (CLOCK_REALTIME $r0), 1 s later $p1 (CLOCK_REALTIME $r1); PHC/REALTIME rate $rate"
	in_phc "$p0" && in_phc "$p1" || check_err 1 "$PHC_DEV reads $p0, $p1 after being set to $PHC_BASE"
	[ "$p1" -gt "$p0" ] || check_err 1 "$PHC_DEV does not advance"
	awk -v r="$rate" 'BEGIN { exit !(r > 0.5 && r < 2) }' || check_err 1 "$PHC_DEV runs at $rate of CLOCK_REALTIME"
	log_test "$DRIVER: $PHC_DEV set to $PHC_BASE ns runs with CLOCK_REALTIME (rate $rate)"
}

test_config()
{
	local out before

	before=$(hw_cfg)
	check_err $? "SIOCGHWTSTAMP $NIC_A: $before"
	cd_link pvn txcopy 1 rxcopy 1 txtstamp 1
	check_err $? "nl-pval add pvn link $NIC_A txtstamp 1 refused"
	out=$(hw_cfg)
	info "$NIC_A before: $before; with txtstamp on: $out"
	[ "$before" = "tx_type off rx_filter none" ] || check_err 1 "$NIC_A before the link: $before"
	[ "$out" = "tx_type on rx_filter none" ] || check_err 1 "$NIC_A while pval stamps: $out"
	log_test "$DRIVER: link with txtstamp on is accepted; $NIC_A reads back tx_type on"

	# The 82576 cannot stamp every received packet (igb's HWTSTAMP_FILTER_ALL
	# is for later chips), so rxtstamp is refused and nothing changes.
	out=$(nlp set pvn rxtstamp 1 2>&1)
	check_fail $? "rxtstamp on was accepted on $DRIVER"
	expect_err_msg "$out" "refused the hardware timestamp configuration"
	info "rxtstamp on: $out; $NIC_A: $(hw_cfg)"
	[ "$(hw_cfg)" = "tx_type on rx_filter none" ] || check_err 1 "$NIC_A after the refusal: $(hw_cfg)"
	nlp show pvn | grep -q 'txtstamp on rxtstamp off' || check_err 1 "switches: $(nlp show pvn | head -1)"
	log_test "$DRIVER: rxtstamp on is refused (the 82576 has no filter for all packets); txtstamp stays on"
}

# One datagram at a time, the PHC read before and after each: its TX copy
# carries a stamp between the two readings.
test_tx_one()
{
	local i n=20 p0 p1 dev ts prev=0 bad=0 shown=0

	for ((i = 0; i < n; i++)); do
		tx_reader "$T/one" -n 1 -w 3000 || { check_err 1 "reader did not start"; break; }
		p0=$(phc_now)
		cd_send_a 1 >/dev/null
		cd_wait "$CD_PID" 10 >/dev/null
		p1=$(phc_now)
		read -r dev ts <<<"$(udp_stamps "$T/one")"
		if [ -z "$ts" ] || [ "$ts" -le "$p0" ] || [ "$ts" -ge "$p1" ] || [ "$ts" -le "$prev" ]; then
			bad=$((bad + 1))
			info "datagram $i: PHC $p0, copy [$dev $ts], PHC $p1"
		elif [ $shown -lt 3 ]; then
			info "datagram $i: PHC read $p0, TX copy ${dev#/dev/pval/} tstamp $ts, PHC read $p1" \
				"(stamp $((ts - p0)) ns after the first reading)"
			shown=$((shown + 1))
		fi
		[ -n "$ts" ] && prev=$ts
	done
	[ $bad = 0 ] || check_err 1 "$bad of $n TX copies not stamped between the PHC readings around them"
	log_test "$DRIVER: $n datagrams one at a time: each TX copy carries $PHC_DEV's time, between the readings before and after, increasing"
}

# ring_check FILE P0 P1: per TX ring, the stamped slots lie in (P0, P1) and
# never go back; prints "stamped N zero N back N outside N".
ring_check()
{
	udp_stamps "$1" | awk -v p0="$2" -v p1="$3" '
		$2 == 0 { zero++; next }
		{ stamped++
		  if ($2 <= p0 || $2 >= p1) outside++
		  if ($1 in last && $2 < last[$1]) back++
		  last[$1] = $2 }
		END { printf "stamped %d zero %d back %d outside %d\n", stamped, zero, back, outside }'
}

# burst DROP: N datagrams from both CPUs at once.  The 82576 holds one TX
# stamp at a time, so many find it outstanding: txbusydrop decides.
test_burst()
{
	local drop=$1 n=300 o=$T/burst-$1 p0 p1 res busy0 busy drop0 drops stamped zero back outside half s0
	local tx0 rx0 wire got

	nlp set pvn txbusydrop "$drop" || check_err 1 "txbusydrop $drop"
	busy0=$(pval_stat "$NS_A" pvn txtstamp_busy)
	drop0=$(link_stat "$NS_A" pvn tx dropped)
	tx0=$(link_stat "$NS_A" "$NIC_A" tx packets)
	rx0=$(link_stat "$NS_B" "$NIC_B" rx packets)
	tx_reader "$o" -w 3000 || { check_err 1 "reader did not start"; return; }
	p0=$(phc_now)
	half=$((n / 2))
	nsa taskset -c 0 "$SEND" -n $half "$PVAL_ADDR_B" $PORT >/dev/null &
	s0=$!
	nsa taskset -c $((NCPU - 1)) "$SEND" -n $((n - half)) "$PVAL_ADDR_B" $PORT >/dev/null
	wait $s0
	cd_wait "$CD_PID" 30 >/dev/null
	p1=$(phc_now)
	wire=$(( $(link_stat "$NS_A" "$NIC_A" tx packets) - tx0 ))
	got=$(( $(link_stat "$NS_B" "$NIC_B" rx packets) - rx0 ))
	busy=$(( $(pval_stat "$NS_A" pvn txtstamp_busy) - busy0 ))
	drops=$(( $(link_stat "$NS_A" pvn tx dropped) - drop0 ))
	res=$(ring_check "$o" "$p0" "$p1")
	read -r _ stamped _ zero _ back _ outside <<<"$res"
	info "txbusydrop $drop, $n datagrams from CPUs 0 and $((NCPU - 1)): $res; txtstamp_busy +$busy, tx dropped +$drops; $NIC_A sent $wire, $NIC_B received $got;" \
		"rings: $(udp_stamps "$o" | awk '$2 != 0 { c[$1]++ } END { for (d in c) printf "%s %d ", d, c[d] }')"
	[ "$stamped" -gt 0 ] || check_err 1 "no stamped copy"
	[ "$back$outside" = 00 ] || check_err 1 "stamps going back within a ring ($back) or outside the PHC readings ($outside)"
	if [ "$drop" = 1 ]; then
		[ $((stamped + busy)) = $n ] && [ "$zero" = 0 ] || check_err 1 "stamped $stamped + busy $busy != $n, or $zero zero slots"
		[ "$drops" = "$busy" ] && [ "$wire" = "$stamped" ] || check_err 1 "drops $drops, busy $busy, $NIC_A sent $wire, stamped $stamped"
		log_test "$DRIVER: txbusydrop on, $n at once: what leaves $NIC_A is stamped by $PHC_DEV, monotonic per ring; the rest dropped and counted"
	else
		[ $((stamped + zero)) = $n ] && [ "$zero" = "$busy" ] || check_err 1 "stamped $stamped + zero $zero != $n, or zero != busy $busy"
		[ "$wire" = $n ] && [ "$drops" = 0 ] || check_err 1 "$NIC_A sent $wire of $n, $drops dropped"
		log_test "$DRIVER: txbusydrop off, $n at once: all leave $NIC_A, stamped copies monotonic per ring, the others 0 and counted"
	fi
}

# Without rxtstamp (refused above) and swtstamp, RX copies carry 0: the
# driver's clock never leaks into them.
test_rx_unstamped()
{
	local n=50 o=$T/rx

	sink_start "$NS_A"
	cd_bg "$o" "$READ" -r -M epoll -c -u $PORT -n $n -w 3000 $(cd_devs pvn rx) ||
		{ check_err 1 "reader did not start"; return; }
	sleep 0.2
	cd_send_b $n >/dev/null
	cd_wait "$CD_PID" 30 >/dev/null
	sink_count
	info "RX: $(grep '^slots' "$o")"
	[ "$(cd_field "$o" udp)" = $n ] || check_err 1 "$(cd_field "$o" udp) of $n RX slots"
	[ "$(cd_field "$o" tszero)" = $n ] || check_err 1 "RX slots with a stamp: $((n - $(cd_field "$o" tszero)))"
	log_test "$DRIVER: $n datagrams from the peer: one RX copy each, tstamp 0 (rxtstamp is off)"
}

# Stamped traffic both ways while txtstamp goes off and on and the link is
# deleted; eth0's configuration comes back each time.
test_teardown()
{
	local rounds=${PVAL_NIC_RACE_ROUNDS:-10} r bad=0

	"$IP" -n "$NS_A" link del pvn
	[ "$(hw_cfg)" = "tx_type off rx_filter none" ] || check_err 1 "after deleting pvn: $(hw_cfg)"
	for ((r = 0; r < rounds; r++)); do
		cd_link pvn txcopy 1 rxcopy 1 txtstamp 1 txbusydrop $((r % 2)) || { bad=1; break; }
		tx_reader "$T/race" -w 10000 >/dev/null || bad=1
		cd_stamp_round pvn $r || bad=1
		[ "$(hw_cfg)" = "tx_type off rx_filter none" ] || { bad=1; info "round $r: $NIC_A $(hw_cfg)"; }
	done
	info "$r rounds: txtstamp off/on 5 times, then the link deleted, under stamped traffic both ways; last reader: $(grep '^slots' "$T/race")"
	[ $bad = 0 ] || check_err 1 "a round failed"
	log_test "$DRIVER: $rounds rounds of txtstamp off/on and link deletion under stamped traffic: $NIC_A back to tx_type off each time"
}

# rmmod pval while a link stamps and traffic flows both ways.
test_rmmod_pval()
{
	local tx rx

	cd_link pvn txcopy 1 rxcopy 1 txtstamp 1 || check_err 1 "pvn"
	nsa "$SEND" -t 30 "$PVAL_ADDR_B" $PORT >/dev/null 2>&1 &
	tx=$!
	nsb "$SEND" -t 30 "$PVAL_ADDR_A" $PORT >/dev/null 2>&1 &
	rx=$!
	sleep 1
	rmmod pval
	check_err $? "rmmod pval"
	kill $tx $rx 2>/dev/null
	wait $tx $rx 2>/dev/null
	[ "$(hw_cfg)" = "tx_type off rx_filter none" ] || check_err 1 "$NIC_A after rmmod pval: $(hw_cfg)"
	grep -q '^pval ' /proc/modules && check_err 1 "pval still loaded"
	log_test "$DRIVER: rmmod pval under stamped traffic both ways: $NIC_A back to tx_type off"
	pval_load || check_err 1 "insmod pval"
}

# rmmod igb under a stamping link with a TX reader and traffic: the link
# and its devices go, the reader is told.
test_rmmod_driver()
{
	cd_link pvn txcopy 1 rxcopy 1 txtstamp 1 ||
		{ check_err 1 "pvn"; log_test "rmmod $DRIVER"; return; }
	tx_reader "$T/gone" -w 10000 || check_err 1 "reader did not start"
	nsa "$SEND" -t 30 "$PVAL_ADDR_B" $PORT >/dev/null 2>&1 &
	sleep 1
	rmmod "$DRIVER"
	check_err $? "rmmod $DRIVER"
	cd_check_gone pvn "$T/gone"
	info "reader: $(grep '^slots' "$T/gone")"
	log_test "rmmod $DRIVER under a link with txtstamp on and traffic: the link and its devices go, the reader sees ENODEV"
}

# e1000e (QEMU's 82574L), where the guest has a pair of them too (run.sh
# --nic e1000e --nic e1000e): the driver takes txtstamp and rxtstamp
# (tx_type on, rx_filter all), but QEMU emulates the 82574L's clock only,
# no TX or RX stamp (hw/net/e1000e_core.c never sets TSYNCTXCTL or
# TSYNCRXCTL valid).  The driver clears each TX stamp it waits for after a
# second ("clearing Tx timestamp hang"); pval gives the packet up and its
# copy goes with tstamp 0, and RX copies carry 0.
test_e1000e()
{
	local o=$T/e1000e stamps hangs0 hangs i

	cleanup_netns
	DRIVER=e1000e
	modprobe e1000e 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		[ "$(nics_of e1000e | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	read -r NIC_A NIC_B _ <<<"$(nics_of e1000e | tr '\n' ' ')"
	if [ -z "$NIC_B" ]; then
		skip "e1000e" "no pair of e1000e NICs (run.sh --nic e1000e --nic e1000e)"
		return
	fi
	CD_LOWER=$NIC_A CD_PEER=$NIC_B
	test_nics
	hangs0=$(dmesg | grep -c "$NIC_A: clearing Tx timestamp hang")
	cd_link pve txcopy 1 rxcopy 1 txtstamp 1 rxtstamp 1
	check_err $? "nl-pval add pve link $NIC_A txtstamp 1 rxtstamp 1 refused"
	[ "$(hw_cfg)" = "tx_type on rx_filter all" ] || check_err 1 "$NIC_A while pval stamps: $(hw_cfg)"
	cd_tx_reader pve "$o" -w 4000 || check_err 1 "reader did not start"
	cd_send_a 1 >/dev/null
	sleep 1.5
	cd_send_a 1 >/dev/null		# gives the first up
	sleep 1.5
	nlp set pve txtstamp 0		# gives the second up
	check_err $? "txtstamp 0"
	cd_wait "$CD_PID" 20 >/dev/null
	stamps=$(cd_udp_slots "$o" | awk '{ print $2 }' | tr '\n' ' ')
	hangs=$(($(dmesg | grep -c "$NIC_A: clearing Tx timestamp hang") - hangs0))
	cd_bg "$o.rx" "$READ" -r -M epoll -c -u $PORT -n 5 -w 3000 $(cd_devs pve rx) || check_err 1 "RX reader did not start"
	cd_send_b 5 >/dev/null
	cd_wait "$CD_PID" 20 >/dev/null
	info "$NIC_A: $(hw_cfg); 2 datagrams 1.5 s apart: TX copies [$stamps], the driver cleared $hangs TX stamps;" \
		"5 from the peer: $(grep '^slots' "$o.rx")"
	[ "$stamps" = "0 0 " ] || check_err 1 "TX copies [$stamps], not two with 0"
	[ "$hangs" = 2 ] || check_err 1 "the driver cleared $hangs TX stamps, not 2"
	[ "$(cd_field "$o.rx" udp)" = 5 ] && [ "$(cd_field "$o.rx" tszero)" = 5 ] || check_err 1 "RX copies: $(cat "$o.rx")"
	log_test "e1000e: txtstamp and rxtstamp accepted (tx_type on, rx_filter all); QEMU stamps nothing: each TX copy goes with 0 after a second, RX copies 0"
	"$IP" -n "$NS_A" link del pve
	[ "$(hw_cfg)" = "tx_type off rx_filter none" ] || check_err 1 "$NIC_A after deleting pve: $(hw_cfg)"
	log_test "e1000e: deleting the link gives $NIC_A tx_type off, rx_filter none back"
}

# kernel_log WHAT EXTRA: nothing in the kernel log since the suite started
# matches a warning, a failed restore or EXTRA.
kernel_log()
{
	dmesg | tail -n +$((dmesg_start + 1)) >"$T/dmesg"
	grep -E "WARNING|BUG|Call Trace|cannot restore$2" "$T/dmesg" >"$T/bad" &&
		check_err 1 "$(head -5 "$T/bad")"
	info "kernel log: $(wc -l <"$T/dmesg") lines since the suite started, $(grep -c . "$T/bad") flagged"
	log_test "kernel log: no warning, no failed restore$1"
}

# igb_hangs: igb's "clearing Tx timestamp hang" lines since the suite
# started.  The 82576 latches one TX stamp until TXSTMPH is read, and igb
# reads TXSTMPH whenever it is reconfigured: a reconfiguration (txtstamp
# off or on, the link deleted, pval unloaded) that comes between the latch
# and igb's work reading the stamp discards it, and igb waits 15 s before
# it clears the request.  Meanwhile it stamps nothing (pval's copies go
# with 0).
igb_hangs() { dmesg | tail -n +$((dmesg_start + 1)) | grep -c 'igb .*clearing Tx timestamp hang'; }

test_nics
[ $nfail = 0 ] || pval_exit
test_phc
test_config
test_tx_one
test_burst 1
test_burst 0
test_rx_unstamped
kernel_log ", no TX timestamp timeout from igb while eth0's configuration stays" "|timestamp hang"
test_teardown
test_rmmod_pval
test_rmmod_driver
info "igb cleared $(igb_hangs) TX stamps it lost to a reconfiguration under traffic (15 s each without stamps)"
kernel_log " after reconfigurations under stamped traffic (igb's TX stamp timeouts aside: $(igb_hangs))" \
	"|Rx timestamp hang"
test_e1000e
kernel_log " (e1000e's TX stamp timeouts aside)" ""

pval_exit
