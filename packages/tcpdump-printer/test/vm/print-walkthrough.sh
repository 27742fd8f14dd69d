#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# print-walkthrough: step 4 of the walkthrough with `pval print` instead of
# the patched tcpdump.  The peer pings pval0 (ipopt on); `pval print -nvvv
# -i veth0` on the lower device shows the echo reply with
# `length 96, options (pval cpu 0, seq N)`, and its lines equal stock
# tcpdump's, captured at the same time, but for `unknown 222`.  Meanwhile
# `pval print --slots pval0` prints the copies on pval0's character devices.
# Then `pval print -i any` (Linux cooked v2) against `tcpdump -i any`, and
# tcpdump's capture of `any` read back with `pval print -r FILE EXPRESSION`.
#
# Run in the guest: test/vm/run.sh -- bash packages/tcpdump-printer/test/vm/print-walkthrough.sh
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
. "$ROOT/test/lib/common.sh"
. "$ROOT/test/integration/chardev-lib.bash"

CLI=$ROOT/packages/cli/dist/bin.js
require_root
require_cmd "$NLPVAL" tcpdump node
[ -f "$CLI" ] || { echo "SKIP: packages not built (pnpm build)"; exit $ksft_skip; }
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

# Gives a background reader up to 10 s to end by itself (-c), then stops it; its exit status.
finish()
{
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill "$1" 2>/dev/null
	wait "$1"
}

# Copies are made only while a reader holds a device: waits (up to 30 s)
# until process $1 has every device of pval0 open (node starts slowly under
# emulation).
wait_open()
{
	local n_dev i
	n_dev=$(ls /dev/pval/pval0-* | wc -l)
	for ((i = 0; i < 600; i++)); do
		[ "$(ls -l "/proc/$1/fd" 2>/dev/null | grep -c -- '-> /dev/pval/pval0-')" -ge "$n_dev" ] && return 0
		sleep 0.05
	done
	return 1
}

cd_setup pval0 ipopt 1 txcopy 1 rxcopy 1 || { echo "SKIP: cannot build the topology"; exit $ksft_skip; }

# The copies on the character devices: two requests in, two replies out.
node "$CLI" print -nv --slots pval0 -c 4 >"$T/slots" 2>"$T/slots.err" &
slots=$!
wait_open "$slots"

# Both capture the lower device of pval0, as in the walkthrough.
ip netns exec "$NS_A" node "$CLI" print -nvvv -i veth0 -c 4 icmp >"$T/ours" 2>"$T/ours.err" &
ours=$!
ip netns exec "$NS_A" tcpdump -nvvv -i veth0 -c 4 icmp >"$T/theirs" 2>"$T/theirs.err" &
theirs=$!
for _ in $(seq 200); do
	grep -q "listening on" "$T/ours.err" 2>/dev/null && grep -q "listening on" "$T/theirs.err" 2>/dev/null && break
	sleep 0.05
done
ip netns exec "$NS_B" taskset -c 0 "$PING" -q -c 2 -i 0.3 "$PVAL_ADDR_A" >/dev/null
wait "$ours"
rc_ours=$?
wait "$theirs"
finish "$slots"
rc_slots=$?

rc=0
if [ "$rc_slots" = 0 ] && grep -q "ICMP echo request" "$T/slots" &&
	grep -Eq "options \(pval cpu [0-9]+, seq [0-9]+\)" "$T/slots" && grep -q "ICMP echo reply" "$T/slots"; then
	echo "PASS: pval print --slots pval0 prints the copied requests and replies"
	sed 's/^/    /' "$T/slots"
else
	echo "FAIL: pval print --slots pval0 (exit $rc_slots):"
	sed 's/^/    /' "$T/slots" "$T/slots.err"
	rc=1
fi

# The copies saved with -w: one interface per device, 256-byte snapshot
# length, each packet's direction in epb_flags (1 inbound, 2 outbound).
node "$CLI" print --slots pval0 -c 4 -w "$T/slots.pcapng" 2>"$T/w.err" &
writer=$!
wait_open "$writer"
ip netns exec "$NS_B" taskset -c 0 "$PING" -q -c 2 -i 0.3 "$PVAL_ADDR_A" >/dev/null
finish "$writer"
rc_w=$?
hex=$(od -An -tx1 -v "$T/slots.pcapng" | tr -d ' \n')
n_in=$(grep -o "0200040001000000" <<<"$hex" | wc -l)
n_out=$(grep -o "0200040002000000" <<<"$hex" | wc -l)
# Interface blocks: linktype 1, snaplen 256, then if_name.
n_if=$(grep -o "01000000000100000200" <<<"$hex" | wc -l)
node "$CLI" print -nv -r "$T/slots.pcapng" >"$T/slots.txt" 2>&1
if [ "$rc_w" = 0 ] && [ "$n_in" -ge 1 ] && [ "$n_out" -ge 1 ] && [ $((n_in + n_out)) = 4 ] && [ "$n_if" -ge 2 ] && grep -q "ICMP echo reply" "$T/slots.txt"; then
	echo "PASS: pval print --slots -w: $n_if interfaces of snaplen 256, $n_in packets inbound, $n_out outbound; -r reads it"
else
	echo "FAIL: pval print --slots -w (exit $rc_w): $n_if interfaces of snaplen 256, $n_in inbound, $n_out outbound"
	sed 's/^/    /' "$T/w.err" "$T/slots.txt"
	rc=1
fi

if [ "$rc_ours" = 0 ]; then
	echo "PASS: pval print -i exits 0 after -c 4"
