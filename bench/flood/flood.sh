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
. bench/flood/lib.bash
D=${1:-3}
R=${2:-3}

# one FROM_NS TO_NS DST: sink in TO_NS, flood from FROM_NS; prints
# "sent_pps delivered_pps".
one()
{
	local from=$1 to=$2 dst=$3 sink sent secs got
	flood_sink "$to" $((D + 2))
	sent=$(flood_send "$from" "$dst" "$D")
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

flood_init

echo "flood: kernel $(uname -r), $(nproc) CPUs, $D s x $R rounds per case, 18-byte UDP payload"
echo "flood: pval0: $SWITCHES; readers: $([ "$READERS" = 1 ] && echo "one epoll reader on all $((2 * NCPU)) rings" || echo none)"
echo "flood: placement: $([ "$PIN" = 1 ] && echo "sender on CPU 0, sink on CPU 1, reader on CPU $READER_CPU" || echo "left to the scheduler")"
if [ "$CLOCK" = icount ]; then
	echo "flood: guest time: instruction count (QEMU -icount shift=0, 1 instruction = 1 ns); rates are packets per 10^9 guest instructions"
else
	echo "flood: guest time: the host's clock (QEMU TCG runs as fast as the host lets it)"
fi
echo "flood: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
# With swtstamp on, pval0 keeps the stack's receive timestamps on, and that
# switch is global: every device's received packets get stamped, the bare
# pair's too.  It goes off for the bare rounds, so that they measure veth
# without it, and on again for pval's.
bare_swtstamp()
{
	case " $SWITCHES " in
	*" swtstamp 1 "*) ip netns exec pa "$NLPVAL" set pval0 swtstamp "$1" || echo "flood: swtstamp $1 failed" ;;
	esac
}

for dir in tx rx; do
	: >"$T/bare-$dir"
	: >"$T/pval-$dir"
	: >"$T/ratio-$dir"
	# Round 0 is an uncounted warm-up: the first flood after setup pays
	# for neighbour entries, socket buffers and the reader's first wakeups.
	for ((r = 0; r <= R; r++)); do
		bare_swtstamp 0
		if [ $dir = tx ]; then
			b=$(one fa fb 10.88.0.2)
			bare_swtstamp 1
			p=$(one pa pb 10.89.0.2)
		else
			b=$(one fb fa 10.88.0.1)
			bare_swtstamp 1
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

flood_close_readers
