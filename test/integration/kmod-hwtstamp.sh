#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kmod-hwtstamp: txtstamp/rxtstamp against a lower device that stamps, the
# test driver test/kmod-hwts/pvalhwts.ko (a veth-like pair whose clock reads
# CLOCK_MONOTONIC + 1e15 ns).  Per configuration interface of the driver
# (ndo_hwtstamp_get/set from 6.6, SIOC[GS]HWTSTAMP in ndo_eth_ioctl before
# 7.0, refused from 7.0 on): the lower device's config while pval stamps and after, hardware
# stamps in TX and RX slots, txbusydrop on and off while a stamp is
# outstanding (and no sequence gap from its drops), copies on the sending
# CPU's ring when the driver reports from another CPU, a failed txtstamp
# start under rxtstamp, stamps the driver loses, txtstamp toggled and links
# deleted under stamped traffic, and the lower device deleted or its module
# unloaded under a link that stamps.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"

HWTS_KO=${HWTS_KO:-$PVAL_ROOT/test/kmod-hwts/pvalhwts.ko}
HWTS=$PVAL_CLIENTS/hwtstamp
CD_LOWER=hwts0
CD_PEER=hwts1
# The driver's clock: 1e15 ns plus the uptime, far from CLOCK_REALTIME.
PHC_MIN=1000000000000000
PHC_MAX=2000000000000000

require_root
require_cmd "$READ" "$SEND" "$NLPVAL" "$HWTS" node
[ -f "$HWTS_KO" ] || { echo "SKIP: no $HWTS_KO (test/vm/run.sh builds it)"; exit $ksft_skip; }
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

T=$(mktemp -d)
# Failed restores the tests expect (test_netns_gone, SIOCSHWTSTAMP only).
RESTORE_WARNINGS=0
dmesg_start=$(dmesg | wc -l)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cleanup_netns
	grep -q '^pvalhwts ' /proc/modules && rmmod pvalhwts
	rm -rf "$T"
}
trap cleanup EXIT

nsa() { ip netns exec "$NS_A" "$@"; }
nsb() { ip netns exec "$NS_B" "$@"; }
nlp() { nsa "$NLPVAL" "$@"; }
hw_cfg() { nsa "$HWTS" get hwts0; }
# hw_attr NAME: a file of /sys/class/net/hwts0/pvalhwts/
hw_attr() { nsa cat "/sys/class/net/hwts0/pvalhwts/$1"; }
hw_param() { echo "$2" >"/sys/module/pvalhwts/parameters/$1"; }
is_phc() { [ "$1" -ge $PHC_MIN ] && [ "$1" -lt $PHC_MAX ]; }

# hw_load LEGACY: (re)load pvalhwts with one pair, hwts0 and hwts1, in
# init_net.
hw_load()
{
	if grep -q '^pvalhwts ' /proc/modules; then rmmod pvalhwts || return 1; fi
	insmod "$HWTS_KO" pairs=1 legacy="$1"
}

# hw_lower_in_a: hwts0 (in init_net) into $NS_A, quiet and up.
hw_lower_in_a()
{
	"$IP" link set hwts0 netns "$NS_A" || return 1
	cd_quiet "$NS_A" hwts0
	"$IP" -n "$NS_A" link set hwts0 up
}

# hw_pair: hwts0 into $NS_A, hwts1 into $NS_B with $PVAL_ADDR_B, quiet.
hw_pair()
{
	hw_lower_in_a || return 1
	"$IP" link set hwts1 netns "$NS_B" || return 1
	cd_quiet "$NS_B" hwts1
	"$IP" -n "$NS_B" addr add "$PVAL_ADDR_B/24" dev hwts1 || return 1
	"$IP" -n "$NS_B" link set hwts1 up
}

# counters: the values the traffic tests compare, one line.
counters()
{
	echo "$(pval_stat "$NS_A" pvh txtstamp_busy)" \
		"$(link_stat "$NS_A" pvh tx dropped)" \
		"$(link_stat "$NS_B" hwts1 rx packets)" \
		"$(hw_attr tx_stamps)" "$(hw_attr tx_busy)" "$(hw_attr tx_lost)" "$(hw_attr rx_stamps)"
}

# delta BEFORE AFTER I: field I (1-based) of AFTER minus BEFORE.
delta()
{
	local -a b=($1) a=($2)
	echo $(( a[$3 - 1] - b[$3 - 1] ))
}
D_BUSY=1 D_PVDROP=2 D_PEERRX=3 D_STAMPS=4 D_HWBUSY=5 D_LOST=6 D_RXSTAMPS=7