else
	echo "FAIL: pval print -i exited $rc_ours: $(cat "$T/ours.err")"
	rc=1
fi

reply=$(grep -A1 "options (pval cpu" "$T/ours" | head -2)
if printf '%s\n' "$reply" | head -1 | grep -Eq 'proto ICMP \(1\), length 96, options \(pval cpu [0-9]+, seq [0-9]+\)\)$' &&
	printf '%s\n' "$reply" | tail -1 | grep -Eq "^    $PVAL_ADDR_A > $PVAL_ADDR_B: ICMP echo reply, id [0-9]+, seq [0-9]+, length 64\$"; then
	echo "PASS: the echo reply shows length 96, options (pval cpu N, seq M)"
	printf '%s\n' "$reply" | sed 's/^/    /'
else
	echo "FAIL: no echo reply line with option 222:"
	sed 's/^/    /' "$T/ours"
	rc=1
fi

# same_lines NAME OURS THEIRS MIN: stock tcpdump's lines, with its
# unknown-option form replaced by ours, equal ours; at least MIN of them.
same_lines()
{
	local name=$1 ours_file=$2 theirs_file=$3 min=$4 i=0 ok=0 line ourline want
	while IFS= read -r line; do
		i=$((i + 1))
		ourline=$(sed -n "${i}p" "$ours_file")
		want=$(printf '%s\n' "$line" | sed -E "s/unknown 222/$(printf '%s\n' "$ourline" | grep -oE 'pval cpu [0-9]+, seq [0-9]+' || echo 'unknown 222')/")
		if [ "$ourline" != "$want" ]; then
			echo "FAIL: $name: line $i differs from tcpdump's"
			echo "    tcpdump:    $want"
			echo "    pval print: $ourline"
			ok=1
		fi
	done <"$theirs_file"
	if [ "$ok" = 0 ] && [ "$i" -ge "$min" ]; then
		echo "PASS: $name: $i lines equal tcpdump's (option 222 aside)"
	else
		[ "$i" -lt "$min" ] && echo "FAIL: $name: tcpdump printed only $i lines"
		rc=1
	fi
}
same_lines "pval print -nvvv -i veth0" "$T/ours" "$T/theirs" 8

# wait_listening FILE...: until every file says "listening on".
wait_listening()
{
	local f all
	for _ in $(seq 200); do
		all=1
		for f in "$@"; do grep -q "listening on" "$f" 2>/dev/null || all=0; done
		[ "$all" = 1 ] && return 0
		sleep 0.05
	done
	return 1
}

# -i any: Linux cooked v2 (tcpdump's default there), every interface of
# the namespace, so each packet shows on veth0 and on pval0.
timeout 30 ip netns exec "$NS_A" node "$CLI" print -nv -e -i any -c 8 icmp >"$T/any" 2>"$T/any.err" &
ours=$!
timeout 30 ip netns exec "$NS_A" tcpdump -nv -e -i any -c 8 --immediate-mode icmp >"$T/any.theirs" 2>"$T/any.theirs.err" &
theirs=$!
timeout 30 ip netns exec "$NS_A" tcpdump -i any -c 8 --immediate-mode -w "$T/any.pcap" icmp 2>"$T/any.w.err" &
writer=$!
wait_listening "$T/any.err" "$T/any.theirs.err" "$T/any.w.err"
ip netns exec "$NS_B" taskset -c 0 "$PING" -q -c 2 -i 0.3 "$PVAL_ADDR_A" >/dev/null
wait "$ours"
rc_any=$?
wait "$theirs" "$writer"
if [ "$rc_any" = 0 ] && grep -q "^print: listening on any, link-type LINUX_SLL2 (Linux cooked v2)" "$T/any.err" &&
	grep -q "^8 packets captured$" "$T/any.err"; then
	echo "PASS: pval print -i any exits 0 after -c 8, on LINUX_SLL2"
else
	echo "FAIL: pval print -i any exited $rc_any: $(cat "$T/any.err")"
	rc=1
fi
grep -q " pval0 In  ifindex " "$T/any" && grep -q " veth0 In  ifindex " "$T/any" ||
	{ echo "FAIL: pval print -i any shows no packet on pval0 and veth0:"; sed 's/^/    /' "$T/any"; rc=1; }
same_lines "pval print -nv -e -i any" "$T/any" "$T/any.theirs" 8

# -r FILE EXPRESSION: tcpdump's capture of any read back through
# libpcap's offline filter, with and without a match.
for expr in "icmp[icmptype] = icmp-echoreply" "outbound and ip[20] = 222" "udp"; do
	node "$CLI" print -nv -r "$T/any.pcap" $expr >"$T/r.ours" 2>"$T/r.err"
	rc_r=$?
	tcpdump -nv -r "$T/any.pcap" $expr >"$T/r.theirs" 2>/dev/null
	if [ "$rc_r" != 0 ] || [ -s "$T/r.err" ]; then
		echo "FAIL: pval print -r any.pcap $expr exited $rc_r: $(cat "$T/r.err")"
		rc=1
	elif [ "$expr" = udp ]; then
		[ ! -s "$T/r.ours" ] && [ ! -s "$T/r.theirs" ] && echo "PASS: pval print -r any.pcap udp prints nothing, as tcpdump" ||
			{ echo "FAIL: pval print -r any.pcap udp printed something"; rc=1; }
	else
		same_lines "pval print -nv -r any.pcap $expr" "$T/r.ours" "$T/r.theirs" 2
	fi
done
exit $rc
