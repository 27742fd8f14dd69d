#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dump-walkthrough: step 5 of the walkthrough with `pval dump`.  The peer
# pings pval0 with txcopy and rxcopy on; the RX device shows the peer's ARP
# and echo requests, the TX device pval0's ARP and echo replies, in exactly
# the dump-one form ("0 <src> -> <dst> Type0800, <src ip> -> <dst ip>").  Then
# the link name (dump-multi), --format look-tcp, --json, -w FILE (pcapng read
# back by tcpdump) and Ctrl-C (summary on stderr, exit 0).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"
. "$(dirname "$0")/dump-lib.bash"

require_root
require_cmd "$NLPVAL" taskset
dump_require_built
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

# The walkthrough's topology: pval0 (10.77.0.1) over veth0 in $NS_A, ipopt,
# txcopy and rxcopy on, no timestamps (so tstamp prints 0), no IPv6, and no
# static neighbours: the ARP exchange is part of what the devices show.
setup_topology || { echo "SKIP: cannot build the topology"; exit $ksft_skip; }
cd_quiet "$NS_A" veth0
cd_quiet "$NS_B" veth1
ip netns exec "$NS_A" "$NLPVAL" add pval0 link veth0 ipopt 1 txcopy 1 rxcopy 1 ||
	{ echo "FAIL: cannot create pval0"; exit 1; }
cd_quiet "$NS_A" pval0
"$IP" -n "$NS_A" addr add "$PVAL_ADDR_A/24" dev pval0
"$IP" -n "$NS_A" link set pval0 up
MAC_A=$(cd_mac "$NS_A" pval0)
MAC_B=$(cd_mac "$NS_B" veth1)
info "pval0 $MAC_A $PVAL_ADDR_A, peer $MAC_B $PVAL_ADDR_B"

# ping_from_peer COUNT: the peer pings pval0, on CPU 0 (so that both
# directions of the exchange are handled on CPU 0), after forgetting its
# neighbours so that ARP runs again.
ping_from_peer()
{
	"$IP" -n "$NS_B" neigh flush all
	"$IP" -n "$NS_A" neigh flush all
	ip netns exec "$NS_B" taskset -c 0 "$PING" -q -c "$1" -i 0.2 "$PVAL_ADDR_A" >/dev/null
}

RX=/dev/pval/pval0-rx-cpu-0
TX=/dev/pval/pval0-tx-cpu-0

test_dump_one()
{
	local rx_pid tx_pid line bad=0 n_ip_rx n_ip_tx n_arp
	"${PVAL[@]}" dump "$RX" -c 6 >"$T/rx" 2>"$T/rx.err" &
	rx_pid=$!
	"${PVAL[@]}" dump "$TX" -c 6 >"$T/tx" 2>"$T/tx.err" &
	tx_pid=$!
	wait_open $rx_pid "$RX" && wait_open $tx_pid "$TX" || check_err 1 "pval dump did not open the devices"
	ping_from_peer 6
	cd_wait $rx_pid 60 || check_err 1 "pval dump $RX: exit $?: $(cat "$T/rx.err")"
	cd_wait $tx_pid 60 || check_err 1 "pval dump $TX: exit $?: $(cat "$T/tx.err")"
	info "pval dump $RX:"
	sed 's/^/    /' "$T/rx"
	info "pval dump $TX:"
	sed 's/^/    /' "$T/tx"
	while read -r line; do
		case $line in
		"0 $MAC_B -> $MAC_A Type0800, $PVAL_ADDR_B -> $PVAL_ADDR_A") ;;
		"0 $MAC_B -> ff:ff:ff:ff:ff:ff Type0806" | "0 $MAC_B -> $MAC_A Type0806") ;;
		*) check_err 1 "unexpected RX line: $line" ;;
		esac
	done <"$T/rx"
	while read -r line; do
		case $line in
		"0 $MAC_A -> $MAC_B Type0800, $PVAL_ADDR_A -> $PVAL_ADDR_B") ;;
		"0 $MAC_A -> $MAC_B Type0806" | "0 $MAC_A -> ff:ff:ff:ff:ff:ff Type0806") ;;
		*) check_err 1 "unexpected TX line: $line" ;;
		esac
	done <"$T/tx"
	n_ip_rx=$(grep -c 'Type0800' "$T/rx")
	n_ip_tx=$(grep -c 'Type0800' "$T/tx")
	n_arp=$(grep -c 'Type0806$' "$T/rx" "$T/tx" | awk -F: '{ s += $2 } END { print s }')
	[ "$(wc -l <"$T/rx")" = 6 ] || check_err 1 "RX: $(wc -l <"$T/rx") lines, want 6 (-c 6)"
	[ "$(wc -l <"$T/tx")" = 6 ] || check_err 1 "TX: $(wc -l <"$T/tx") lines, want 6 (-c 6)"
	[ "$n_ip_rx" -ge 4 ] || check_err 1 "RX: $n_ip_rx echo requests, want >= 4"
	[ "$n_ip_tx" -ge 4 ] || check_err 1 "TX: $n_ip_tx echo replies, want >= 4"
	[ "$n_arp" -ge 2 ] || check_err 1 "no ARP (Type0806) lines: $n_arp"
	grep -q 'slots read' "$T/rx.err" || check_err 1 "no summary on stderr: $(cat "$T/rx.err")"
	log_test "pval dump DEVICE: the walkthrough's dump-one lines (MACs, IPs, Type0800/Type0806)"
}

