#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# chardev-basic: the read API of /dev/pval/<ifname>-{tx,rx}-cpu-<n> (SPEC.md
# section 3): device nodes, readv/read/poll/epoll semantics, 0 from an empty
# ring (blocking fd or not), EBUSY,
# flush on open, ring counters, ring size, names with '-', namespaces and
# renames.  Uses test/clients/build/pval-read, a reader written from the
# SPEC only.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"

require_root
require_cmd "$READ" "$SEND" "$NLPVAL"
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

L=pv-a.0	# a name with '-' and '.'

test_nodes()
{
	local d n=0 mode
	for d in $(cd_devs "$L" tx) $(cd_devs "$L" rx); do
		[ -c "$d" ] || check_err 1 "$d is not a character device"
		mode=$(stat -c %a "$d")
		[ "$mode" = 600 ] || check_err 1 "$d has mode $mode, not 600"
		n=$((n + 1))
	done
	[ "$(ls /dev/pval | grep -c "^$L-")" = $((2 * NCPU)) ] ||
		check_err 1 "expected $((2 * NCPU)) devices for $L, found: $(ls /dev/pval)"
	info "$n devices, e.g. $(ls -l "/dev/pval/$L-tx-cpu-0")"
	log_test "nodes: /dev/pval/$L-{tx,rx}-cpu-0..$((NCPU - 1)), mode 0600"
}

test_empty()
{
	local out rc us
	# Both fds, blocking and O_NONBLOCK: readv of an empty ring returns 0
	# at once (the header's contract; poll is how a reader waits).
	for how in -B ""; do
		out=$(timeout 5 "$READ" -M none $how "/dev/pval/$L-tx-cpu-0")
		rc=$?
		[ $rc = 4 ] || check_err 1 "readv of an empty ring (${how:-O_NONBLOCK}): exit $rc ($out), want 0 slots"
		grep -q '^empty ' <<<"$out" || check_err 1 "no empty line: $out"
		us=$(awk '$1 == "empty" { print $3 }' <<<"$out")
		[ -n "$us" ] && [ "$us" -lt 1000000 ] || check_err 1 "readv took ${us:-?} us on an empty ring"
		info "${how:-O_NONBLOCK} fd: readv returned 0 in $us us"
	done
	log_test "readv of an empty ring returns 0 at once, blocking fd or O_NONBLOCK"
}

test_ebusy()
{
	local out rc
	cd_bg "$T/first" "$READ" -r -M block "/dev/pval/$L-tx-cpu-0" || check_err 1 "first reader did not start"
	out=$("$READ" -M none "/dev/pval/$L-tx-cpu-0" 2>&1)
	rc=$?
	[ $rc = 5 ] || check_err 1 "second open: exit $rc ($out), want EBUSY"
	grep -q 'Device or resource busy' <<<"$out" || check_err 1 "no EBUSY message: $out"
	kill "$CD_PID"
	wait "$CD_PID" 2>/dev/null
	out=$("$READ" -M none "/dev/pval/$L-tx-cpu-0" 2>&1)
	[ $? = 4 ] || check_err 1 "open after the first reader closed: $out"
	log_test "second open while a reader holds the device: EBUSY; free again after close"
}

# read_burst OUT N READER-ARGS...: readers on every TX device while N
# datagrams leave; the reader stops after N slots or 2 s of silence.
read_burst()
{
	local out=$1 n=$2
	shift 2
	cd_bg "$out" "$READ" -r -M poll -s -u $PORT -n "$n" -w 2000 "$@" $(cd_devs "$L" tx) ||
		{ check_err 1 "reader did not start"; return; }
	cd_send_a "$n" >/dev/null || check_err 1 "send failed"
	cd_wait "$CD_PID" 10 || check_err 1 "reader failed: $(cat "$out")"
}

