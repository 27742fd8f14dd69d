# SPDX-License-Identifier: GPL-2.0
# Helpers of the chardev-*.sh suites (the /dev/pval character devices),
# sourced by them; not a suite itself (run-all.sh runs *.sh).
# Source after test/lib/common.sh.

READ=$PVAL_CLIENTS/pval-read
SEND=$PVAL_CLIENTS/pval-send
NLPVAL=$PVAL_CLIENTS/nl-pval
FEATURES=$PVAL_CLIENTS/features
PORT=7777
NCPU=$(nproc)

# cd_quiet NS DEV: no IPv6 on DEV, so nothing but the test's own packets
# crosses it (no router/neighbour solicitations, no MLD reports).
cd_quiet()
{
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
}

cd_mac()
{
	"$IP" -n "$1" -br link show dev "$2" | awk '{ print $3 }'
}

# cd_pair: the veth pair of common.sh's topology, veth0 in $NS_A (the lower
# device) and veth1 with $PVAL_ADDR_B in $NS_B, without IPv6 so that
# nothing but the test's own packets crosses them (no solicitations, no
# MLD reports).  The namespaces must exist.
cd_pair()
{
	"$IP" -n "$NS_A" link add veth0 type veth peer name veth1 netns "$NS_B" || return 1
	cd_quiet "$NS_A" veth0
	cd_quiet "$NS_B" veth1
	"$IP" -n "$NS_A" link set veth0 up || return 1
	"$IP" -n "$NS_B" addr add "$PVAL_ADDR_B/24" dev veth1 || return 1
	"$IP" -n "$NS_B" link set veth1 up || return 1
}

# cd_link NAME [nl-pval switches...]: a pval link NAME over $CD_LOWER in
# $NS_A with $PVAL_ADDR_A, no IPv6 and static neighbours both ways (with
# $CD_PEER in $NS_B), so the rings see exactly the traffic a test sends.
CD_LOWER=${CD_LOWER:-veth0}
CD_PEER=${CD_PEER:-veth1}
cd_link()
{
	local name=$1
	shift
	ip netns exec "$NS_A" "$NLPVAL" add "$name" link "$CD_LOWER" "$@" || return 1
	cd_quiet "$NS_A" "$name"
	"$IP" -n "$NS_A" addr add "$PVAL_ADDR_A/24" dev "$name" || return 1
	"$IP" -n "$NS_A" link set "$name" up || return 1
	"$IP" -n "$NS_A" neigh replace "$PVAL_ADDR_B" lladdr "$(cd_mac "$NS_B" "$CD_PEER")" \
		dev "$name" nud permanent || return 1
	"$IP" -n "$NS_B" neigh replace "$PVAL_ADDR_A" lladdr "$(cd_mac "$NS_A" "$name")" \
		dev "$CD_PEER" nud permanent || return 1
}

# cd_setup NAME [nl-pval switches...]: both namespaces, the pair, the link.
cd_setup()
{
	netns_add "$NS_A" || return 1
	netns_add "$NS_B" || return 1
	cd_pair || return 1
	cd_link "$@"
}

cd_teardown()
{
	cleanup_netns
}

# cd_devs NAME tx|rx: the devices of one direction, one per CPU.
cd_devs()
{
	local i
	for ((i = 0; i < NCPU; i++)); do
		echo "/dev/pval/$1-$2-cpu-$i"
	done
}

# cd_send_a N: N datagrams from the pval side; cd_send_b N: from the peer.
cd_send_a()
{
	ip netns exec "$NS_A" "$SEND" -n "$1" "$PVAL_ADDR_B" "$PORT"
}

cd_send_b()
{
	ip netns exec "$NS_B" "$SEND" -n "$1" "$PVAL_ADDR_A" "$PORT"
}

