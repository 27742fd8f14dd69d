#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pval.ko link suite (runs in the VM as root, cwd /pval, module not loaded):
# create with Debian's ip (IFLA_LINK) and with raw rtnetlink
# (IFLA_PVAL_LINK), show every attribute, set each switch, per-device
# counters, every refusal with its extack text, and the lifecycle: lower
# device deleted, MTU and carrier following the lower device, namespaces,
# rmmod with links present.
#
# Each test builds its own namespaces and veth pairs.  Prints PASS:/FAIL:/
# SKIP: lines; exits 1 when anything failed, 4 when a prerequisite is
# missing.

. "$(dirname "$0")/../lib/common.sh"

NLP=$PVAL_CLIENTS/nl-pval
require_root
require_cmd "$IP" "$PING" "$NLP" node
trap cleanup_netns EXIT

DEFAULT_DETAIL="pval link veth0 ipopt off txtstamp off rxtstamp off txcopy off rxcopy off txbusydrop on swtstamp off slots 1024"

nlp() { ip netns exec "$NS_A" "$NLP" "$@"; }
ipa() { "$IP" -n "$NS_A" "$@"; }

# refuse DESC PATTERN CMD...: CMD must fail and print PATTERN.
refuse()
{
	local desc=$1 pat=$2 out
	shift 2
	out=$("$@" 2>&1)
	check_fail $? "accepted: $*"
	expect_err_msg "$out" "$pat"
	info "$(head -1 <<<"$out")"
	log_test "refuse $desc"
}

test_module_load()
{
	pval_load
	check_err $? "insmod $PVAL_KO failed"
	grep -q '^pval ' /proc/modules
	check_err $? "pval not in /proc/modules"
	log_test "module loads"
}

test_create_ip()
{
	local out kind link mtu detail

	out=$(ipa link add link veth0 name pval0 type pval 2>&1)
	check_err $? "ip link add: $out"
	kind=$(link_json_field "$NS_A" pval0 'l.linkinfo && l.linkinfo.info_kind')
	[ "$kind" = pval ]
	check_err $? "info_kind '$kind'"
	link=$(link_json_field "$NS_A" pval0 'l.link')
	[ "$link" = veth0 ]
	check_err $? "link '$link' (expected veth0)"
	mtu=$(link_json_field "$NS_A" pval0 'l.mtu')
	[ "$mtu" = 1488 ]
	check_err $? "mtu $mtu (expected 1500 - 12 = 1488)"
	detail=$(nlp show pval0 | head -1)
	[ "$detail" = "$DEFAULT_DETAIL" ]
	check_err $? "detail line '$detail'"
	info "$detail"
	log_test "create with Debian ip (IFLA_LINK): kind pval, pval0@veth0, mtu 1488, default switches"

	nlp show pval0 | grep -q '^stats ipopt_inserted 0 ipopt_skipped 0 tx_copy_drops 0 rx_copy_drops 0 txtstamp_busy 0 ipopt_skipped_cpu 0 ipopt_skipped_bad 0 rx_tstamp_fallback 0$'
	check_err $? "stats line: $(nlp show pval0 | tail -1)"
	log_test "show reports the IFLA_PVAL_STATS nest"

	ipa link del pval0
	check_err $? "ip link del"
	ipa link show dev pval0 >/dev/null 2>&1
	check_fail $? "pval0 still exists"
	log_test "delete with Debian ip"
}

test_create_nl()
{
	local out detail

	out=$(nlp add pval1 link veth0 ipopt 1 swtstamp 1 txbusydrop 0 slots 256 2>&1)
	check_err $? "nl-pval add: $out"
	detail=$(nlp show pval1 | head -1)
	[ "$detail" = "pval link veth0 ipopt on txtstamp off rxtstamp off txcopy off rxcopy off txbusydrop off swtstamp on slots 256" ]
	check_err $? "detail line '$detail'"
	info "$detail"
	log_test "create with raw rtnetlink (IFLA_PVAL_LINK) and switches"
	ipa link del pval1
	check_err $?
	log_test "delete the rtnetlink-created link"

	out=$(nlp add pval2 iflink veth0 link veth0 2>&1)
	check_err $? "IFLA_LINK + IFLA_PVAL_LINK naming the same device: $out"
	ipa link del pval2 2>/dev/null
	log_test "create with IFLA_LINK and IFLA_PVAL_LINK in agreement"
}