test_readv()
{
	read_burst "$T/readv" 10 -b 4
	[ "$(cd_field "$T/readv" slots)" = 10 ] || check_err 1 "slots: $(cat "$T/readv")"
	[ "$(cd_field "$T/readv" udp)" = 10 ] || check_err 1 "udp slots: $(cat "$T/readv")"
	[ "$(cd_field "$T/readv" truncated)" = 0 ] || check_err 1 "truncated: $(cat "$T/readv")"
	[ "$(cd_field "$T/readv" gso)" = 0 ] || check_err 1 "gso_segs in ordinary copies: $(cat "$T/readv")"
	# 10 slots through 4 iovecs at a time (pval-read fails if one readv
	# returns more slots than iovecs).
	[ "$(cd_field "$T/readv" reads)" -ge 3 ] || check_err 1 "reads: $(cat "$T/readv")"
	info "$(grep ^slots "$T/readv")"
	log_test "readv with 4 slot iovecs returns slot counts <= 4; 10 datagrams = 10 slots"
}

test_truncated()
{
	read_burst "$T/trunc" 10 -b 8 -S 100
	[ "$(cd_field "$T/trunc" slots)" = 10 ] || check_err 1 "slots: $(cat "$T/trunc")"
	[ "$(cd_field "$T/trunc" truncated)" = 10 ] || check_err 1 "truncated: $(cat "$T/trunc")"
	[ "$(cd_field "$T/trunc" udp)" = 10 ] || check_err 1 "udp in the first 100 bytes: $(cat "$T/trunc")"
	log_test "100-byte iovecs get truncated slots (header and frame start intact)"
}

test_read()
{
	read_burst "$T/read" 10 -m read -b 8
	[ "$(cd_field "$T/read" slots)" = 10 ] || check_err 1 "read(8 slots): $(cat "$T/read")"
	[ "$(cd_field "$T/read" truncated)" = 0 ] || check_err 1 "truncated: $(cat "$T/read")"
	read_burst "$T/read1" 3 -m read -b 1 -S 64
	[ "$(cd_field "$T/read1" slots)" = 3 ] || check_err 1 "read(64 bytes): $(cat "$T/read1")"
	[ "$(cd_field "$T/read1" truncated)" = 3 ] || check_err 1 "truncated: $(cat "$T/read1")"
	log_test "read() of 8 slots' bytes returns up to 8 whole slots; a 64-byte read() one truncated slot"
}

test_block()
{
	local d=/dev/pval/$L-tx-cpu-0
	# A blocking fd: readv returns 0, pval-read waits in poll(2).
	cd_bg "$T/block" "$READ" -r -M block -n 1 "$d" || check_err 1 "reader did not start"
	sleep 1
	kill -0 "$CD_PID" 2>/dev/null || check_err 1 "reader on a blocking fd ended on an empty ring: $(cat "$T/block")"
	# Pin the sender to CPU 0 so the slot lands in ring 0.
	ip netns exec "$NS_A" taskset -c 0 "$SEND" -n 1 "$PVAL_ADDR_B" $PORT >/dev/null
	cd_wait "$CD_PID" 5 || check_err 1 "poll on a blocking fd did not wake: $(cat "$T/block")"
	[ "$(cd_field "$T/block" slots)" = 1 ] || check_err 1 "$(cat "$T/block")"
	[ "$(cd_field "$T/block" reads)" -ge 2 ] || check_err 1 "no empty read before the slot: $(cat "$T/block")"
	log_test "blocking fd: readv returns 0 on the empty ring, poll wakes for one slot"
}

