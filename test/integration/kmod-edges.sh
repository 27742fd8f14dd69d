#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pval.ko edge cases (runs in the VM as root, cwd /pval, module not
# loaded): a move to another namespace that renames the link renames its
# character devices; netconsole (netpoll) is refused; the pval device
# follows a MAC address change of the lower device and its unicast filter
# entry on the lower device stays balanced; IPv4 over a VLAN device on top
# of pval0 is stamped (the option after the tag); each reason to send an
# IPv4 packet without the option has its own counter.
#
# Prints PASS:/FAIL:/SKIP: lines; exits 1 when anything failed, 4 when a
# prerequisite is missing.

. "$(dirname "$0")/../lib/common.sh"

NLP=$PVAL_CLIENTS/nl-pval
PKT=$PVAL_CLIENTS/pkt-send
NS_C=pvc-$PVAL_NS_SUFFIX
require_root
require_cmd "$IP" "$PING" "$TCPDUMP" "$NLP" "$PKT" node
WORK=$(mktemp -d)
cleanup()
{
	capture_stop
	"$IP" link del vnc0 2>/dev/null
	grep -q '^netconsole ' /proc/modules && rmmod netconsole
	cleanup_netns
	rm -rf "$WORK"
}
trap cleanup EXIT

nlp() { ip netns exec "$NS_A" "$NLP" "$@"; }
ina() { ip netns exec "$NS_A" "$@"; }
ipa() { "$IP" -n "$NS_A" "$@"; }

# devs NAME: the /dev/pval nodes of interface NAME, one line.
devs() { ls /dev/pval 2>/dev/null | grep -E "^$1-(tx|rx)-cpu-[0-9]+$" | tr '\n' ' '; }

test_netns_rename()
{
	local n

	n=$(nproc)
	ipa link add link veth0 name pvm0 type pval
	check_err $? "pvm0"
	netns_add "$NS_C"
	ipa link set pvm0 netns "$NS_C" name pvn0
	check_err $? "ip link set pvm0 netns $NS_C name pvn0"
	[ -z "$(devs pvm0)" ]
	check_err $? "stale nodes: $(devs pvm0)"
	[ "$(devs pvn0 | wc -w)" = $((2 * n)) ]
	check_err $? "new nodes: '$(devs pvn0)'"
	log_test "move to another namespace with a new name: /dev/pval follows (pvm0 -> pvn0)"

	# The name is taken in the target namespace: the kernel renames the
	# link during the move, without NETDEV_CHANGENAME.
	"$IP" -n "$NS_A" link add pvn0 type veth peer name pvn0p
	check_err $? "a veth named pvn0 in $NS_A"
	"$IP" -n "$NS_C" link set pvn0 netns "$NS_A" name pvo0
	check_err $? "ip link set pvn0 netns $NS_A name pvo0"
	"$IP" -n "$NS_A" link show dev pvo0 >/dev/null 2>&1
	check_err $? "no pvo0 in $NS_A"
	[ -z "$(devs pvn0)" ]
	check_err $? "stale nodes: $(devs pvn0)"
	[ "$(devs pvo0 | wc -w)" = $((2 * n)) ]
	check_err $? "new nodes: '$(devs pvo0)'"
	log_test "move into a namespace where the name is taken, renamed on the way: /dev/pval follows (pvn0 -> pvo0)"

	ipa link del pvo0
	ipa link del pvn0
}

test_netpoll_refused()
{
	local out start

	modinfo netconsole >/dev/null 2>&1 || { skip "netconsole refused" "no netconsole module"; return; }
	# netconsole works in the initial namespace only.
	"$IP" link add vnc0 type veth peer name vnc1 &&
		"$IP" link set vnc0 up && "$IP" link set vnc1 up &&
		"$IP" link add link vnc0 name pvnc0 type pval &&
		"$IP" addr add 10.79.0.1/24 dev pvnc0 && "$IP" link set pvnc0 up
	check_err $? "pvnc0 in the initial namespace"
	start=$(dmesg | wc -l)
	modprobe netconsole netconsole=6665@10.79.0.1/pvnc0,6666@10.79.0.2/ 2>"$WORK/nc.err"
	out=$(dmesg | tail -n +$((start + 1)))
	grep -q "pvnc0 doesn't support polling" <<<"$out"
	check_err $? "netconsole did not refuse pvnc0: $(grep -E 'netconsole|netpoll' <<<"$out" | head -3)"
	info "$(grep "doesn't support polling" <<<"$out" | head -1 | sed 's/^\[[ 0-9.]*\] //')"
	grep -q '^netconsole ' /proc/modules && rmmod netconsole
	"$IP" link del vnc0
	log_test "netconsole (netpoll) refuses a pval device"
}