# udp_stamps FILE: the tstamp of every UDP slot in pval-read -v output.
udp_stamps() { cd_udp_slots "$1" | awk '{ print $2 }'; }

# tx_reader OUT [pval-read options]: a verbose reader on pvh's TX rings.
tx_reader() { cd_tx_reader pvh "$@"; }

test_config_on()
{
	local out

	out=$(nsa "$HWTS" set hwts0 off all)
	check_err $? "SIOCSHWTSTAMP: $out"
	[ "$out" = "tx_type off rx_filter all" ] || check_err 1 "original config: $out"
	CD_LOWER=hwts0 CD_PEER=hwts1 cd_link pvh txcopy 1 rxcopy 1 txtstamp 1 rxtstamp 1
	check_err $? "nl-pval add pvh link hwts0 txtstamp 1 rxtstamp 1 refused"
	nlp show pvh | grep -q 'txtstamp on rxtstamp on'
	check_err $? "show: $(nlp show pvh | head -1)"
	out=$(hw_cfg)
	[ "$out" = "tx_type on rx_filter all" ] || check_err 1 "lower config while stamping: $out"
	[ "$(hw_attr tx_type) $(hw_attr rx_filter)" = "1 1" ] ||
		check_err 1 "driver holds tx_type $(hw_attr tx_type) rx_filter $(hw_attr rx_filter)"
	info "hwts0 with txtstamp/rxtstamp on: $out"
	log_test "$MODE: link with txtstamp and rxtstamp on is accepted; hwts0 reads back tx_type on rx_filter all"
}

test_tx_stamps()
{
	local i ts prev=0 n=10 c0 c1 zero=0 back=0 out=0 missing=0

	c0=$(counters)
	for ((i = 0; i < n; i++)); do
		# One packet at a time: its copy comes once its stamp did.
		tx_reader "$T/one" -n 1 -w 3000 || { check_err 1 "reader did not start"; break; }
		cd_send_a 1 >/dev/null
		cd_wait "$CD_PID" 10 >/dev/null
		ts=$(udp_stamps "$T/one")
		if [ -z "$ts" ]; then missing=$((missing + 1)); continue; fi
		[ "$ts" = 0 ] && zero=$((zero + 1))
		is_phc "$ts" || out=$((out + 1))
		[ "$ts" -lt "$prev" ] && back=$((back + 1))
		prev=$ts
	done
	c1=$(counters)
	info "TX: last stamp $prev; $missing missing, $zero zero, $out outside the PHC range, $back going back"
	[ "$missing$zero$out$back" = 0000 ] || check_err 1 "TX stamps"
	[ "$(delta "$c0" "$c1" $D_STAMPS)" = $n ] || check_err 1 "driver reported $(delta "$c0" "$c1" $D_STAMPS) stamps, not $n"
	[ "$(delta "$c0" "$c1" $D_BUSY)" = 0 ] || check_err 1 "txtstamp_busy moved"
	log_test "$MODE: $n datagrams one at a time: each TX slot carries the driver's clock, never going back"
}

test_rx_stamps()
{
	local n=200 c0 c1 o=$T/rx sink

	c0=$(counters)
	# A socket on the port, so no port unreachable goes back out stamped.
	nsa "$SEND" -R -w 3000 $PORT >/dev/null &
	sink=$!
	cd_bg "$o" "$READ" -r -M epoll -c -u $PORT -n $n -w 3000 $(cd_devs pvh rx) ||
		{ check_err 1 "reader did not start"; return; }
	sleep 0.2
	cd_send_b $n >/dev/null
	cd_wait "$CD_PID" 60 >/dev/null
	wait "$sink"
	c1=$(counters)
	info "RX: $(grep '^slots' "$o")"
	[ "$(cd_field "$o" udp)" = $n ] || check_err 1 "$(cd_field "$o" udp) of $n RX slots"
	[ "$(cd_field "$o" tszero)" = 0 ] || check_err 1 "zero RX stamps"
	[ "$(cd_field "$o" tsback)" = 0 ] || check_err 1 "RX stamps going back within a ring"
	is_phc "$(cd_field "$o" tsmin)" && is_phc "$(cd_field "$o" tsmax)" ||
		check_err 1 "RX stamps outside the PHC range"
	[ "$(delta "$c0" "$c1" $D_RXSTAMPS)" -ge $n ] || check_err 1 "driver stamped $(delta "$c0" "$c1" $D_RXSTAMPS) frames"
	log_test "$MODE: a $n burst from the peer: every RX slot carries the driver's clock, monotonic per ring"
}

