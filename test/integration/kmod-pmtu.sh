#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pval.ko path MTU suite (runs in the VM as root, cwd /pval, module not
# loaded): a router on the path whose far side has a smaller MTU (1400)
# than pval0's lower device (1500).  With ipopt on, TCP through pval0 must
# converge: the router's "fragmentation needed, MTU 1400" quotes a packet
# carrying the option, pval rewrites it to 1388 so the next packets, 12
# bytes longer once stamped, fit.  With ipopt off the ICMP message is left
# alone (the host learns 1400).
#
#   $NS_A pval0@veth0 10.77.0.1 -- veth1 10.77.0.2 [$NS_B router] vethr0
#         10.78.0.1 (mtu 1400) -- vethr1 10.78.0.2 (mtu 1500) [$NS_C]
#
# $NS_C's own MTU stays 1500 so that its SYN announces an MSS of 1460 and
# full-size segments from $NS_A meet the 1400-byte hop.
#
# Prints PASS:/FAIL:/SKIP: lines; exits 1 when anything failed, 4 when a
# prerequisite is missing.

. "$(dirname "$0")/../lib/common.sh"

NLP=$PVAL_CLIENTS/nl-pval
NS_C=pvc-$PVAL_NS_SUFFIX
ADDR_C=10.78.0.2
PATH_MTU=1400
require_root
require_cmd "$IP" "$PING" "$NLP" node
WORK=$(mktemp -d)
trap 'cleanup_netns; rm -rf "$WORK"' EXIT

nlp() { ip netns exec "$NS_A" "$NLP" "$@"; }
ina() { ip netns exec "$NS_A" "$@"; }

setup()
{
	setup_topology || return 1
	netns_add "$NS_C" || return 1
	pval_load || return 1
	"$IP" -n "$NS_A" link add link veth0 name pval0 type pval || return 1
	pval_addr_up "$NS_A" pval0 || return 1
	"$IP" -n "$NS_A" route add 10.78.0.0/24 via "$PVAL_ADDR_B" || return 1
	ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=1 || return 1
	"$IP" -n "$NS_B" link add vethr0 mtu $PATH_MTU type veth peer name vethr1 netns "$NS_C" || return 1
	"$IP" -n "$NS_B" addr add 10.78.0.1/24 dev vethr0 || return 1
	"$IP" -n "$NS_B" link set vethr0 up || return 1
	"$IP" -n "$NS_C" addr add "$ADDR_C/24" dev vethr1 || return 1
	"$IP" -n "$NS_C" link set vethr1 up || return 1
	"$IP" -n "$NS_C" route add default via 10.78.0.1 || return 1
	# Path MTU discovery on (DF set), no probing: the default.
	ina sysctl -qw net.ipv4.ip_no_pmtu_disc=0 net.ipv4.tcp_mtu_probing=0 || return 1
	ina "$PING" -c 1 -W 5 -q "$ADDR_C" >/dev/null
}

# route_mtu: the MTU $NS_A has learnt for $ADDR_C ("" when none).
route_mtu()
{
	ina "$IP" route get "$ADDR_C" | sed -n 's/.* mtu \([0-9]*\).*/\1/p'
}

test_tcp_converges()
{
	local bytes=1048576 got mtu ins0 ins1

	nlp set pval0 ipopt 1
	check_err $? "ipopt on"
	ina "$IP" route flush cache
	ins0=$(pval_stat "$NS_A" pval0 ipopt_inserted)
	got=$(tcp_transfer "$NS_A" "$NS_C" "$ADDR_C" 5301 $bytes 60)
	[ "$got" = "$bytes" ]
	check_err $? "received '$got' of $bytes bytes"
	ins1=$(pval_stat "$NS_A" pval0 ipopt_inserted)
	[ $((ins1 - ins0)) -gt 700 ]
	check_err $? "ipopt_inserted $ins0 -> $ins1: the segments were not stamped"
	mtu=$(route_mtu)
	[ "$mtu" = $((PATH_MTU - PVAL_IPOPT_LEN_B)) ]
	check_err $? "learnt path MTU '$mtu', expected $((PATH_MTU - PVAL_IPOPT_LEN_B))"
	info "ipopt on: $got bytes through a $PATH_MTU-byte hop, path MTU learnt $mtu"
	log_test "TCP through a smaller-MTU hop with ipopt on completes; the host learns $PATH_MTU - 12"
}

test_ping_df()
{
	local out size=$((PATH_MTU - PVAL_IPOPT_LEN_B - 28))

	# The learnt MTU: a DF ping that fits once stamped goes through, one
	# byte more is refused locally instead of vanishing at the router.
	out=$(ina "$PING" -M do -s $size -c 2 -i 0.3 -W 2 "$ADDR_C")
	check_err $? "ping -M do -s $size: $(grep transmitted <<<"$out")"
	ina "$PING" -M do -s $((size + 1)) -c 1 -W 2 "$ADDR_C" >"$WORK/ping.out" 2>&1
	check_fail $? "ping -M do -s $((size + 1)) got through a $PATH_MTU-byte hop with the option"
	grep -Eq "mtu ?= ?$((PATH_MTU - PVAL_IPOPT_LEN_B))" "$WORK/ping.out"
	check_err $? "ping did not report the learnt MTU: $(head -2 "$WORK/ping.out")"
	log_test "DF ping: $size bytes of payload fit the path, $((size + 1)) is refused locally (message too long)"
}

test_ipopt_off_untouched()
{
	local bytes=262144 got mtu

	nlp set pval0 ipopt 0
	check_err $? "ipopt off"
	ina "$IP" route flush cache
	got=$(tcp_transfer "$NS_A" "$NS_C" "$ADDR_C" 5301 $bytes 60)
	[ "$got" = "$bytes" ]
	check_err $? "received '$got' of $bytes bytes"
	mtu=$(route_mtu)
	[ "$mtu" = $PATH_MTU ]
	check_err $? "learnt path MTU '$mtu', expected $PATH_MTU (ICMP without the option rewritten?)"
	info "ipopt off: path MTU learnt $mtu"
	log_test "ipopt off: the ICMP message quotes no option and is left alone (path MTU $PATH_MTU)"
}

PVAL_IPOPT_LEN_B=12

setup
check_err $? "setup"
log_test "setup: router with a $PATH_MTU-byte far side"
[ "$ret" = 0 ] || pval_exit

test_tcp_converges
test_ping_df
test_ipopt_off_untouched
pval_exit
