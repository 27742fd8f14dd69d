#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Flood benchmark, run inside the test VM (see run.sh beside this file).
#
# Two topologies side by side in one boot: a bare veth pair, and the same
# veth pair with pval0 on one end, ipopt + txcopy + rxcopy + swtstamp on and
# readers (pval-read, epoll) draining every TX and RX ring.  For each
# direction (tx: from the pval side out, rx: into the pval side) and round,
# a sender floods small UDP datagrams for DURATION seconds and a sink on the
# far side counts what arrives; bare and pval rounds alternate so drift in
# the host hits both.  Prints every round and the medians, and the ratio
# pval / bare of delivered packets/s.
#
#   bash bench/flood/flood.sh [DURATION [ROUNDS]]
set -u
cd "$(dirname "$0")/../.."
. test/lib/common.sh
. test/integration/chardev-lib.bash

# FLOOD_SWITCHES and FLOOD_READERS=0 vary the pval side, to see what each
# part costs; the benchmark's figure is the default.
SWITCHES=${FLOOD_SWITCHES:-ipopt 1 txcopy 1 rxcopy 1 swtstamp 1}
READERS=${FLOOD_READERS:-1}
# FLOOD_PIN=0 lets the scheduler place the processes; by default the sender
# runs on CPU 0 (its softirqs carry both veth hops) and the sink and the
# reader on CPU 1, as a measurement would keep its reader off the sending
# core.
PIN=${FLOOD_PIN:-1}
# on_cpu CPU CMD...: exec CMD (pinned to CPU with FLOOD_PIN=1); call it in a
# subshell or in the background, so that $! is CMD's own pid.
on_cpu()
{
	local c=$1
	shift
	if [ "$PIN" = 1 ]; then
		exec taskset -c "$c" "$@"
	fi
	exec "$@"
}
D=${1:-3}
R=${2:-3}
SPORT=9999
require_root
pval_load || { echo "flood: cannot load $PVAL_KO"; exit 1; }

T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	for ns in fa fb pa pb; do "$IP" netns del $ns 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# pair NS_X NS_Y DEV_X DEV_Y NET: a veth pair, .1 on DEV_X, .2 on DEV_Y.
pair()
{
	"$IP" netns add "$1" && "$IP" netns add "$2" || return 1
	"$IP" -n "$1" link set lo up
	"$IP" -n "$2" link set lo up
	"$IP" -n "$1" link add "$3" type veth peer name "$4" netns "$2" || return 1
	cd_quiet "$1" "$3"
	cd_quiet "$2" "$4"
	"$IP" -n "$1" link set "$3" up
	"$IP" -n "$2" addr add "$5.2/24" dev "$4"
	"$IP" -n "$2" link set "$4" up
}

setup()
{
	pair fa fb fa0 fb0 10.88.0 || return 1
	"$IP" -n fa addr add 10.88.0.1/24 dev fa0
	pair pa pb pa0 pb0 10.89.0 || return 1
	ip netns exec pa "$NLPVAL" add pval0 link pa0 $SWITCHES || return 1
	cd_quiet pa pval0
	"$IP" -n pa addr add 10.89.0.1/24 dev pval0
	"$IP" -n pa link set pval0 up
	# Static neighbours: no ARP in the measurement.
	"$IP" -n fa neigh replace 10.88.0.2 lladdr "$(cd_mac fb fb0)" dev fa0 nud permanent
	"$IP" -n fb neigh replace 10.88.0.1 lladdr "$(cd_mac fa fa0)" dev fb0 nud permanent
	"$IP" -n pa neigh replace 10.89.0.2 lladdr "$(cd_mac pb pb0)" dev pval0 nud permanent
	"$IP" -n pb neigh replace 10.89.0.1 lladdr "$(cd_mac pa pval0)" dev pb0 nud permanent
}

