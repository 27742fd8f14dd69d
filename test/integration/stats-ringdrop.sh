#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# stats-ringdrop: copies dropped in the receiver's ring are not network loss.
# A sender (pvs0 over veth0 in $NS_A: ipopt, txcopy, swtstamp, 4096-slot
# rings) pings a receiver (pvr0 over veth1 in $NS_B: rxcopy, swtstamp, rings
# of $SLOTS slots) through netem loss on veth0. The reader of the receiver's
# rings is stopped (SIGSTOP) for $PAUSE s in the middle, so its tiny rings
# overflow. tcpdump on veth1, below pvr0, counts what netem let through, and
# ping counts what was sent: the netem loss, counted without pval.
#   live:    pval stats RX --tx TX reports the RX ring drops, flags lost as an
#            upper bound, and lost - ring drops = the netem loss;
#   offline: pval dump -w on each side (the RX one stopped), then
#            pval stats -r RX --tx TX finds the same from the pcapng
#            interface statistics blocks.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"
. "$(dirname "$0")/dump-lib.bash"
. "$(dirname "$0")/stats-lib.bash"

require_root
require_cmd "$NLPVAL" /usr/sbin/tc tcpdump
dump_require_built
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }
modprobe sch_netem 2>/dev/null || { echo "SKIP: no sch_netem module"; exit $ksft_skip; }

COUNT=${STATS_RINGDROP_COUNT:-1200}
GAP=0.005 # ping interval, s
LOSS=5    # %
SLOTS=16  # receiver's ring
PAUSE=2   # s the receiver's reader is stopped
T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill -CONT 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	cleanup_netns
	rm -rf "$T"
}
trap cleanup EXIT

stats_pair "slots 4096" "slots $SLOTS" delay 2ms loss "$LOSS%" || { echo "FAIL: cannot build the topology"; exit 1; }
info "pvs0 $PVAL_ADDR_A -> netem (loss $LOSS%) -> pvr0 $PVAL_ADDR_B ($SLOTS-slot rings)"

TXDEVS=(/dev/pval/pvs0-tx-cpu-*)
RXDEVS=(/dev/pval/pvr0-rx-cpu-*)

json()
{
	node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const v=('"$2"');console.log(typeof v==="object"?JSON.stringify(v):v)' "$1"
}

# traffic NAME PID: tcpdump on veth1, COUNT pings with the reader PID
# stopped for PAUSE s in the middle; sets $netem_loss (echo requests ping
# sent minus those tcpdump saw arrive below pvr0).
traffic()
{
	local name=$1 pid=$2 tcpdump_pid sent arrived
	ip netns exec "$NS_B" tcpdump -i veth1 -n -w "$T/$name-lower.pcap" icmp 2>"$T/$name-tcpdump.err" &
	tcpdump_pid=$!
	for ((i = 0; i < 100; i++)); do grep -q listening "$T/$name-tcpdump.err" && break; sleep 0.1; done
	ip netns exec "$NS_A" "$PING" -q -n -c "$COUNT" -i "$GAP" -W 1 "$PVAL_ADDR_B" >"$T/$name-ping" 2>&1 &
	local ping_pid=$!
	sleep 1
	kill -STOP "$pid"
	sleep "$PAUSE"
	kill -CONT "$pid"
	wait $ping_pid
	sleep 2 # the last copies, and one more reading of the rings' counters
	kill -INT $tcpdump_pid
	wait $tcpdump_pid
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T/$name-ping")
	arrived=$(tcpdump -r "$T/$name-lower.pcap" -n 'icmp[icmptype] == icmp-echo' 2>/dev/null | wc -l)
	netem_loss=$((sent - arrived))
	info "$name: ping sent $sent, tcpdump on veth1 saw $arrived arrive: netem lost $netem_loss"
	[ "$sent" = "$COUNT" ] || check_err 1 "ping sent $sent, not $COUNT"
}