# promisc DEV: the lower device's promiscuity count in $NS_A.
promisc() { link_json_field "$NS_A" "$1" 'l.promiscuity'; }
mac() { link_json_field "$NS_A" "$1" 'l.address'; }

test_lower_mac()
{
	local a=02:00:00:00:00:b1 c=02:00:00:00:00:c1 d=02:00:00:00:00:d1 out

	ipa link add link veth0 name pval0 type pval && pval_addr_up "$NS_A" pval0
	check_err $? "pval0"
	[ "$(mac pval0)" = "$(mac veth0)" ] && [ "$(promisc veth0)" = 0 ]
	check_err $? "start: pval0 $(mac pval0) veth0 $(mac veth0) promiscuity $(promisc veth0)"

	ipa link set veth0 address $a
	[ "$(mac pval0)" = $a ]
	check_err $? "pval0 kept $(mac pval0) after veth0 became $a"
	[ "$(promisc veth0)" = 0 ]
	check_err $? "veth0 promiscuity $(promisc veth0)"
	"$IP" -n "$NS_B" neigh flush dev veth1
	out=$(ina "$PING" -c 2 -i 0.3 -W 2 "$PVAL_ADDR_B")
	check_err $? "ping after the change: $(grep transmitted <<<"$out")"
	log_test "lower MAC changed: pval0 follows it ($a), no filter entry, the peer reaches it"

	ipa link set pval0 address $c
	[ "$(promisc veth0)" = 1 ]
	check_err $? "own address $c: veth0 promiscuity $(promisc veth0), expected 1 (unicast filter entry)"
	ipa link set veth0 address $c
	[ "$(mac pval0)" = $c ] && [ "$(promisc veth0)" = 0 ]
	check_err $? "veth0 took pval0's address: pval0 $(mac pval0), veth0 promiscuity $(promisc veth0), expected 0"
	ipa link set veth0 address $d
	[ "$(mac pval0)" = $d ] && [ "$(promisc veth0)" = 0 ]
	check_err $? "veth0 to $d: pval0 $(mac pval0), veth0 promiscuity $(promisc veth0)"
	ipa link set pval0 address $c && ipa link set veth0 address $a
	[ "$(mac pval0)" = $c ] && [ "$(promisc veth0)" = 1 ]
	check_err $? "own address kept across a lower change: pval0 $(mac pval0), promiscuity $(promisc veth0)"
	ipa link set pval0 down
	[ "$(promisc veth0)" = 0 ]
	check_err $? "pval0 down: veth0 promiscuity $(promisc veth0), expected 0"
	ipa link set pval0 up
	[ "$(promisc veth0)" = 1 ]
	check_err $? "pval0 up: veth0 promiscuity $(promisc veth0), expected 1"
	ipa link del pval0
	[ "$(promisc veth0)" = 0 ]
	check_err $? "pval0 deleted: veth0 promiscuity $(promisc veth0), expected 0"
	log_test "the unicast filter entry for pval0's own address stays balanced across lower MAC changes, down/up and delete"
}