# one FROM_NS TO_NS DST: sink in TO_NS, flood from FROM_NS; prints
# "sent_pps delivered_pps".
one()
{
	local from=$1 to=$2 dst=$3 sink sent secs got
	on_cpu 1 ip netns exec "$to" "$SEND" -R -t $((D + 2)) -w 1000 $SPORT >"$T/sink" 2>&1 &
	sink=$!
	for ((i = 0; i < 50; i++)); do grep -q ready "$T/sink" && break; sleep 0.05; done
	sent=$(on_cpu 0 ip netns exec "$from" "$SEND" -t "$D" -b 64 "$dst" $SPORT)
	wait $sink
	secs=$(cd_sent_field "$sent" secs)
	got=$(awk '$1 == "received" { print $2 }' "$T/sink")
	awk -v s="$(cd_sent_field "$sent" sent)" -v g="$got" -v t="$secs" \
		'BEGIN { printf "%.0f %.0f\n", s / t, g / t }'
}

median()
{
	sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

setup || { echo "flood: setup failed"; exit 1; }
readers=
if [ "$READERS" = 1 ]; then
	on_cpu 1 "$READ" -M epoll -s $(cd_devs pval0 tx) $(cd_devs pval0 rx) >"$T/readers" 2>&1 &
	readers=$!
fi

echo "flood: kernel $(uname -r), $(nproc) CPUs, $D s x $R rounds per case, 18-byte UDP payload"
echo "flood: pval0: $SWITCHES; readers: $([ "$READERS" = 1 ] && echo "one epoll reader on all $((2 * NCPU)) rings" || echo none)"
echo "flood: placement: $([ "$PIN" = 1 ] && echo "sender on CPU 0, sink and reader on CPU 1" || echo "left to the scheduler")"
echo "flood: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
for dir in tx rx; do
	: >"$T/bare-$dir"
	: >"$T/pval-$dir"
	: >"$T/ratio-$dir"
	# Round 0 is an uncounted warm-up: the first flood after setup pays
	# for neighbour entries, socket buffers and the reader's first wakeups.
	for ((r = 0; r <= R; r++)); do
		if [ $dir = tx ]; then
			b=$(one fa fb 10.88.0.2)
			p=$(one pa pb 10.89.0.2)
		else
			b=$(one fb fa 10.88.0.1)
			p=$(one pb pa 10.89.0.1)
		fi
		if [ $r = 0 ]; then
			echo "flood: $dir warm-up (not counted): bare sent/delivered pps $b; pval sent/delivered pps $p"
			continue
		fi
		echo "flood: $dir round $r: bare sent/delivered pps $b; pval sent/delivered pps $p"
		echo "$b" | awk '{ print $2 }' >>"$T/bare-$dir"
		echo "$p" | awk '{ print $2 }' >>"$T/pval-$dir"
		paste -d' ' <(echo "$b") <(echo "$p") | awk '$2 { print 100 * $4 / $2 }' >>"$T/ratio-$dir"
	done
	bm=$(median <"$T/bare-$dir")
	pm=$(median <"$T/pval-$dir")
	rm=$(median <"$T/ratio-$dir")
	awk -v d=$dir -v b="$bm" -v p="$pm" -v r="$rm" 'BEGIN {
		printf "flood: %s median delivered: bare %.0f pps, pval %.0f pps, ratio of medians %.1f%%, median of round ratios %.1f%% (target >= 90%%)\n",
		       d, b, p, b ? 100 * p / b : 0, r }'
	# The spread of the round ratios: how far one round's figure can be
	# trusted on this host.
	sort -n "$T/ratio-$dir" | awk -v d=$dir '{ a[NR] = $1 } END {
		q1 = a[int((NR + 3) / 4)]; q3 = a[int((3 * NR + 3) / 4)]
		printf "flood: %s round ratios: min %.1f%%, quartiles %.1f%% / %.1f%%, max %.1f%% over %d rounds\n", d, a[1], q1, q3, a[NR], NR }'
done

[ -n "$readers" ] || exit 0
kill -INT $readers
wait $readers
awk '$1 == "stats" { c += $4; f += $6; m += $8; r += $10 } END {
	printf "flood: pval rings: copied %d, read %d, dropped_full %d, dropped_nomem %d\n", c, r, f, m }' "$T/readers"