# check NAME FILE [DROPS]: the report FILE flags the RX ring drops (DROPS
# when given) and lost - ring drops = netem_loss.
check()
{
	local name=$1 f=$2 want=$3 rx tx lost inwin flagged sent
	rx=$(json "$f" 'd.ring_drops.rx.total')
	tx=$(json "$f" 'd.ring_drops.tx.total')
	lost=$(json "$f" 'd.streams.reduce((a, s) => a + s.lost, 0)')
	sent=$(json "$f" 'd.streams.reduce((a, s) => a + s.sent, 0)')
	inwin=$(json "$f" 'd.streams.reduce((a, s) => a + (s.lost_in_drop_windows ?? 0), 0)')
	flagged=$(json "$f" 'd.streams.length > 0 && d.streams.every((s) => s.lost_upper_bound === true)')
	info "$name: sent $sent lost $lost, ring drops RX $rx TX $tx, lost in drop windows $inwin," \
		"windows $(json "$f" 'd.ring_drop_windows.filter((w) => w.side === "rx").map((w) => `${w.device.replace(/.*\//, "")} ${(Number(BigInt(w.end_ns) - BigInt(w.start_ns)) / 1e9).toFixed(2)}s ${w.drops}`).join(", ")')"
	[ "$rx" -gt 0 ] || check_err 1 "$name: no RX ring drop reported although the reader was stopped"
	[ -z "$want" ] || [ "$rx" = "$want" ] || check_err 1 "$name: RX ring drops $rx, the kernel's counters say $want"
	[ "$tx" = 0 ] || check_err 1 "$name: TX ring drops $tx (the sender's reader was never stopped)"
	[ "$sent" = "$COUNT" ] || check_err 1 "$name: sent $sent, ping sent $COUNT"
	[ "$flagged" = true ] || check_err 1 "$name: lost not flagged as an upper bound"
	[ $((lost - rx)) = "$netem_loss" ] || check_err 1 "$name: lost $lost - ring drops $rx != netem loss $netem_loss"
	[ "$inwin" -ge "$rx" ] && [ "$inwin" -le "$lost" ] ||
		check_err 1 "$name: lost in drop windows $inwin, want between ring drops $rx and lost $lost"
}

test_live()
{
	local pid rc
	"${PVAL[@]}" stats "${RXDEVS[@]}" $(printf -- '--tx %s ' "${TXDEVS[@]}") --window 2 --json \
		>"$T/live.json" 2>"$T/live.err" &
	pid=$!
	wait_open $pid "${RXDEVS[@]}" "${TXDEVS[@]}" || check_err 1 "pval stats did not open the devices"
	traffic live $pid
	kill -INT $pid
	cd_wait $pid 60
	rc=$?
	check_err $rc "pval stats: exit $rc: $(cat "$T/live.err")"
	grep 'ring drops in' "$T/live.err" | head -4 | sed 's/^/    /'
	grep -q '"ring_drops":{"device":"/dev/pval/pvr0-rx-cpu-' "$T/live.err" ||
		check_err 1 "no ring_drops JSON record on stderr as the drops happened"
	check live "$T/live.json"
	log_test "pval stats live: RX ring drops reported as they happen, lost flagged, lost - ring drops = netem loss"
}

test_offline()
{
	local rx_pid tx_pid rc dumped
	"${PVAL[@]}" dump "${RXDEVS[@]}" -w "$T/rx.pcapng" 2>"$T/rx.err" &
	rx_pid=$!
	"${PVAL[@]}" dump "${TXDEVS[@]}" -w "$T/tx.pcapng" 2>"$T/tx.err" &
	tx_pid=$!
	wait_open $rx_pid "${RXDEVS[@]}" && wait_open $tx_pid "${TXDEVS[@]}" ||
		check_err 1 "pval dump did not open the devices"
	traffic offline $rx_pid
	kill -INT $rx_pid $tx_pid
	cd_wait $rx_pid 60 || check_err 1 "pval dump RX: $(cat "$T/rx.err")"
	cd_wait $tx_pid 60 || check_err 1 "pval dump TX: $(cat "$T/tx.err")"
	dumped=$(sed -n 's/^dump: [0-9]* slots read, \([0-9]*\) ring drops$/\1/p' "$T/rx.err")
	info "$(tail -1 "$T/rx.err") (receiver); $(tail -1 "$T/tx.err") (sender)"
	grep -q 'ring drops in' "$T/rx.err" || check_err 1 "pval dump -w printed no ring drop line as they happened"
	"${PVAL[@]}" stats -r "$T/rx.pcapng" --tx "$T/tx.pcapng" --window 2 --json >"$T/off.json" 2>"$T/off.err"
	rc=$?
	check_err $rc "pval stats -r: exit $rc: $(cat "$T/off.err")"
	check offline "$T/off.json" "$dumped"
	"${PVAL[@]}" stats -r "$T/rx.pcapng" --tx "$T/tx.pcapng" --window 2 >"$T/off.txt" 2>&1
	grep -q "lost and missing are upper bounds" "$T/off.txt" || check_err 1 "no remark in the table: $(cat "$T/off.txt")"
	grep 'ring drops' "$T/off.txt" | sed 's/^/    /'
	log_test "pval dump -w records ring drops (isb_ifdrop); pval stats -r flags them; lost - ring drops = netem loss"
}

test_live
test_offline
pval_exit