test_dump_multi()
{
	local pid line
	"${PVAL[@]}" dump pval0 -c 8 >"$T/multi" 2>"$T/multi.err" &
	pid=$!
	wait_open $pid "$RX" "$TX" || check_err 1 "pval dump pval0 did not open the devices"
	ping_from_peer 4
	cd_wait $pid 60 || check_err 1 "pval dump pval0: exit $?: $(cat "$T/multi.err")"
	sed 's/^/    /' "$T/multi"
	[ "$(wc -l <"$T/multi")" = 8 ] || check_err 1 "$(wc -l <"$T/multi") lines, want 8"
	while IFS= read -r line; do
		[[ $line =~ ^/dev/pval/pval0-(tx|rx)-cpu-[0-9]+:\ TS=0\ ([0-9a-f:]{17})\ -\>\ ([0-9a-f:]{17})\ Type\ 0x08(00|06)\  ]] ||
			check_err 1 "not a dump-multi line: $line"
	done <"$T/multi"
	# The original dump-multi's form: "PATH: TS=N", "Type 0xXXXX ", no comma before the addresses.
	grep -q "^$RX: TS=0 $MAC_B -> $MAC_A Type 0x0800 $PVAL_ADDR_B -> $PVAL_ADDR_A\$" "$T/multi" ||
		check_err 1 "no echo request from $RX"
	grep -q "^$TX: TS=0 $MAC_A -> $MAC_B Type 0x0800 $PVAL_ADDR_A -> $PVAL_ADDR_B\$" "$T/multi" ||
		check_err 1 "no echo reply from $TX"
	log_test "pval dump LINK: dump-multi lines from all of pval0's devices"
}

test_look_tcp_and_json()
{
	local pid
	"${PVAL[@]}" dump pval0 --format look-tcp -c 8 >"$T/look" 2>/dev/null &
	pid=$!
	wait_open $pid "$RX" "$TX" || check_err 1 "look-tcp: not open"
	ping_from_peer 3
	cd_wait $pid 60 || check_err 1 "look-tcp: exit $?"
	sed 's/^/    /' "$T/look"
	# Echo requests are 98 bytes; the replies carry the 12-byte option: 110.
	# As the original look-tcp, a line that stops before the TCP flags ends with a space.
	grep -q "^$RX TS=0 PKTLEN=98 ETHER_TYPE=0x0800 IP_PROTO=1 \$" "$T/look" || check_err 1 "no RX ICMP look-tcp line"
	grep -q "^$TX TS=0 PKTLEN=110 ETHER_TYPE=0x0800 IP_PROTO=1 \$" "$T/look" || check_err 1 "no TX ICMP look-tcp line"
	grep -q "ETHER_TYPE=0x0806 \$" "$T/look" || check_err 1 "no ARP look-tcp line"

	"${PVAL[@]}" dump pval0 --json --tx -c 3 >"$T/json" 2>/dev/null &
	pid=$!
	wait_open $pid "$TX" || check_err 1 "json: not open"
	ping_from_peer 3
	cd_wait $pid 60 || check_err 1 "json: exit $?"
	sed 's/^/    /' "$T/json"
	node -e '
		const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
		const objs = lines.map((l) => JSON.parse(l));
		const replies = objs.filter((o) => o.ipProto === 1);
		if (objs.length !== 3) throw new Error(`${objs.length} objects`);
		if (!objs.every((o) => o.direction === "tx" && o.device.startsWith("/dev/pval/pval0-tx-cpu-"))) throw new Error("tags");
		if (replies.length === 0) throw new Error("no ICMP reply");
		for (const r of replies) if (!r.pval || typeof r.pval.seq !== "string") throw new Error("no option 222 in " + JSON.stringify(r));
	' "$T/json" || check_err 1 "--json objects are wrong"
	log_test "--format look-tcp and --json (option 222 on TX replies)"
}

