# SPDX-License-Identifier: GPL-2.0
# Helpers of the stats-*.sh suites, sourced by them; not a suite itself
# (run-all.sh runs *.sh). Source after test/lib/common.sh and
# chardev-lib.bash.

TC=/usr/sbin/tc

# stats_pair "TX_OPTS" "RX_OPTS" NETEM_ARGS...: a sender (pvs0 over veth0 in
# $NS_A: ipopt, txcopy, swtstamp) and a receiver (pvr0 over veth1 in $NS_B:
# rxcopy, swtstamp), joined by a veth pair with netem NETEM_ARGS on veth0.
# TX_OPTS and RX_OPTS are more nl-pval switches for each link (e.g.
# "slots 4096"), split into words. Static neighbours and no IPv6: the rings
# carry the test's packets and nothing else.
stats_pair()
{
	local tx_opts=$1 rx_opts=$2
	shift 2
	netns_add "$NS_A" && netns_add "$NS_B" || return 1
	"$IP" -n "$NS_A" link add veth0 type veth peer name veth1 netns "$NS_B" || return 1
	cd_quiet "$NS_A" veth0
	cd_quiet "$NS_B" veth1
	"$IP" -n "$NS_A" link set veth0 up && "$IP" -n "$NS_B" link set veth1 up || return 1
	# shellcheck disable=SC2086 # the switches are words on purpose
	ip netns exec "$NS_A" "$NLPVAL" add pvs0 link veth0 ipopt 1 txcopy 1 swtstamp 1 $tx_opts >/dev/null || return 1
	# shellcheck disable=SC2086
	ip netns exec "$NS_B" "$NLPVAL" add pvr0 link veth1 rxcopy 1 swtstamp 1 $rx_opts >/dev/null || return 1
	cd_quiet "$NS_A" pvs0
	cd_quiet "$NS_B" pvr0
	"$IP" -n "$NS_A" addr add "$PVAL_ADDR_A/24" dev pvs0 && "$IP" -n "$NS_A" link set pvs0 up || return 1
	"$IP" -n "$NS_B" addr add "$PVAL_ADDR_B/24" dev pvr0 && "$IP" -n "$NS_B" link set pvr0 up || return 1
	"$IP" -n "$NS_A" neigh replace "$PVAL_ADDR_B" lladdr "$(cd_mac "$NS_B" pvr0)" dev pvs0 nud permanent || return 1
	"$IP" -n "$NS_B" neigh replace "$PVAL_ADDR_A" lladdr "$(cd_mac "$NS_A" pvs0)" dev pvr0 nud permanent || return 1
	"$TC" -n "$NS_A" qdisc add dev veth0 root netem "$@" || return 1
}