# After the link is deleted, an idle reader tells "gone" from "empty":
# poll reports POLLERR|POLLHUP and readv fails with ENODEV (not 0).
test_gone()
{
	local out
	"$IP" -n "$NS_A" link add pvg0 type veth peer name pvg1
	ip netns exec "$NS_A" "$NLPVAL" add pv-gone link pvg0 txcopy 1 ||
		{ check_err 1 "pv-gone"; log_test "deleted link: ENODEV"; return; }
	cd_bg "$T/gone-b" "$READ" -r -M block /dev/pval/pv-gone-tx-cpu-0 || check_err 1 "block reader"
	local pb=$CD_PID
	cd_bg "$T/gone-p" "$READ" -r -M poll /dev/pval/pv-gone-rx-cpu-0 || check_err 1 "poll reader"
	local pp=$CD_PID
	sleep 0.5
	"$IP" -n "$NS_A" link del pv-gone
	cd_wait $pb 5
	[ $? = 3 ] || check_err 1 "blocking-fd reader: $(cat "$T/gone-b")"
	grep -q '^gone /dev/pval/pv-gone-tx-cpu-0$' "$T/gone-b" || check_err 1 "no ENODEV from readv: $(cat "$T/gone-b")"
	cd_wait $pp 5
	[ $? = 3 ] || check_err 1 "poll reader: $(cat "$T/gone-p")"
	grep -q '^gone /dev/pval/pv-gone-rx-cpu-0' "$T/gone-p" || check_err 1 "poll reader: $(cat "$T/gone-p")"
	info "$(grep -h '^gone' "$T/gone-b" "$T/gone-p" | tr '\n' ';')"
	"$IP" -n "$NS_A" link del pvg0
	log_test "deleted link: readv of the drained ring fails with ENODEV, poll reports it"
}

test_wait_mode()
{
	local mode=$1
	cd_bg "$T/$mode" "$READ" -r -M "$mode" -n 5 -T 5000 $(cd_devs "$L" tx) || check_err 1 "reader did not start"
	sleep 0.5
	kill -0 "$CD_PID" 2>/dev/null || check_err 1 "$mode returned early: $(cat "$T/$mode")"
	cd_send_a 5 >/dev/null
	cd_wait "$CD_PID" 6 || check_err 1 "$mode reader: $(cat "$T/$mode")"
	[ "$(cd_field "$T/$mode" slots)" = 5 ] || check_err 1 "$mode: $(cat "$T/$mode")"
	log_test "$mode wakes the reader when slots arrive (5 of 5)"
}

test_flush()
{
	local out
	# No reader: nothing is kept for the next one.
	cd_send_a 20 >/dev/null
	out=$("$READ" -M none $(cd_devs "$L" tx))
	[ $? = 4 ] || check_err 1 "slots from before the open: $out"
	# A reader that opened but did not read: its slots go with it.
	cd_bg "$T/hold" "$READ" -r -M poll -D 3000 -T 3100 $(cd_devs "$L" tx) || check_err 1 "reader"
	cd_send_a 7 >/dev/null
	kill "$CD_PID"
	wait "$CD_PID" 2>/dev/null
	out=$("$READ" -M none $(cd_devs "$L" tx))
	[ $? = 4 ] || check_err 1 "the previous reader's slots were kept: $out"
	log_test "open flushes: copies made without a reader, or for a previous one, are not seen"
}

test_stats()
{
	read_burst "$T/stats" 50 -b 16
	local copied read dropped
	copied=$(cd_stats_sum "$T/stats" copied)
	read=$(cd_stats_sum "$T/stats" read)
	dropped=$(( $(cd_stats_sum "$T/stats" dropped_full) + $(cd_stats_sum "$T/stats" dropped_nomem) ))
	info "$(grep ^stats "$T/stats" | tr '\n' ';')"
	[ "$read" -ge 50 ] || check_err 1 "read counter $read < 50"
	[ "$copied" = "$read" ] || check_err 1 "copied $copied != read $read with a drained ring"
	[ "$dropped" = 0 ] || check_err 1 "drops $dropped with an idle ring"
	log_test "PVAL_IOC_RING_STATS over a reader's session: copied = read, no drops for a drained ring"
}