# burst BUSYDROP: N datagrams at once while the driver reports each stamp
# 20 ms late, so many find a stamp outstanding.
test_busy()
{
	local drop=$1 n=200 c0 c1 o=$T/busy-$1 stamps s
	local stamped zeros busy pvdrop peerrx

	nlp set pvh txbusydrop "$drop" || check_err 1 "txbusydrop $drop"
	c0=$(counters)
	tx_reader "$o" -w 3000 || { check_err 1 "reader did not start"; return; }
	hw_param tx_delay_ms 20
	cd_send_a $n >/dev/null
	cd_wait "$CD_PID" 60 >/dev/null
	hw_param tx_delay_ms 0
	c1=$(counters)
	stamps=$(udp_stamps "$o")
	stamped=0 zeros=0
	for s in $stamps; do
		if [ "$s" = 0 ]; then zeros=$((zeros + 1))
		elif is_phc "$s"; then stamped=$((stamped + 1))
		else check_err 1 "a TX stamp outside the PHC range: $s"
		fi
	done
	busy=$(delta "$c0" "$c1" $D_BUSY)
	pvdrop=$(delta "$c0" "$c1" $D_PVDROP)
	peerrx=$(delta "$c0" "$c1" $D_PEERRX)
	info "txbusydrop $drop: $stamped stamped, $zeros zero slots; txtstamp_busy +$busy," \
		"pval tx dropped +$pvdrop, peer received +$peerrx, driver stamps +$(delta "$c0" "$c1" $D_STAMPS)"
	[ "$busy" -gt 0 ] || check_err 1 "no packet found the stamp busy"
	[ "$(delta "$c0" "$c1" $D_STAMPS)" = "$stamped" ] || check_err 1 "stamped slots != stamps the driver reported"
	[ "$(delta "$c0" "$c1" $D_HWBUSY)" = 0 ] || check_err 1 "pval asked the driver while a stamp was outstanding"
	if [ "$drop" = 1 ]; then
		# Busy packets are dropped: no copy, not sent.
		[ $((stamped + busy)) = $n ] || check_err 1 "stamped + busy != $n"
		[ "$zeros" = 0 ] || check_err 1 "copies of dropped packets"
		[ "$pvdrop" = "$busy" ] || check_err 1 "pval tx dropped != txtstamp_busy"
		[ "$peerrx" = "$stamped" ] || check_err 1 "the peer received other than the stamped packets"
		log_test "$MODE: txbusydrop on: a packet that finds a stamp outstanding is dropped and counted (txtstamp_busy, tx dropped)"
	else
		# Busy packets are sent unstamped and copied with tstamp 0.
		[ $((stamped + zeros)) = $n ] || check_err 1 "stamped + zero != $n"
		[ "$zeros" = "$busy" ] || check_err 1 "zero slots != txtstamp_busy"
		[ "$pvdrop" = 0 ] || check_err 1 "pval dropped packets"
		[ "$peerrx" = $n ] || check_err 1 "the peer received $peerrx of $n"
		log_test "$MODE: txbusydrop off: a packet that finds a stamp outstanding is sent, copied with tstamp 0 and counted"
	fi
}

