#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# chardev-count: nothing is lost silently.  A burst of N = 100,000 datagrams
# with readers on every ring: slots read + counted drops = N, for a fast
# reader, for a slow reader on a small ring (so that drops happen), and on
# the receive side; the link's IFLA_PVAL_STATS carry the same drop sums.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"

require_root
require_cmd "$READ" "$SEND" "$NLPVAL"
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

N=${PVAL_COUNT_N:-100000}
T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

# link_stat NAME KEY: a counter of `nl-pval show` (IFLA_PVAL_STATS).
link_stat()
{
	ip netns exec "$NS_A" "$NLPVAL" show "$1" |
		awk -v k="$2" '$1 == "stats" { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# burst NAME DIR OUT READER-ARGS...: readers on all DIR rings of NAME, N
# datagrams towards the rings, then the identity.  Prints the figures.
burst()
{
	local name=$1 dir=$2 out=$3 sent n0 n1 expect slots read copied drops
	shift 3
	cd_bg "$out" "$READ" -r -M epoll -s -u $PORT -w 4000 "$@" $(cd_devs "$name" "$dir") ||
		{ check_err 1 "reader did not start"; return; }
	n0=$(ip netns exec "$NS_A" cat "/sys/class/net/$name/statistics/${dir}_packets")
	if [ "$dir" = tx ]; then
		sent=$(cd_send_a "$N")
	else
		sent=$(cd_send_b "$N")
	fi
	cd_wait "$CD_PID" 120 || check_err 1 "reader: $(cat "$out")"
	n1=$(ip netns exec "$NS_A" cat "/sys/class/net/$name/statistics/${dir}_packets")
	[ "$(cd_sent_field "$sent" sent)" = "$N" ] || check_err 1 "sender: $sent"

	slots=$(cd_field "$out" slots)
	read=$(cd_stats_sum "$out" read)
	copied=$(cd_stats_sum "$out" copied)
	drops=$(( $(cd_stats_sum "$out" dropped_full) + $(cd_stats_sum "$out" dropped_nomem) ))
	# TX: every datagram sent crosses pval's xmit.  RX: the frames that
	# reached pval's rx handler (the peer's backlog may drop some first),
	# which the device counts in rx_packets.
	if [ "$dir" = tx ]; then expect=$N; else expect=$((n1 - n0)); fi
	info "$dir: sent $(cd_sent_field "$sent" sent) in $(cd_sent_field "$sent" secs) s;" \
		"crossed pval $((n1 - n0)); slots read $slots + counted drops $drops = $((slots + drops))" \
		"(expected $expect); copied $copied; udp slots $(cd_field "$out" udp)"
	[ "$slots" = "$read" ] || check_err 1 "reader saw $slots slots, rings say read $read"
	[ "$copied" = "$read" ] || check_err 1 "copied $copied != read $read after draining"
	[ "$(cd_field "$out" udp)" = "$slots" ] || check_err 1 "foreign slots in the rings"
	[ $((slots + drops)) = "$expect" ] || check_err 1 "slots $slots + drops $drops != $expect"
	[ "$(link_stat "$name" "${dir}_copy_drops")" = "$drops" ] ||
		check_err 1 "IFLA_PVAL_STATS ${dir}_copy_drops $(link_stat "$name" "${dir}_copy_drops") != $drops"
	CD_DROPS=$drops
}

cd_setup pvc txcopy 1 rxcopy 1 ipopt 1 swtstamp 1 || { echo "FAIL: setup"; exit 1; }

burst pvc tx "$T/fast" -b 256
log_test "TX burst of $N, fast reader: slots read + counted drops = $N"

burst pvc rx "$T/rx" -b 256
log_test "RX burst of $N: slots read + counted drops = frames through pval"

# A small ring and a reader that sleeps 1 ms after each batch of 16.
"$IP" -n "$NS_A" link del pvc
ip netns exec "$NS_A" "$NLPVAL" add pvs link veth0 txcopy 1 ipopt 1 slots 64 || check_err 1 "pvs"
cd_quiet "$NS_A" pvs
"$IP" -n "$NS_A" addr add "$PVAL_ADDR_A/24" dev pvs
"$IP" -n "$NS_A" link set pvs up
"$IP" -n "$NS_A" neigh replace "$PVAL_ADDR_B" lladdr "$(cd_mac "$NS_B" veth1)" dev pvs nud permanent
burst pvs tx "$T/slow" -b 16 -d 1000
[ "${CD_DROPS:-0}" -gt 0 ] || check_err 1 "the slow reader lost nothing: the test proves nothing"
log_test "TX burst of $N, slow reader on 64 slots: slots read + counted drops = $N (drops > 0)"

pval_exit
