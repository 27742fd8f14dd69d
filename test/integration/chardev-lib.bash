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
