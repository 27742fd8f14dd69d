#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pval.ko traffic suite (runs in the VM as root, cwd /pval, module not
# loaded): ipopt on, checked with Debian's tcpdump on the peer side (option
# bytes de 0c 00 <cpu> <seq le>), ping replies, a full-size ping with DF,
# IPv6 and ARP untouched, a header without room for the option, TCP (GSO)
# segments each stamped, and a burst of 10,000 packets whose per-CPU
# sequence numbers must go up by one without a gap or a repeat.
#
# Prints PASS:/FAIL:/SKIP: lines and the burst figures; exits 1 when
# anything failed, 4 when a prerequisite is missing.

. "$(dirname "$0")/../lib/common.sh"

NLP=$PVAL_CLIENTS/nl-pval
LIB=$PVAL_ROOT/test/lib
BURST=${PVAL_BURST:-10000}
require_root
require_cmd "$IP" "$PING" "$TCPDUMP" "$NLP" node taskset
WORK=$(mktemp -d)
trap 'capture_stop; cleanup_netns; rm -rf "$WORK"' EXIT

nlp() { ip netns exec "$NS_A" "$NLP" "$@"; }
ina() { ip netns exec "$NS_A" "$@"; }

# Print "cpu seq" for each packet of a tcpdump -x listing whose IPv4
# header has 20 fixed bytes then the pval option, "none" for the others.
option_fields()
{
	"$TCPDUMP" -r "$1" -nx 2>/dev/null | while read -r off w0 w1 w2 w3 w4 w5 w6 w7; do
		[ "$off" = "0x0010:" ] || continue
		if [ "$w2" = de0c ] && [ "${w3:0:2}" = 00 ]; then
			local b="$w4$w5$w6$w7" seq=0 i
			for i in 7 6 5 4 3 2 1 0; do
				seq=$((seq * 256 + 16#${b:i*2:2}))
			done
			echo "$((16#${w3:2:2})) $seq"
		else
			echo none
		fi
	done
}

setup()
{
	setup_topology || return 1
	pval_load || return 1
	"$IP" -n "$NS_A" link add link veth0 name pval0 type pval || return 1
	pval_addr_up "$NS_A" pval0 || return 1
	nlp set pval0 ipopt 1 || return 1
	# Resolve the peer once so that captures see only what they test.
	ina "$PING" -c 1 -W 2 -q "$PVAL_ADDR_B" >/dev/null
}

test_option_bytes()
{
	local f=$WORK/opt.pcap out fields n cpus=$(nproc) cpu seq prev_cpu=-1 prev_seq=-1 bad=0

	capture_start "$NS_B" veth1 "$f" "icmp[icmptype] == icmp-echo and src $PVAL_ADDR_A"
	check_err $? "tcpdump did not start"
	out=$(ina "$PING" -c 5 -i 0.2 -W 2 "$PVAL_ADDR_B")
	check_err $? "ping with ipopt on: $(tail -2 <<<"$out" | head -1)"
	grep -q "5 packets transmitted, 5 received" <<<"$out"
	check_err $? "not every reply arrived: $(grep transmitted <<<"$out")"
	capture_stop
	log_test "ping with ipopt on: 5 of 5 replies (the peer accepts the header checksum)"

	fields=$(option_fields "$f")
	n=$(grep -c '^[0-9]' <<<"$fields")
	[ "$n" = 5 ] && ! grep -q none <<<"$fields"
	check_err $? "packets with the option: $n of 5 ($(tr '\n' ',' <<<"$fields"))"
	while read -r cpu seq; do
		[ "$cpu" -lt "$cpus" ] || bad=1
		if [ "$cpu" = "$prev_cpu" ] && [ "$seq" != $((prev_seq + 1)) ]; then bad=1; fi
		prev_cpu=$cpu prev_seq=$seq
	done < <(grep '^[0-9]' <<<"$fields")
	check_err $bad "cpu out of range or sequence not consecutive: $(tr '\n' ',' <<<"$fields")"
	"$TCPDUMP" -r "$f" -nvx 2>/dev/null | head -3 | sed 's/^/  tcpdump: /'
	"$TCPDUMP" -r "$f" -nv 2>/dev/null | grep -q "proto ICMP (1), length 96, options (unknown 222)"
	check_err $? "tcpdump -v does not show length 96 and option 222"
	out=$(node "$LIB/pcap-pval.mjs" "$f" --src "$PVAL_ADDR_A" --expect 5)
	check_err $? "$out"
	info "$out"
	log_test "tcpdump on the peer: IHL 8, length 96, bytes de 0c 00 <cpu> <seq le>, valid checksum"
}

test_df_full_size()
{
	local mtu size f=$WORK/df.pcap out drop0 drop1

	mtu=$(link_json_field "$NS_A" pval0 'l.mtu')
	size=$((mtu - 28))
	drop0=$(link_stat "$NS_A" pval0 tx dropped)
	capture_start "$NS_B" veth1 "$f" "icmp[icmptype] == icmp-echo and src $PVAL_ADDR_A"
	out=$(ina "$PING" -M do -s "$size" -c 3 -i 0.2 -W 2 "$PVAL_ADDR_B")
	check_err $? "ping -M do -s $size: $(grep -E 'transmitted|error' <<<"$out")"
	capture_stop
	grep -q "3 packets transmitted, 3 received" <<<"$out"
	check_err $? "replies: $(grep transmitted <<<"$out")"
	[ "$("$TCPDUMP" -r "$f" -nv 2>/dev/null | grep -c 'length 1500, options (unknown 222)')" = 3 ]
	check_err $? "the peer did not see 3 packets of 1500 bytes with the option"
	drop1=$(link_stat "$NS_A" pval0 tx dropped)
	[ "$drop0" = "$drop1" ]
	check_err $? "tx dropped $drop0 -> $drop1"
	info "pval0 mtu $mtu: ping -M do -s $size arrives as IPv4 length 1500 (1488 + 12)"
	log_test "full-size ping with DF set arrives with the option"

	ina "$PING" -M do -s $((size + 1)) -c 1 -W 1 "$PVAL_ADDR_B" >/dev/null 2>&1
	check_fail $? "ping -M do -s $((size + 1)) succeeded beyond the MTU"
	log_test "one byte more with DF is refused locally (MTU honest)"
}

test_ipv6_untouched()
{
	local f=$WORK/v6.pcap out

	capture_start "$NS_B" veth1 "$f" "icmp6 and ip6[40] == 128"
	out=$(ina "$PING" -6 -c 3 -i 0.2 -W 2 "$PVAL_ADDR6_B")
	check_err $? "ping -6: $(grep transmitted <<<"$out")"
	capture_stop
	grep -q "3 packets transmitted, 3 received" <<<"$out"
	check_err $? "replies: $(grep transmitted <<<"$out")"
	[ "$("$TCPDUMP" -r "$f" -nev 2>/dev/null | grep -c 'ethertype IPv6 (0x86dd), length 118:.*payload length: 64')" = 3 ]
	check_err $? "IPv6 echo requests changed: $("$TCPDUMP" -r "$f" -nev 2>/dev/null | head -2)"
	log_test "IPv6 untouched with ipopt on: 3 of 3 replies, frames of 118 bytes, payload 64"
}

test_arp_untouched()
{
	local f=$WORK/arp.pcap out mac peer_mac

	"$IP" -n "$NS_A" neigh flush dev pval0
	"$IP" -n "$NS_B" neigh flush dev veth1
	capture_start "$NS_B" veth1 "$f" arp
	out=$(ina "$PING" -c 1 -W 2 "$PVAL_ADDR_B")
	check_err $? "ping after neigh flush"
	capture_stop
	"$TCPDUMP" -r "$f" -ne 2>/dev/null | grep -q "ethertype ARP (0x0806), length 42: Request who-has $PVAL_ADDR_B tell $PVAL_ADDR_A"
	check_err $? "no ARP request of 42 bytes from pval0: $("$TCPDUMP" -r "$f" -ne 2>/dev/null | head -2)"
	mac=$(link_json_field "$NS_A" pval0 'l.address')
	peer_mac=$("$IP" -n "$NS_B" -j neigh show "$PVAL_ADDR_A" dev veth1 |
		node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const n=JSON.parse(s)[0];console.log(n?n.lladdr:"")})')
	[ "$mac" = "$peer_mac" ]
	check_err $? "peer resolved $PVAL_ADDR_A to '$peer_mac', pval0 is $mac"
	log_test "ARP untouched: request of 42 bytes, peer resolves pval0's address"
}

test_ihl_full()
{
	local s0 s1 f=$WORK/rr.pcap out

	s0=$(pval_stat "$NS_A" pval0 ipopt_skipped)
	capture_start "$NS_B" veth1 "$f" "icmp[icmptype] == icmp-echo and src $PVAL_ADDR_A"
	out=$(ina "$PING" -R -c 1 -W 2 "$PVAL_ADDR_B")
	check_err $? "ping -R: $(grep transmitted <<<"$out")"
	capture_stop
	s1=$(pval_stat "$NS_A" pval0 ipopt_skipped)
	[ $((s1 - s0)) = 1 ]
	check_err $? "ipopt_skipped $s0 -> $s1"
	"$TCPDUMP" -r "$f" -nx 2>/dev/null | grep -q "0x0000:  4f"
	check_err $? "the record-route packet did not keep IHL 15"
	option_fields "$f" | grep -q '^none$'
	check_err $? "a pval option in a full header"
	info "ping -R (IHL 15): sent unmodified, ipopt_skipped $s0 -> $s1"
	log_test "a header without room (IHL 15) goes out unmodified and is counted"
}

test_tcp_gso()
{
	local f=$WORK/tcp.pcap out got s0 s1 bytes=4194304

	s0=$(pval_stat "$NS_A" pval0 ipopt_skipped)
	capture_start "$NS_B" veth1 "$f" -s 96 "tcp and src $PVAL_ADDR_A"
	got=$(tcp_transfer "$NS_A" "$NS_B" "$PVAL_ADDR_B" 5201 $bytes 120)
	check_err $? "TCP transfer: $got"
	capture_stop
	[ "$got" = "$bytes" ]
	check_err $? "received $got of $bytes bytes"
	s1=$(pval_stat "$NS_A" pval0 ipopt_skipped)
	[ "$s0" = "$s1" ]
	check_err $? "ipopt_skipped $s0 -> $s1"
	out=$(node "$LIB/pcap-pval.mjs" "$f" --src "$PVAL_ADDR_A" --expect 100)
	check_err $? "$out"
	grep -q "max-ip-length 1500 " <<<"$out"
	check_err $? "segments larger than the wire MTU: $out"
	info "$out"
	log_test "TCP over pval0: $bytes bytes, every segment stamped, none above 1500 (GSO segmented first)"
}

test_burst()
{
	local f=$WORK/burst.pcap out ncpu per i pids=() ins0 ins1 dropped t0 t1 sent

	ncpu=$(nproc)
	[ "$ncpu" -gt 2 ] && ncpu=2
	per=$((BURST / ncpu))
	ins0=$(pval_stat "$NS_A" pval0 ipopt_inserted)
	capture_start "$NS_B" veth1 "$f" -s 64 "udp and dst port 9 and src $PVAL_ADDR_A"
	check_err $? "tcpdump did not start"
	t0=${EPOCHREALTIME/./}
	for ((i = 0; i < ncpu; i++)); do
		ina taskset -c "$i" node "$LIB/udp-burst.mjs" "$PVAL_ADDR_B" 9 "$per" 32 16 >"$WORK/sender.$i" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
		check_err $? "sender failed: $(cat "$WORK"/sender.* | tr '\n' ' ')"
	done
	t1=${EPOCHREALTIME/./}
	capture_stop
	ins1=$(pval_stat "$NS_A" pval0 ipopt_inserted)
	dropped=$(capture_dropped "$f")
	sent=$((per * ncpu))
	out=$(node "$LIB/pcap-pval.mjs" "$f" --src "$PVAL_ADDR_A" --expect "$sent")
	check_err $? "$out"
	[ $((ins1 - ins0)) = "$sent" ]
	check_err $? "ipopt_inserted grew by $((ins1 - ins0)), $sent sent"
	[ "${dropped:-0}" = 0 ]
	check_err $? "tcpdump dropped $dropped packets"
	if [ "$(nproc)" -ge 2 ]; then
		grep -q "cpu0=$per(" <<<"$out" && grep -q "cpu1=$per(" <<<"$out"
		check_err $? "expected $per packets on each of cpu0 and cpu1: $out"
	fi
	echo "  burst: $sent packets from $ncpu CPUs in $(((t1 - t0) / 1000)) ms; ipopt_inserted +$((ins1 - ins0)); capture dropped ${dropped:-0}"
	info "$out"
	log_test "burst of $sent packets: per-CPU sequence numbers strictly increasing, no gap, no repeat"
}

setup || { echo "FAIL: setup"; exit 1; }
test_option_bytes
test_df_full_size
test_ipv6_untouched
test_arp_untouched
test_ihl_full
test_tcp_gso
test_burst
pval_exit