test_switches()
{
	local sw detail out

	ipa link add link veth0 name pval0 type pval || { check_err 1 "create"; log_test "switches"; return; }
	for sw in ipopt txcopy rxcopy swtstamp; do
		nlp set pval0 "$sw" 1
		check_err $? "set $sw 1"
		detail=$(nlp show pval0 | head -1)
		grep -q " $sw on " <<<"$detail "
		check_err $? "after $sw 1: $detail"
		nlp set pval0 "$sw" 0
		check_err $? "set $sw 0"
		detail=$(nlp show pval0 | head -1)
		[ "$detail" = "$DEFAULT_DETAIL" ]
		check_err $? "after $sw 0: $detail"
		log_test "set $sw on and off"
	done
	nlp set pval0 txbusydrop 0 && nlp show pval0 | grep -q ' txbusydrop off '
	check_err $? "txbusydrop 0"
	nlp set pval0 txbusydrop 1 && [ "$(nlp show pval0 | head -1)" = "$DEFAULT_DETAIL" ]
	check_err $? "txbusydrop 1"
	log_test "set txbusydrop off and on"

	nlp set pval0 ipopt 1 txcopy 1 rxcopy 1
	check_err $? "three switches in one request"
	detail=$(nlp show pval0 | head -1)
	grep -q "ipopt on .*txcopy on rxcopy on" <<<"$detail"
	check_err $? "$detail"
	nlp set pval0 ipopt 0 txcopy 0 rxcopy 0
	log_test "set several switches in one request"

	# veth has no hardware timestamping: the request fails with a message
	# and the switch stays off.
	for sw in txtstamp rxtstamp; do
		out=$(nlp set pval0 "$sw" 1 2>&1)
		check_fail $? "$sw 1 accepted on veth"
		expect_err_msg "$out" "^Error: .*timestamp"
		nlp show pval0 | grep -q " $sw off "
		check_err $? "$sw reported on after a refusal"
		info "$out"
		log_test "set $sw on veth refused with a message, stays off"
	done
	ipa link del pval0
}

test_counters()
{
	local rx0 tx0 rx1 tx1 ins

	ipa link add link veth0 name pval0 type pval && pval_addr_up "$NS_A" pval0
	check_err $? "setup"
	nlp set pval0 ipopt 1
	rx0=$(link_stat "$NS_A" pval0 rx packets)
	tx0=$(link_stat "$NS_A" pval0 tx packets)
	ip netns exec "$NS_B" "$PING" -c 5 -i 0.2 -W 2 -q "$PVAL_ADDR_A" >/dev/null
	check_err $? "ping from the peer to pval0"
	rx1=$(link_stat "$NS_A" pval0 rx packets)
	tx1=$(link_stat "$NS_A" pval0 tx packets)
	[ $((rx1 - rx0)) -ge 5 ] && [ $((tx1 - tx0)) -ge 5 ]
	check_err $? "rx $rx0 -> $rx1, tx $tx0 -> $tx1"
	[ "$(link_stat "$NS_A" pval0 rx bytes)" -gt 0 ] && [ "$(link_stat "$NS_A" pval0 tx bytes)" -gt 0 ]
	check_err $? "byte counters"
	ins=$(pval_stat "$NS_A" pval0 ipopt_inserted)
	[ "${ins:-0}" -ge 5 ]
	check_err $? "ipopt_inserted $ins"
	info "ip -s link: rx packets +$((rx1 - rx0)), tx packets +$((tx1 - tx0)); ipopt_inserted $ins"
	log_test "per-CPU tstats in ip -s link and the ipopt_inserted counter"
	ipa link del pval0
}