test_write_pcapng()
{
	local pid n
	"${PVAL[@]}" dump pval0 -c 6 -w "$T/dump.pcapng" 2>"$T/w.err" &
	pid=$!
	wait_open $pid "$RX" "$TX" || check_err 1 "-w: not open"
	ping_from_peer 3
	cd_wait $pid 60 || check_err 1 "-w: exit $?: $(cat "$T/w.err")"
	"$TCPDUMP" -nn -e -r "$T/dump.pcapng" >"$T/w.txt" 2>"$T/w.tcpdump.err" || check_err 1 "tcpdump -r: $(cat "$T/w.tcpdump.err")"
	sed 's/^/    /' "$T/w.txt"
	n=$(wc -l <"$T/w.txt")
	[ "$n" = 6 ] || check_err 1 "tcpdump read $n packets, want 6"
	# -c 6 takes the first 6 slots the four devices' reader threads hand
	# over, in no fixed order across devices: an echo request or its reply.
	grep -Eq "($PVAL_ADDR_B > $PVAL_ADDR_A: ICMP echo request|$PVAL_ADDR_A > $PVAL_ADDR_B: ICMP echo reply)" "$T/w.txt" ||
		check_err 1 "no ICMP echo in the pcapng"
	# Every packet block carries epb_flags (code 2, length 4) with its direction:
	# 1 inbound (the RX device's requests), 2 outbound (the TX device's replies).
	local hex n_in n_out
	hex=$(od -An -tx1 -v "$T/dump.pcapng" | tr -d ' \n')
	n_in=$(grep -o "0200040001000000" <<<"$hex" | wc -l)
	n_out=$(grep -o "0200040002000000" <<<"$hex" | wc -l)
	echo "    epb_flags: $n_in inbound, $n_out outbound"
	[ "$n_in" -ge 1 ] && [ "$n_out" -ge 1 ] && [ $((n_in + n_out)) = 6 ] ||
		check_err 1 "packets with their direction: $n_in inbound, $n_out outbound, want 6 in all"
	# The file reads back through pval dump -r as the same slots.
	"${PVAL[@]}" dump -r "$T/dump.pcapng" >"$T/r.txt" || check_err 1 "pval dump -r failed"
	[ "$(wc -l <"$T/r.txt")" = 6 ] || check_err 1 "pval dump -r: $(wc -l <"$T/r.txt") lines"
	log_test "-w FILE: pcapng that tcpdump and pval dump -r read"
}

test_ctrl_c()
{
	local pid rc
	"${PVAL[@]}" dump pval0 >"$T/int" 2>"$T/int.err" &
	pid=$!
	wait_open $pid "$RX" "$TX" || check_err 1 "ctrl-c: not open"
	ping_from_peer 2
	sleep 0.5
	kill -INT $pid
	cd_wait $pid 30
	rc=$?
	[ $rc = 0 ] || check_err 1 "exit $rc after SIGINT, want 0: $(cat "$T/int.err")"
	sed 's/^/    /' "$T/int.err"
	grep -q "^dump: $RX: [0-9]* slots read, 0 ring drops\$" "$T/int.err" || check_err 1 "no per-device summary"
	grep -q "^dump: [0-9]* slots read, 0 ring drops\$" "$T/int.err" || check_err 1 "no total summary"
	[ "$(grep -c . "$T/int")" -ge 4 ] || check_err 1 "too few lines before SIGINT: $(cat "$T/int")"
	log_test "Ctrl-C: clean stop, summary per device on stderr"
}

test_status_line()
{
	if ! command -v script >/dev/null; then
		skip "live status line on a terminal" "no script(1) to provide a terminal"
		return
	fi
	# script(1) gives pval dump a terminal; the status line goes to stderr
	# once a second while it runs (10 slots take a few seconds of pings).
	script -qfec "node $PVAL_CLI dump pval0 -c 10" "$T/tty" >/dev/null 2>&1 &
	local pid=$! i fds
	# The copies are made once pval dump (a child of script) holds the
	# devices, and its first status line comes a second after that: ping
	# only then.
	for ((i = 0; i < 600; i++)); do
		fds=$(ls -l /proc/[0-9]*/fd 2>/dev/null)
		grep -q -- "-> $RX\$" <<<"$fds" && grep -q -- "-> $TX\$" <<<"$fds" && break
		sleep 0.1
	done
	sleep 1.5
	ping_from_peer 8
	cd_wait $pid 60 || check_err 1 "pval dump under script(1): exit $?"
	grep -aq 'slots/s, [0-9]* read, 0 ring drops' "$T/tty" || check_err 1 "no status line: $(tr '\r' '\n' <"$T/tty" | tail -5)"
	log_test "live status line (rate, drops) on a terminal"
}

test_dump_one
test_dump_multi
test_look_tcp_and_json
test_write_pcapng
test_ctrl_c
test_status_line
pval_exit