test_ring_size()
{
	local out name=pv-small
	out=$(ip netns exec "$NS_A" "$NLPVAL" add pv-bad link veth0 slots 100 2>&1)
	check_fail $? "a 100-slot ring was accepted"
	info "slots 100: $out"
	out=$(ip netns exec "$NS_A" "$NLPVAL" add pv-bad link veth0 slots 131072 2>&1)
	check_fail $? "a 131072-slot ring was accepted"
	info "slots 131072: $out"
	[ ! -e /dev/pval/pv-bad-tx-cpu-0 ] || check_err 1 "refused link left devices behind"

	# 64 slots, a reader that waits 3 s before reading, 100 datagrams.
	"$IP" -n "$NS_A" link del "$L"
	ip netns exec "$NS_A" "$NLPVAL" add $name link veth0 txcopy 1 slots 64 || check_err 1 "64 slots refused"
	cd_quiet "$NS_A" $name
	"$IP" -n "$NS_A" addr add "$PVAL_ADDR_A/24" dev $name
	"$IP" -n "$NS_A" link set $name up
	"$IP" -n "$NS_A" neigh replace "$PVAL_ADDR_B" lladdr "$(cd_mac "$NS_B" veth1)" dev $name nud permanent
	cd_bg "$T/small" "$READ" -r -M poll -s -D 2000 -w 1000 -b 128 \
		"/dev/pval/$name-tx-cpu-0" || check_err 1 "reader"
	ip netns exec "$NS_A" taskset -c 0 "$SEND" -n 100 "$PVAL_ADDR_B" $PORT >/dev/null
	cd_wait "$CD_PID" 6
	info "$(grep -h '^slots\|^stats' "$T/small" | tr '\n' ';')"
	[ "$(cd_field "$T/small" slots)" = 64 ] || check_err 1 "slots read: $(cat "$T/small")"
	[ "$(cd_stats_sum "$T/small" dropped_full)" = 36 ] || check_err 1 "dropped_full: $(cat "$T/small")"
	"$IP" -n "$NS_A" link del $name
	ip netns exec "$NS_A" "$NLPVAL" add "$L" link veth0 txcopy 1 rxcopy 1 swtstamp 1
	log_test "ring size: 100 and 131072 refused; 64 slots hold 64 of 100, 36 counted dropped_full"
}

test_rx()
{
	cd_bg "$T/rx" "$READ" -r -M epoll -s -u $PORT -n 30 -w 2000 $(cd_devs "$L" rx) ||
		check_err 1 "reader"
	cd_send_b 30 >/dev/null
	cd_wait "$CD_PID" 10 || check_err 1 "rx reader: $(cat "$T/rx")"
	[ "$(cd_field "$T/rx" udp)" = 30 ] || check_err 1 "rx: $(cat "$T/rx")"
	log_test "RX devices: 30 datagrams from the peer = 30 slots"
}

test_netns_clash()
{
	local out
	out=$(ip netns exec "$NS_B" "$NLPVAL" add "$L" link veth1 2>&1)
	check_fail $? "second $L in another namespace was created"
	expect_err_msg "$out" "another network namespace"
	info "$out"
	"$IP" -n "$NS_B" link show "$L" >/dev/null 2>&1 && check_err 1 "the refused link exists"
	ip netns exec "$NS_B" "$NLPVAL" add pv-b link veth1 || check_err 1 "pv-b in $NS_B"
	[ -c /dev/pval/pv-b-rx-cpu-0 ] || check_err 1 "no devices for pv-b"
	log_test "a /dev/pval name clash between namespaces is refused with a message"
}