test_refusals()
{
	ipa link add veth2 type veth peer name veth3 && ipa link set veth2 up
	ipa link add link veth0 name pval0 type pval
	check_err $? "setup"
	log_test "refusal setup (pval0 on veth0, free veth2)"

	refuse "no lower device (Debian ip)" "^Error: No lower device" \
		ipa link add name p9 type pval
	refuse "no lower device (rtnetlink)" "^Error: No lower device" \
		nlp add p9 ipopt 1
	refuse "unknown lower ifindex" "^Error: Unknown lower device.*No such device" \
		nlp add p9 linkindex 999999
	refuse "IFLA_LINK and IFLA_PVAL_LINK disagree" "^Error: IFLA_PVAL_LINK and IFLA_LINK name different lower devices" \
		nlp add p9 iflink veth2 link veth0
	refuse "loopback lower device" "^Error: Lower device is a loopback device" \
		ipa link add link lo name p9 type pval
	refuse "pval over pval" "^Error: Lower device is itself a pval device" \
		ipa link add link pval0 name p9 type pval
	refuse "second pval on one lower device (EBUSY)" "^Error: Lower device is busy.*Device or resource busy" \
		nlp add p9 link veth0
	if ipa link add link veth3 name mv0 type macvlan 2>/dev/null; then
		refuse "lower device with an rx handler (macvlan port, EBUSY)" "^Error: Lower device is busy.*Device or resource busy" \
			nlp add p9 link veth3
		ipa link del mv0
	else
		skip "lower device with an rx handler (macvlan port)" "macvlan not available"
	fi
	if ipa link add nlmon0 type nlmon 2>/dev/null ||
	   { modprobe ipip 2>/dev/null && ipa link add ipip0 type ipip local 10.99.0.1 remote 10.99.0.2 2>/dev/null; }; then
		local nondev
		nondev=$(ipa -o link show | sed -n 's/^[0-9]*: \(nlmon0\|ipip0\)[@:].*/\1/p' | head -1)
		refuse "non-Ethernet lower device ($nondev)" "^Error: Lower device is not an Ethernet device" \
			ipa link add link "$nondev" name p9 type pval
		ipa link del "$nondev"
	else
		skip "non-Ethernet lower device" "no nlmon or ipip module in this guest"
	fi
	refuse "changing the lower device (IFLA_PVAL_LINK)" "^Error: The lower device of a pval link cannot be changed (Operation not supported)" \
		nlp set pval0 link veth2
	refuse "changing the lower device (IFLA_LINK)" "^Error: The lower device of a pval link cannot be changed" \
		nlp set pval0 iflink veth2
	refuse "ring slots after creation" "^Error: Ring slots can only be set when the link is created" \
		nlp set pval0 slots 512
	refuse "switch value 2" "^Error: pval switches take 0 (off) or 1 (on)" \
		nlp set pval0 ipopt 2
	refuse "switch of the wrong type (u32)" "^Error: invalid attribute length" \
		nlp set pval0 raw 2:u32:1
	refuse "IFLA_PVAL_LINK of the wrong type (u8)" "^Error: invalid attribute length" \
		nlp add p9 raw 1:u8:3
	refuse "ring slots not a power of two" "^Error: Ring slots must be a power of two" \
		nlp add p9 link veth2 slots 1000
	refuse "ring slots below the minimum" "^Error: Ring slots must be a power of two" \
		nlp add p9 link veth2 slots 1
	refuse "setting IFLA_PVAL_STATS" "^Error: IFLA_PVAL_STATS is reported by the kernel" \
		nlp set pval0 raw 11:flag:0
	refuse "MTU without room for the option at creation" "^Error: MTU must leave room for the pval option" \
		nlp add p9 mtu 1500 link veth2
	refuse "MTU above lower MTU - 12 (Debian ip)" "^Error: mtu greater than device maximum" \
		ipa link set pval0 mtu 1489
	refuse "txtstamp on a lower device without hardware timestamps" "^Error: .*timestamp" \
		nlp add p9 link veth2 txtstamp 1

	ipa link show dev p9 >/dev/null 2>&1
	check_fail $? "a refused link exists"
	nlp add p9 link veth2
	check_err $? "veth2 not usable after the refusals (leaked rx handler?)"
	ipa link del p9
	ipa link del pval0
	ipa link del veth2
	log_test "refused requests leave nothing behind"
}

test_lifecycle_lower()
{
	local mtu state

	ipa link add veth4 type veth peer name veth5 &&
		ipa link set veth5 up && ipa link set veth4 up &&
		ipa link add link veth4 name pvall type pval && ipa link set pvall up
	check_err $? "setup"

	ipa link set veth4 mtu 1400
	mtu=$(link_json_field "$NS_A" pvall 'l.mtu')
	[ "$mtu" = 1388 ]
	check_err $? "lower mtu 1400: pval mtu $mtu (expected 1388)"
	ipa link set veth4 mtu 9000 && ipa link set pvall mtu 8988
	check_err $? "lower mtu 9000: pval mtu 8988 refused"
	ipa link set pvall mtu 8989 2>/dev/null
	check_fail $? "lower mtu 9000: pval mtu 8989 accepted"
	log_test "MTU follows the lower device, always 12 bytes below"

	ipa link set veth5 down
	sleep 0.2
	state=$(link_json_field "$NS_A" pvall 'l.operstate')
	[ "$state" != UP ]
	check_err $? "peer down: pval operstate $state"
	ipa link set veth5 up
	sleep 0.2
	state=$(link_json_field "$NS_A" pvall 'l.operstate')
	[ "$state" = UP ] || [ "$state" = UNKNOWN ]
	check_err $? "peer up: pval operstate $state"
	log_test "carrier follows the lower device"

	ipa link del veth4
	check_err $? "delete lower"
	ipa link show dev pvall >/dev/null 2>&1
	check_fail $? "pvall survived its lower device"
	log_test "deleting the lower device deletes the pval link"
}