# cd_bg OUT CMD...: start CMD in the background with stdout in OUT and wait
# until it prints "ready" (pval-read -r); sets CD_PID.
cd_bg()
{
	local out=$1 i
	shift
	"$@" >"$out" 2>&1 &
	CD_PID=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$out" 2>/dev/null && return 0
		kill -0 "$CD_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# cd_wait PID SECONDS: wait for PID to exit; its status, or 124 on timeout.
cd_wait()
{
	local pid=$1 t=$2 i
	for ((i = 0; i < t * 20; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			return $?
		fi
		sleep 0.05
	done
	return 124
}

# cd_field FILE KEY: the number after KEY on the summary line of pval-read.
cd_field()
{
	awk -v k="$2" '$1 == "slots" { for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"
}

# cd_stats_sum FILE KEY: sum of KEY over the "stats" lines of pval-read -s.
cd_stats_sum()
{
	awk -v k="$2" '$1 == "stats" { for (i = 3; i < NF; i++) if ($i == k) s += $(i + 1) } END { print s + 0 }' "$1"
}

# cd_sent OUTPUT KEY: a field of pval-send's line.
cd_sent_field()
{
	awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"
}

# cd_stamp_round NAME R: stamped traffic both ways (pval-send for up to 30 s
# from each side) while txtstamp of NAME in $NS_A goes off and on 5 times,
# then NAME is deleted; the TX reader in CD_PID must see it go (exit 3).
# The pauses vary with R.  Returns 1 when a step failed.
cd_stamp_round()
{
	local name=$1 r=$2 k tx rx bad=0
	ip netns exec "$NS_A" "$SEND" -t 30 "$PVAL_ADDR_B" $PORT >/dev/null 2>&1 &
	tx=$!
	ip netns exec "$NS_B" "$SEND" -t 30 "$PVAL_ADDR_A" $PORT >/dev/null 2>&1 &
	rx=$!
	for ((k = 0; k < 5; k++)); do
		sleep 0.0$((r % 5 + 1))
		ip netns exec "$NS_A" "$NLPVAL" set "$name" txtstamp 0 || bad=1
		ip netns exec "$NS_A" "$NLPVAL" set "$name" txtstamp 1 || bad=1
	done
	sleep 0.0$((r % 7 + 1))
	"$IP" -n "$NS_A" link del "$name" || bad=1
	cd_wait "$CD_PID" 10 >/dev/null
	[ $? = 3 ] || { bad=1; echo "  round $r: TX reader did not see the link go"; }
	kill $tx $rx 2>/dev/null
	wait $tx $rx 2>/dev/null
	return $bad
}

# cd_udp_slots FILE: "DEVICE TSTAMP" of every slot of a UDP datagram between
# $PVAL_ADDR_A and $PVAL_ADDR_B in pval-read -v output.
cd_udp_slots()
{
	awk -v a="$PVAL_ADDR_A" -v b="$PVAL_ADDR_B" \
		'$1 ~ /^\/dev\/pval\// && $5 == "0800" && ($6 == a || $6 == b) { print $1, $2 }' "$1"
}

# cd_tx_reader NAME OUT [pval-read options]: a verbose reader on NAME's TX
# rings in the background (cd_bg), counting datagrams to $PORT.
cd_tx_reader()
{
	local name=$1 out=$2
	shift 2
	cd_bg "$out" "$READ" -r -M epoll -v -u $PORT "$@" $(cd_devs "$name" tx)
}

# cd_check_gone NAME OUT: once NAME's lower device went, the reader in CD_PID
# (output in OUT) exits 3 (device gone), and NAME and its devices are gone.
cd_check_gone()
{
	local rc
	cd_wait "$CD_PID" 15 >/dev/null
	rc=$?
	[ "$rc" = 3 ] || check_err 1 "reader exit $rc, not 3 (device gone): $(tail -2 "$2")"
	"$IP" -n "$NS_A" link show "$1" >/dev/null 2>&1 && check_err 1 "$1 still exists"
	[ -e "/dev/pval/$1-tx-cpu-0" ] && check_err 1 "/dev/pval/$1-* still exist"
}