test_vlan_stamped()
{
	local f=$WORK/vlan.pcap out n i0 i1 size

	modprobe 8021q 2>/dev/null
	ipa link add link veth0 name pval0 type pval && pval_addr_up "$NS_A" pval0 &&
		nlp set pval0 ipopt 1 &&
		ipa link add link pval0 name pval0.5 type vlan id 5 &&
		ipa addr add 10.80.0.1/24 dev pval0.5 && ipa link set pval0.5 up &&
		"$IP" -n "$NS_B" link add link veth1 name veth1.5 type vlan id 5 &&
		"$IP" -n "$NS_B" addr add 10.80.0.2/24 dev veth1.5 &&
		"$IP" -n "$NS_B" link set veth1.5 up
	check_err $? "VLAN 5 on pval0 and on veth1"
	ina "$PING" -c 1 -W 2 -q 10.80.0.2 >/dev/null

	i0=$(pval_stat "$NS_A" pval0 ipopt_inserted)
	capture_start "$NS_B" veth1 "$f" "vlan 5 and icmp[icmptype] == icmp-echo"
	out=$(ina "$PING" -c 3 -i 0.3 -W 2 10.80.0.2)
	check_err $? "ping over VLAN 5: $(grep transmitted <<<"$out")"
	size=$(link_json_field "$NS_A" pval0.5 'l.mtu')
	size=$((size - 28))
	out=$(ina "$PING" -M do -s $size -c 2 -i 0.3 -W 2 10.80.0.2)
	check_err $? "full-size DF ping over VLAN 5 (-s $size): $(grep transmitted <<<"$out")"
	capture_stop
	i1=$(pval_stat "$NS_A" pval0 ipopt_inserted)
	[ $((i1 - i0)) -ge 5 ]
	check_err $? "ipopt_inserted $i0 -> $i1"
	"$TCPDUMP" -r "$f" -nev 2>/dev/null >"$WORK/vlan.txt"
	n=$(grep -c 'vlan 5, .*proto ICMP (1), length 96, options (unknown 222)' "$WORK/vlan.txt")
	[ "$n" = 3 ]
	check_err $? "$n of 3 tagged echo requests carry the option: $(head -2 "$WORK/vlan.txt")"
	n=$(grep -c "length 1500, options (unknown 222)" "$WORK/vlan.txt")
	[ "$n" = 2 ]
	check_err $? "$n of 2 full-size tagged requests are 1500 bytes with the option"
	grep -q "bad cksum" "$WORK/vlan.txt" && check_err 1 "bad IPv4 header checksum"
	info "$(grep -m1 'options (unknown 222)' "$WORK/vlan.txt" | sed 's/^[0-9:.]* //' | cut -c1-150)"
	log_test "IPv4 over a VLAN on pval0 is stamped after the tag: 3 of 3 pings, full size 1500 with DF, replies come back"
}

test_skip_counters()
{
	local b0 b1 r0 r1 mac_a mac_b hdr

	b0=$(pval_stat "$NS_A" pval0 ipopt_skipped_bad)
	r0=$(pval_stat "$NS_A" pval0 ipopt_skipped)
	mac_a=$(mac pval0 | tr -d :)
	mac_b=$(link_json_field "$NS_B" veth1 'l.address' | tr -d :)
	# IPv4 header claiming 1000 bytes in a 34-byte frame.
	hdr=450003e800004000401100000a4d00010a4d0002
	ina "$PKT" pval0 "${mac_b}${mac_a}0800${hdr}" >/dev/null
	check_err $? "pkt-send"
	b1=$(pval_stat "$NS_A" pval0 ipopt_skipped_bad)
	r1=$(pval_stat "$NS_A" pval0 ipopt_skipped)
	[ $((b1 - b0)) = 1 ] && [ "$r0" = "$r1" ]
	check_err $? "ipopt_skipped_bad $b0 -> $b1, ipopt_skipped $r0 -> $r1"
	log_test "a truncated IPv4 header counts in ipopt_skipped_bad, not in ipopt_skipped"

	# Five VLAN tags before a valid IPv4 header: deeper than pval looks.
	b0=$(pval_stat "$NS_A" pval0 ipopt_skipped_bad)
	hdr=4500001400004000401100000a4d00010a4d0002
	ina "$PKT" pval0 "${mac_b}${mac_a}81000005810000058100000581000005810000050800${hdr}" >/dev/null
	check_err $? "pkt-send"
	b1=$(pval_stat "$NS_A" pval0 ipopt_skipped_bad)
	[ $((b1 - b0)) = 1 ]
	check_err $? "ipopt_skipped_bad $b0 -> $b1"
	log_test "IPv4 under five VLAN tags (more than 4) counts in ipopt_skipped_bad"

	r0=$(pval_stat "$NS_A" pval0 ipopt_skipped)
	ina "$PING" -R -c 1 -W 2 "$PVAL_ADDR_B" >/dev/null
	r1=$(pval_stat "$NS_A" pval0 ipopt_skipped)
	b1=$(pval_stat "$NS_A" pval0 ipopt_skipped_bad)
	[ $((r1 - r0)) = 1 ]
	check_err $? "ping -R: ipopt_skipped $r0 -> $r1"
	nlp show pval0 | grep -q " ipopt_skipped_cpu 0 ipopt_skipped_bad $b1 "
	check_err $? "show: $(nlp show pval0 | tail -1)"
	log_test "a full header (ping -R) counts in ipopt_skipped; show reports ipopt_skipped_cpu and ipopt_skipped_bad"
}

setup_topology && pval_load
check_err $? "setup"
log_test "setup"
[ "$ret" = 0 ] || pval_exit

test_netns_rename
test_netpoll_refused
test_lower_mac
test_vlan_stamped
test_skip_counters
pval_exit