test_netns()
{
	local ns_l=pvl-$PVAL_NS_SUFFIX ns_c=pvc-$PVAL_NS_SUFFIX

	netns_add "$ns_l" && netns_add "$ns_c" || { check_err 1 "netns"; log_test "netns"; return; }
	"$IP" -n "$ns_l" link add veth6 type veth peer name veth7 &&
		"$IP" -n "$ns_l" link set veth6 up &&
		"$IP" -n "$ns_l" link set veth7 netns "$NS_B" &&
		"$IP" -n "$NS_B" addr add 10.78.0.2/24 dev veth7 &&
		"$IP" -n "$NS_B" link set veth7 up
	check_err $? "setup"

	# The link in ns_c, its lower device in ns_l.
	"$IP" -n "$ns_l" link add link veth6 name pvalc netns "$ns_c" type pval &&
		"$IP" -n "$ns_c" addr add 10.78.0.1/24 dev pvalc &&
		"$IP" -n "$ns_c" link set pvalc up
	check_err $? "create pvalc in $ns_c over veth6 of $ns_l"
	ip netns exec "$ns_c" "$NLP" show pvalc | grep -q '^pval link if[0-9]* ipopt off'
	check_err $? "show across namespaces: $(ip netns exec "$ns_c" "$NLP" show pvalc | head -1)"
	ip netns exec "$ns_c" "$NLP" set pvalc ipopt 1
	ip netns exec "$ns_c" "$PING" -c 2 -i 0.2 -W 2 -q 10.78.0.2 >/dev/null
	check_err $? "ping from a link in another namespace than its lower device"
	log_test "pval link in a non-initial namespace, lower device in a third one"

	"$IP" netns del "$ns_c"
	sleep 0.5
	"$IP" -n "$ns_l" link add link veth6 name pvalr type pval
	check_err $? "veth6 still busy after deleting the link's namespace"
	"$IP" -n "$ns_l" link del pvalr
	log_test "deleting the link's namespace deletes the link and frees the lower device"

	netns_add "$ns_c"
	"$IP" -n "$ns_l" link add link veth6 name pvalc netns "$ns_c" type pval
	check_err $? "re-create pvalc"
	"$IP" netns del "$ns_l"
	sleep 0.5
	"$IP" -n "$ns_c" link show dev pvalc >/dev/null 2>&1
	check_fail $? "pvalc survived the namespace of its lower device"
	"$IP" netns del "$ns_c"
	log_test "deleting the lower device's namespace deletes the link"
}

test_rmmod_with_links()
{
	local ns_c=pvd-$PVAL_NS_SUFFIX

	netns_add "$ns_c"
	ipa link add link veth0 name pval0 type pval && pval_addr_up "$NS_A" pval0 &&
		nlp set pval0 ipopt 1 txcopy 1 rxcopy 1 swtstamp 1 &&
		ipa link add veth8 type veth peer name veth9 &&
		ipa link add link veth8 name pvalx netns "$ns_c" type pval
	check_err $? "setup: two links, one in another namespace"
	ip netns exec "$NS_B" "$PING" -c 3 -i 0.2 -W 2 -q "$PVAL_ADDR_A" >/dev/null
	check_err $? "traffic before rmmod"
	rmmod pval
	check_err $? "rmmod pval with two links present"
	ipa link show dev pval0 >/dev/null 2>&1
	check_fail $? "pval0 survived rmmod"
	"$IP" -n "$ns_c" link show dev pvalx >/dev/null 2>&1
	check_fail $? "pvalx survived rmmod"
	ipa link add link veth0 name mv0 type macvlan 2>/dev/null && ipa link del mv0
	check_err $? "veth0 rx handler not released"
	log_test "rmmod with links present removes them and frees the lower devices"
	pval_load
	check_err $? "insmod again"
	log_test "module loads again after rmmod"
}

setup_topology || { echo "FAIL: topology setup"; exit 1; }
test_module_load
test_create_ip
test_create_nl
test_switches
test_counters
test_refusals
test_lifecycle_lower
test_netns
test_rmmod_with_links
pval_exit