test_rename()
{
	local out
	cd_bg "$T/ren" "$READ" -r -M poll -u $PORT -n 4 -T 8000 $(cd_devs "$L" tx) || check_err 1 "reader"
	cd_send_a 2 >/dev/null
	"$IP" -n "$NS_A" link set "$L" down
	"$IP" -n "$NS_A" link set "$L" name pv-renamed || check_err 1 "rename refused"
	[ -c /dev/pval/pv-renamed-tx-cpu-0 ] || check_err 1 "no /dev/pval/pv-renamed-*: $(ls /dev/pval)"
	[ -e "/dev/pval/$L-tx-cpu-0" ] && check_err 1 "old nodes left: $(ls /dev/pval)"
	"$IP" -n "$NS_A" link set pv-renamed up
	"$IP" -n "$NS_A" neigh replace "$PVAL_ADDR_B" lladdr "$(cd_mac "$NS_B" veth1)" dev pv-renamed nud permanent
	cd_send_a 2 >/dev/null
	cd_wait "$CD_PID" 9 || check_err 1 "reader across the rename: $(cat "$T/ren")"
	[ "$(cd_field "$T/ren" udp)" = 4 ] || check_err 1 "open reader lost slots: $(cat "$T/ren")"
	log_test "rename: devices follow the new name, an open reader keeps reading"

	"$IP" -n "$NS_A" link set pv-renamed down
	out=$("$IP" -n "$NS_A" link set pv-renamed name pv-b 2>&1)
	check_fail $? "rename onto a name used in another namespace"
	info "refused: $out; kernel: $(dmesg | grep 'rename refused' | tail -1)"
	"$IP" -n "$NS_A" link show pv-renamed >/dev/null || check_err 1 "old name lost"
	[ -c /dev/pval/pv-renamed-tx-cpu-0 ] || check_err 1 "devices lost after a refused rename"
	"$IP" -n "$NS_A" link set pv-renamed name "$L"
	"$IP" -n "$NS_A" link set "$L" up
	log_test "rename onto a /dev/pval name of another namespace is refused"
}

# RX copies come after GRO: with GRO on the lower device (veth0) and no TSO
# on the sender (veth1, so it sends MSS-sized segments), a TCP stream from
# the peer is merged, and each merged copy says how many segments it holds.
test_gro()
{
	local o=$T/gro srv bytes=400000 out i
	ip netns exec "$NS_A" "$FEATURES" veth0 gro on >/dev/null || check_err 1 "gro on veth0"
	ip netns exec "$NS_B" "$FEATURES" veth1 tso off >/dev/null || check_err 1 "tso off on veth1"
	ip netns exec "$NS_A" node -e '
		require("net").createServer((s) => { let n = 0;
			s.on("data", (d) => { n += d.length; }).on("end", () => { console.log(n); process.exit(0); });
		}).listen(5201, process.argv[1], () => console.error("listening"));
		setTimeout(() => process.exit(1), 60000);' "$PVAL_ADDR_A" >"$T/gro-srv" 2>"$T/gro-srv.err" &
	srv=$!
	for ((i = 0; i < 300; i++)); do
		grep -q listening "$T/gro-srv.err" && break
		sleep 0.1
	done
	cd_bg "$o" "$READ" -r -M epoll -w 2000 $(cd_devs "$L" rx) || check_err 1 "reader"
	ip netns exec "$NS_B" node -e '
		const c = require("net").connect(5201, process.argv[1], () => c.end(Buffer.alloc('"$bytes"', 0x61)));
		c.on("error", (e) => { console.error(e.message); process.exit(1); });' "$PVAL_ADDR_A" ||
		check_err 1 "TCP client"
	wait $srv
	out=$(cat "$T/gro-srv")
	cd_wait "$CD_PID" 10
	ip netns exec "$NS_A" "$FEATURES" veth0 gro off >/dev/null
	ip netns exec "$NS_B" "$FEATURES" veth1 tso on >/dev/null
	info "TCP $out of $bytes bytes; RX copies: $(grep '^slots' "$o")"
	[ "$out" = $bytes ] || check_err 1 "server received $out"
	[ "$(cd_field "$o" gso)" -ge 1 ] || check_err 1 "no merged copy: $(cat "$o")"
	[ "$(cd_field "$o" gsosegs)" -ge $((2 * $(cd_field "$o" gso))) ] ||
		check_err 1 "merged copies hold fewer than 2 segments each: $(cat "$o")"
	log_test "GRO on the lower device: merged TCP copies report their segment count (gso_segs)"
}

cd_setup "$L" txcopy 1 rxcopy 1 swtstamp 1 || { echo "FAIL: setup"; exit 1; }
test_nodes
test_empty
test_ebusy
test_readv
test_truncated
test_read
test_block
test_gone
test_wait_mode poll
test_wait_mode epoll
test_flush
test_stats
test_rx
test_gro
test_netns_clash
test_rename
test_ring_size
pval_exit
