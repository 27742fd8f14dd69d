#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pval.ko stress suite (runs in the VM as root, cwd /pval, module not
# loaded): 200 create/delete cycles and 20 rmmod/insmod cycles, each with
# traffic flowing through the link (the peer pings pval0's address 100
# times a second; pval0 answers with ipopt, txcopy, rxcopy and swtstamp
# on), then a clean kernel log.  Prints the cycle counts and times.
#
# Prints PASS:/FAIL:/SKIP: lines; exits 1 when anything failed, 4 when a
# prerequisite is missing.

. "$(dirname "$0")/../lib/common.sh"

NLP=$PVAL_CLIENTS/nl-pval
CYCLES=${PVAL_STRESS_CYCLES:-200}
MOD_CYCLES=${PVAL_STRESS_MOD_CYCLES:-20}
require_root
require_cmd "$IP" "$PING" "$NLP" node
WORK=$(mktemp -d)
PING_PID=
trap 'stop_traffic; cleanup_netns; rm -rf "$WORK"' EXIT

nlp() { ip netns exec "$NS_A" "$NLP" "$@"; }
ipa() { "$IP" -n "$NS_A" "$@"; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# The peer pings pval0's address, 100 packets a second, whether pval0
# exists or not: a permanent neighbour entry (pval0 takes veth0's MAC
# address) keeps frames flowing while the link comes and goes.
start_traffic()
{
	local mac

	mac=$(link_json_field "$NS_A" veth0 'l.address')
	"$IP" -n "$NS_B" neigh replace "$PVAL_ADDR_A" lladdr "$mac" dev veth1 nud permanent || return 1
	ip netns exec "$NS_B" "$PING" -q -i 0.01 -W 1 "$PVAL_ADDR_A" >"$WORK/ping.out" 2>&1 &
	PING_PID=$!
}

stop_traffic()
{
	[ -n "$PING_PID" ] || return 0
	kill -INT "$PING_PID" 2>/dev/null
	wait "$PING_PID" 2>/dev/null
	PING_PID=
}

link_up()
{
	ipa link add link veth0 name pval0 type pval &&
		nlp set pval0 ipopt 1 txcopy 1 rxcopy 1 swtstamp 1 &&
		ipa addr add "$PVAL_ADDR_A/24" dev pval0 &&
		ipa link set pval0 up
}

test_create_delete()
{
	local i t0 t1 fails=0 summary

	start_traffic
	check_err $? "traffic setup"
	t0=$(now_ms)
	for ((i = 1; i <= CYCLES; i++)); do
		if ! link_up; then
			fails=$((fails + 1))
			echo "  cycle $i: create failed"
		fi
		# Let a few packets cross the link on some cycles.
		[ $((i % 10)) = 0 ] && sleep 0.1
		if ! ipa link del pval0; then
			fails=$((fails + 1))
			echo "  cycle $i: delete failed"
		fi
	done
	t1=$(now_ms)
	# A last link answers for a second, to prove traffic still flows.
	link_up
	sleep 1
	stop_traffic
	ipa link del pval0
	summary=$(grep transmitted "$WORK/ping.out")
	[ "$fails" = 0 ]
	check_err $? "$fails failed steps"
	grep -Eq ', [1-9][0-9]* received' <<<"$summary"
	check_err $? "no ping reply during the cycles: $summary"
	echo "  stress: $CYCLES create/delete cycles in $((t1 - t0)) ms ($(((t1 - t0) / CYCLES)) ms each); peer ping: $summary"
	log_test "$CYCLES create/delete cycles with traffic flowing"
}

test_rmmod_insmod()
{
	local i t0 t1 fails=0 idle=0 rx summary

	pval_unload
	start_traffic
	check_err $? "traffic setup"
	t0=$(now_ms)
	for ((i = 1; i <= MOD_CYCLES; i++)); do
		if ! pval_load; then
			fails=$((fails + 1))
			echo "  cycle $i: insmod failed"
			continue
		fi
		link_up || { fails=$((fails + 1)); echo "  cycle $i: link setup failed"; }
		sleep 0.3
		rx=$(link_stat "$NS_A" pval0 rx packets)
		[ "${rx:-0}" -gt 0 ] || idle=$((idle + 1))
		if ! rmmod pval; then
			fails=$((fails + 1))
			echo "  cycle $i: rmmod with pval0 up and traffic flowing failed"
		fi
		if ipa link show dev pval0 >/dev/null 2>&1; then
			fails=$((fails + 1))
			echo "  cycle $i: pval0 survived rmmod"
		fi
	done
	t1=$(now_ms)
	stop_traffic
	summary=$(grep transmitted "$WORK/ping.out")
	[ "$fails" = 0 ]
	check_err $? "$fails failed steps"
	[ "$idle" = 0 ]
	check_err $? "$idle cycles saw no packet on pval0"
	echo "  stress: $MOD_CYCLES rmmod/insmod cycles in $((t1 - t0)) ms; peer ping: $summary"
	log_test "$MOD_CYCLES rmmod/insmod cycles with a link up and traffic flowing"
}

test_kernel_log()
{
	local bad

	bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|refcount_t:|unregister_netdevice: waiting|Call Trace:|general protection')
	[ -z "$bad" ]
	check_err $? "$(head -3 <<<"$bad")"
	log_test "kernel log clean after the stress"
}

setup_topology || { echo "FAIL: topology setup"; exit 1; }
pval_load || { echo "FAIL: insmod"; exit 1; }
test_create_delete
test_rmmod_insmod
test_kernel_log
pval_exit