# Every stamp lost: the copy waits a second, then goes with tstamp 0.
test_lost_one()
{
	local o=$T/lost1 c0 c1 stamps t0 secs rc

	nlp set pvh txbusydrop 1 || check_err 1 "txbusydrop 1"
	c0=$(counters)
	tx_reader "$o" -w 4000 || { check_err 1 "reader did not start"; return; }
	hw_param tx_drop_every 1
	# P1 from CPU 0 and P3 from the last CPU: P3 gives up a copy that
	# belongs to another CPU's ring.
	nsa taskset -c 0 "$SEND" -n 1 "$PVAL_ADDR_B" $PORT >/dev/null	# P1: its stamp is lost
	sleep 0.3
	cd_send_a 1 >/dev/null		# P2: P1 outstanding, dropped
	sleep 1.2
	hw_param tx_drop_every 0
	t0=$(date +%s)
	nsa taskset -c $((NCPU - 1)) "$SEND" -n 1 "$PVAL_ADDR_B" $PORT >/dev/null	# P3: gives P1 up, is stamped itself
	cd_wait "$CD_PID" 20 >/dev/null
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	c1=$(counters)
	stamps=$(udp_stamps "$o" | sort -n | tr '\n' ' ')
	info "lost stamp: slots [$stamps], reader exit $rc after ${secs}s; txtstamp_busy +$(delta "$c0" "$c1" $D_BUSY)," \
		"driver lost +$(delta "$c0" "$c1" $D_LOST) reported +$(delta "$c0" "$c1" $D_STAMPS)"
	[ "$rc" = 0 ] || check_err 1 "reader exit $rc"
	set -- $stamps
	[ $# = 2 ] && [ "$1" = 0 ] && is_phc "$2" || check_err 1 "expected one slot with 0 and one stamped: $stamps"
	[ "$(delta "$c0" "$c1" $D_LOST)" = 1 ] || check_err 1 "driver lost $(delta "$c0" "$c1" $D_LOST)"
	[ "$(delta "$c0" "$c1" $D_STAMPS)" = 1 ] || check_err 1 "driver reported $(delta "$c0" "$c1" $D_STAMPS)"
	[ "$(delta "$c0" "$c1" $D_BUSY)" = 1 ] || check_err 1 "txtstamp_busy +$(delta "$c0" "$c1" $D_BUSY)"
	[ "$(delta "$c0" "$c1" $D_PVDROP)" = 1 ] || check_err 1 "pval tx dropped +$(delta "$c0" "$c1" $D_PVDROP)"
	[ "$(delta "$c0" "$c1" $D_PEERRX)" = 2 ] || check_err 1 "peer received +$(delta "$c0" "$c1" $D_PEERRX)"
	log_test "$MODE: a lost stamp is given up after a second: its copy goes with tstamp 0, the next packet is stamped"

	# A lost stamp still outstanding when txtstamp goes off.
	tx_reader "$o" -w 3000 || { check_err 1 "reader did not start"; return; }
	hw_param tx_drop_every 1
	cd_send_a 1 >/dev/null
	sleep 0.3
	nlp set pvh txtstamp 0
	check_err $? "txtstamp 0"
	hw_param tx_drop_every 0
	cd_wait "$CD_PID" 20 >/dev/null
	stamps=$(udp_stamps "$o" | tr '\n' ' ')
	info "txtstamp off with a lost stamp outstanding: slots [$stamps]"
	[ "$stamps" = "0 " ] || check_err 1 "expected one slot with 0: [$stamps]"
	nlp set pvh txtstamp 1
	check_err $? "txtstamp 1"
	log_test "$MODE: txtstamp off with a lost stamp outstanding delivers its copy with tstamp 0"
}

# A stamp that comes after its packet was given up: P1's stamp is reported
# 1.5 s late, P2 (sent at 1.2 s) gives P1 up and finds the driver still busy
# with P1, so P2 is sent unstamped; P1's late stamp must not become P2's.
# P3 gives P2 up and is stamped at once.
test_late()
{
	local o=$T/late c0 c1 stamps last

	nlp set pvh txbusydrop 1 || check_err 1 "txbusydrop 1"
	c0=$(counters)
	tx_reader "$o" -w 5000 || { check_err 1 "reader did not start"; return; }
	hw_param tx_delay_ms 1500
	cd_send_a 1 >/dev/null		# P1: stamped 1.5 s late
	sleep 1.2
	cd_send_a 1 >/dev/null		# P2: P1 given up; the driver is busy
	sleep 1.2
	hw_param tx_delay_ms 0
	cd_send_a 1 >/dev/null		# P3: P2 given up; stamped at once
	cd_wait "$CD_PID" 20 >/dev/null || check_err 1 "reader did not finish"
	c1=$(counters)
	last=$(hw_attr tx_last_ns)
	stamps=$(udp_stamps "$o" | sort -n | tr '\n' ' ')
	info "late stamp: slots [$stamps]; driver's last stamp $last; driver reported" \
		"+$(delta "$c0" "$c1" $D_STAMPS), busy +$(delta "$c0" "$c1" $D_HWBUSY)"
	[ "$(delta "$c0" "$c1" $D_STAMPS)" = 2 ] || check_err 1 "the driver reported $(delta "$c0" "$c1" $D_STAMPS) stamps, not 2"
	[ "$(delta "$c0" "$c1" $D_HWBUSY)" = 1 ] || check_err 1 "P2 did not find the driver busy"
	[ "$stamps" = "0 0 $last " ] || check_err 1 "expected slots [0 0 $last], P3's stamp alone"
	log_test "$MODE: a stamp that comes after its packet was given up is dropped, not put on the next packet"
}

# Every 3rd stamp lost, datagrams spaced 0.4 s, txbusydrop off: whatever the
# timing, each datagram has one copy, stamped by the driver or 0.
test_lost_every()
{
	local o=$T/lost3 n=9 i c0 c1 stamps s stamped=0 zeros=0 lost busy

	nlp set pvh txbusydrop 0 || check_err 1 "txbusydrop 0"
	c0=$(counters)
	tx_reader "$o" -w 3000 || { check_err 1 "reader did not start"; return; }
	hw_param tx_drop_every 3
	for ((i = 0; i < n; i++)); do
		cd_send_a 1 >/dev/null
		sleep 0.4
	done
	# The last lost stamp may still be outstanding: txtstamp off flushes it.
	nlp set pvh txtstamp 0 || check_err 1 "txtstamp 0"
	hw_param tx_drop_every 0
	cd_wait "$CD_PID" 20 >/dev/null || check_err 1 "reader did not finish"
	c1=$(counters)
	nlp set pvh txtstamp 1 txbusydrop 1 || check_err 1 "txtstamp 1"
	stamps=$(udp_stamps "$o")
	for s in $stamps; do
		if [ "$s" = 0 ]; then zeros=$((zeros + 1)); elif is_phc "$s"; then stamped=$((stamped + 1)); fi
	done
	lost=$(delta "$c0" "$c1" $D_LOST)
	busy=$(delta "$c0" "$c1" $D_BUSY)
	info "every 3rd stamp lost: $stamped stamped, $zeros zero; driver lost $lost reported" \
		"$(delta "$c0" "$c1" $D_STAMPS); txtstamp_busy +$busy; peer received +$(delta "$c0" "$c1" $D_PEERRX)"
	[ $((stamped + zeros)) = $n ] || check_err 1 "$((stamped + zeros)) slots for $n datagrams"
	[ "$lost" -ge 1 ] || check_err 1 "no stamp lost"
	[ "$zeros" = $((lost + busy)) ] || check_err 1 "zero slots != lost + busy"
	[ "$stamped" = "$(delta "$c0" "$c1" $D_STAMPS)" ] || check_err 1 "stamped slots != stamps reported"
	[ "$(delta "$c0" "$c1" $D_PEERRX)" = $n ] || check_err 1 "peer received $(delta "$c0" "$c1" $D_PEERRX)"
	log_test "$MODE: every 3rd stamp lost: one copy per datagram, zeros = lost + busy, nothing hangs"
}

# The driver reports every stamp from CPU 0 (tx_stamp_cpu) while the sender
# runs on CPU 1: each copy goes to tx-cpu-1, the ring of the sending CPU.
test_stamp_cpu()
{
	local o=$T/stampcpu i n=5 on1 other zero

	if [ "$NCPU" -lt 2 ]; then
		log_test "$MODE: SKIP stamps from another CPU (one CPU)"
		return
	fi
	nlp set pvh txbusydrop 1 || check_err 1 "txbusydrop 1"
	hw_param tx_stamp_cpu 0
	tx_reader "$o" -n $n -w 3000 || { check_err 1 "reader did not start"; return; }
	for ((i = 0; i < n; i++)); do
		nsa taskset -c 1 "$SEND" -n 1 "$PVAL_ADDR_B" $PORT >/dev/null
		sleep 0.1
	done
	cd_wait "$CD_PID" 10 >/dev/null
	hw_param tx_stamp_cpu -1
	on1=$(awk -v b="$PVAL_ADDR_B" '$5 == "0800" && $8 == b && $1 ~ /-tx-cpu-1$/' "$o" | wc -l)
	other=$(awk -v b="$PVAL_ADDR_B" '$5 == "0800" && $8 == b && $1 !~ /-tx-cpu-1$/' "$o" | wc -l)
	zero=$(awk -v b="$PVAL_ADDR_B" '$5 == "0800" && $8 == b && $2 == 0' "$o" | wc -l)
	info "sent from CPU 1, stamps reported on CPU 0: $on1 copies on tx-cpu-1, $other elsewhere, $zero unstamped"
	[ "$on1" = $n ] && [ "$other" = 0 ] && [ "$zero" = 0 ] ||
		check_err 1 "copies: $(grep '^/dev' "$o" | tr '\n' ';')"
	log_test "$MODE: a stamp reported on another CPU: the copy goes to the sending CPU's ring (tx-cpu-1)"
}

# txbusydrop on, stamps 20 ms late, a burst with the option: the packets
# dropped for a busy stamp take no sequence number, so the peer sees no gap.
test_busy_seq()
{
	local n=200 i c0 c1 f=$T/busyseq.pcap out busy pvdrop peerrx

	nlp set pvh txbusydrop 1 ipopt 1 || check_err 1 "txbusydrop 1 ipopt 1"
	c0=$(counters)
	capture_start "$NS_B" hwts1 "$f" "udp and dst port $PORT and src $PVAL_ADDR_A"
	check_err $? "tcpdump did not start"
	hw_param tx_delay_ms 20
	# Ten bursts 50 ms apart: each finds the unit free once, then busy.
	for ((i = 0; i < 10; i++)); do
		nsa taskset -c 0 "$SEND" -n $((n / 10)) "$PVAL_ADDR_B" $PORT >/dev/null
		sleep 0.05
	done
	sleep 0.1
	hw_param tx_delay_ms 0
	capture_stop
	c1=$(counters)
	nlp set pvh ipopt 0 || check_err 1 "ipopt 0"
	busy=$(delta "$c0" "$c1" $D_BUSY)
	pvdrop=$(delta "$c0" "$c1" $D_PVDROP)
	peerrx=$(delta "$c0" "$c1" $D_PEERRX)
	out=$(node "$PVAL_ROOT/test/lib/pcap-pval.mjs" "$f" --src "$PVAL_ADDR_A" --expect "$peerrx")
	check_err $? "sequence at the peer: $out"
	info "txbusydrop on, $n sent: txtstamp_busy +$busy, tx dropped +$pvdrop, peer received +$peerrx; $out"
	[ "$busy" -gt 0 ] && [ "$peerrx" -ge 10 ] || check_err 1 "busy $busy, received $peerrx: want both"
	[ "$pvdrop" = "$busy" ] && [ $((peerrx + busy)) = $n ] ||
		check_err 1 "received + busy != $n, or drops != busy"
	log_test "$MODE: txbusydrop on: the dropped packets take no sequence number (no gap at the peer), counted in txtstamp_busy"
}

# A txtstamp start that fails (the driver reads back tx_type off) while
# rxtstamp is on: the lower keeps rx_filter all, RX stamps go on.
test_start_fails()
{
	local out o=$T/startfail

	nlp set pvh txtstamp 0 || check_err 1 "txtstamp 0"
	out=$(hw_cfg)
	[ "$out" = "tx_type off rx_filter all" ] || check_err 1 "before: $out"
	hw_param tx_ignore_on 1
	out=$(nlp set pvh txtstamp 1 2>&1)
	check_fail $? "txtstamp on was accepted by a driver that leaves TX stamping off"
	expect_err_msg "$out" "did not turn them on"
	hw_param tx_ignore_on 0
	info "refused: $out; hwts0: $(hw_cfg); $(nlp show pvh | grep -o 'txtstamp [a-z]* rxtstamp [a-z]*')"
	out=$(hw_cfg)
	[ "$out" = "tx_type off rx_filter all" ] || check_err 1 "after the failed start: $out"
	nlp show pvh | grep -q 'txtstamp off rxtstamp on' || check_err 1 "switches: $(nlp show pvh | head -1)"
	cd_bg "$o" "$READ" -r -M epoll -c -u $PORT -n 5 -w 3000 $(cd_devs pvh rx) ||
		check_err 1 "reader did not start"
	cd_send_b 5 >/dev/null
	cd_wait "$CD_PID" 10 >/dev/null
	[ "$(cd_field "$o" udp)" = 5 ] && [ "$(cd_field "$o" tszero)" = 0 ] ||
		check_err 1 "RX stamps after the failed start: $(cat "$o")"
	nlp set pvh txtstamp 1 || check_err 1 "txtstamp 1 after the driver was fixed"
	log_test "$MODE: a failed txtstamp start keeps rxtstamp on: hwts0 keeps rx_filter all, RX slots stamped"
}

# Stamped traffic both ways, the stamps reported from the other CPU, while
# txtstamp goes off and on and the link is deleted: rounds of teardown
# racing the timestamp reports.  The kernel log must stay clean.
test_teardown_race()
{
	local rounds=${PVAL_TSTAMP_RACE_ROUNDS:-20} r bad=0

	"$IP" -n "$NS_A" link del pvh
	for ((r = 0; r < rounds; r++)); do
		CD_LOWER=hwts0 CD_PEER=hwts1 cd_link pvh txcopy 1 rxcopy 1 txtstamp 1 rxtstamp 1 txbusydrop 0 ||
			{ bad=1; break; }
		hw_param tx_stamp_cpu $((r % NCPU))
		tx_reader "$T/race" -w 10000 >/dev/null || bad=1
		cd_stamp_round pvh $r || bad=1
	done
	hw_param tx_stamp_cpu -1
	info "$r rounds: txtstamp off/on 5 times, then the link deleted, under stamped traffic both ways"
	[ $bad = 0 ] || check_err 1 "a round failed"
	[ "$(dmesg | tail -n +$((dmesg_start + 1)) | grep -cE 'BUG|WARNING|Call Trace|general protection')" = 0 ] ||
		check_err 1 "kernel log: $(dmesg | grep -E 'BUG|WARNING|Call Trace' | head -3)"
	log_test "$MODE: $rounds rounds of txtstamp off/on and link deletion under stamped traffic: kernel log clean"
	CD_LOWER=hwts0 CD_PEER=hwts1 cd_link pvh txcopy 1 rxcopy 1 txtstamp 1 rxtstamp 1 ||
		check_err 1 "pvh again"
}

test_restore()
{
	local out

	nlp set pvh txtstamp 0
	check_err $? "txtstamp 0"
	out=$(hw_cfg)
	[ "$out" = "tx_type off rx_filter all" ] || check_err 1 "txtstamp off: $out"
	nlp set pvh rxtstamp 0
	check_err $? "rxtstamp 0"
	out=$(hw_cfg)
	[ "$out" = "tx_type off rx_filter all" ] || check_err 1 "both off: $out"
	log_test "$MODE: txtstamp off gives hwts0 its tx_type back, rxtstamp off its rx_filter (original tx off, rx all)"

	out=$(nsa "$HWTS" set hwts0 on none)
	check_err $? "SIOCSHWTSTAMP on none: $out"
	nlp set pvh rxtstamp 1
	check_err $? "rxtstamp 1"
	out=$(hw_cfg)
	[ "$out" = "tx_type on rx_filter all" ] || check_err 1 "rxtstamp on over tx on/rx none: $out"
	nlp set pvh rxtstamp 0
	out=$(hw_cfg)
	[ "$out" = "tx_type on rx_filter none" ] || check_err 1 "rxtstamp off: $out"
	nlp set pvh txtstamp 1 rxtstamp 1
	check_err $? "txtstamp 1 rxtstamp 1"
	"$IP" -n "$NS_A" link del pvh
	check_err $? "ip link del pvh"
	out=$(hw_cfg)
	[ "$out" = "tx_type on rx_filter none" ] || check_err 1 "after deleting the link: $out"
	info "original tx on, rx none; after rxtstamp on/off and the link deleted: $out"
	log_test "$MODE: deleting a link that stamps gives hwts0 its original config back (tx on, rx none)"
}

# test_netns_gone: the namespace of a stamping link goes away.  The
# kernel's namespace cleanup (a kernel thread) deletes the link, and hwts0,
# a physical device to the kernel (netns_refund), comes back to init_net.
# Through ndo_hwtstamp_set pval gives it its original config back.  Through
# SIOCSHWTSTAMP alone it cannot: the driver reads the config from user
# memory and the cleanup thread has none, so the config stays as pval set it
# and the kernel log says so, once.
test_netns_gone()
{
	local out want i warned before

	out=$(nsa "$HWTS" set hwts0 on none)
	check_err $? "SIOCSHWTSTAMP on none: $out"
	CD_LOWER=hwts0 CD_PEER=hwts1 cd_link pvh txtstamp 1 rxtstamp 1 ||
		check_err 1 "link over hwts0"
	out=$(hw_cfg)
	[ "$out" = "tx_type on rx_filter all" ] || check_err 1 "stamping: $out"
	before=$(dmesg | grep -c 'hwts0.*cannot restore')
	"$IP" netns del "$NS_A"
	for ((i = 0; i < 100; i++)); do
		"$IP" link show hwts0 >/dev/null 2>&1 && break
		sleep 0.1
	done
	out=$("$HWTS" get hwts0 2>&1)
	check_err $? "hwts0 back in init_net: $out"
	warned=$(($(dmesg | grep -c 'hwts0.*cannot restore') - before))
	if [ "$MODE" = ioctl ]; then
		want="tx_type on rx_filter all"
		[ "$warned" = 1 ] || check_err 1 "$warned 'cannot restore' lines in the kernel log, not 1"
		RESTORE_WARNINGS=$((RESTORE_WARNINGS + warned))
	else
		want="tx_type on rx_filter none"
		[ "$warned" = 0 ] || check_err 1 "$warned 'cannot restore' lines in the kernel log"
	fi
	[ "$out" = "$want" ] || check_err 1 "hwts0 after its namespace went: '$out', not '$want'"
	info "original tx on, rx none; after the namespace went: $out; 'cannot restore' logged $warned time(s)"
	if [ "$MODE" = ioctl ]; then
		log_test "$MODE: namespace deleted under a stamping link: hwts0 comes back with pval's config, and the log says it could not be restored"
	else
		log_test "$MODE: namespace deleted under a stamping link: hwts0 comes back with its original config"
	fi

	# hwts0 back into a new $NS_A for the next tests.
	netns_add "$NS_A" && hw_lower_in_a
	check_err $? "hwts0 into a new $NS_A"
}

# gone_under WHAT CMD...: a stamping link over hwts0 with a TX reader open
# and packets in flight; CMD removes hwts0.  The link and its devices go,
# the reader is told.
gone_under()
{
	local what=$1
	shift
	CD_LOWER=hwts0 CD_PEER=hwts1 cd_link pvh txcopy 1 rxcopy 1 txtstamp 1 rxtstamp 1 ||
		{ check_err 1 "link over hwts0"; log_test "$MODE: $what"; return; }
	tx_reader "$T/gone" -w 10000 || check_err 1 "reader did not start"
	cd_send_a 50 >/dev/null
	"$@"
	check_err $? "$*"
	cd_check_gone pvh "$T/gone"
	log_test "$MODE: $what under a link with txtstamp/rxtstamp on: the link and its devices go"
}

round()
{
	local legacy=$1 iface nf=$nfail

	MODE=$2
	hw_load "$legacy"
	check_err $? "insmod $HWTS_KO legacy=$legacy"
	iface=$(cat /sys/class/net/hwts0/pvalhwts/interface 2>/dev/null)
	[ "$iface" = "$MODE" ] || check_err 1 "hwts0 configured through '$iface'"
	echo "  config interface: $iface"
	netns_add "$NS_A" && netns_add "$NS_B" && hw_pair
	check_err $? "pair setup"
	log_test "$MODE: pvalhwts loaded, hwts0/hwts1 configured through $MODE"
	[ "$nfail" = "$nf" ] || { cleanup_netns; return; }

	test_config_on
	test_tx_stamps
	test_rx_stamps
	test_busy 1
	test_busy 0
	test_busy_seq
	test_stamp_cpu
	test_start_fails
	test_lost_one
	test_late
	test_lost_every
	test_teardown_race
	test_restore
	test_netns_gone

	gone_under "hwts0 deleted" "$IP" -n "$NS_A" link del hwts0
	hw_load "$legacy" && hw_pair
	check_err $? "pvalhwts reloaded"
	gone_under "pvalhwts unloaded" rmmod pvalhwts
	cleanup_netns
}

# From 7.0 the kernel no longer hands SIOC[GS]HWTSTAMP to ndo_eth_ioctl,
# and pval configures the lower device through ndo_hwtstamp_set only: over
# a driver without it, txtstamp and rxtstamp are refused with a message
# naming it, and the driver's configuration stays as it was.
ioctl_refused()
{
	local out sw

	MODE=ioctl
	hw_load 1
	check_err $? "insmod $HWTS_KO legacy=1"
	netns_add "$NS_A" && netns_add "$NS_B" && hw_pair
	check_err $? "pair setup"
	for sw in txtstamp rxtstamp; do
		out=$(nlp add pvh link hwts0 "$sw" 1 2>&1)
		check_fail $? "$sw over a driver without ndo_hwtstamp_set was accepted"
		expect_err_msg "$out" "no ndo_hwtstamp_set"
		info "$sw refused: $out"
		nsa "$IP" link show pvh >/dev/null 2>&1 && check_err 1 "pvh exists after the refused $sw"
	done
	[ "$(hw_attr tx_type) $(hw_attr rx_filter)" = "0 0" ] ||
		check_err 1 "driver holds tx_type $(hw_attr tx_type) rx_filter $(hw_attr rx_filter), not 0 0"
	log_test "ioctl: txtstamp and rxtstamp refused over a driver without ndo_hwtstamp_set (7.0 and later), its config untouched"
	cleanup_netns
}

kver=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
if [ "$kver" -ge 6006 ]; then
	round 0 ndo_hwtstamp
else
	echo "  $(uname -r): no ndo_hwtstamp_get/set before 6.6, SIOC[GS]HWTSTAMP only"
fi
if [ "$kver" -ge 7000 ]; then
	ioctl_refused
else
	round 1 ioctl
fi

dmesg | tail -n +$((dmesg_start + 1)) >"$T/dmesg"
grep -E 'WARNING|BUG|Call Trace' "$T/dmesg" >"$T/bad" && check_err 1 "$(head -5 "$T/bad")"
n=$(grep -c 'cannot restore' "$T/dmesg")
[ "$n" = "$RESTORE_WARNINGS" ] ||
	check_err 1 "$n failed restores in the kernel log, $RESTORE_WARNINGS expected: $(grep 'cannot restore' "$T/dmesg" | head -3)"
log_test "kernel log: no warning, and no failed restore but the $RESTORE_WARNINGS expected"

pval_exit
