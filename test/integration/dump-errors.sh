#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dump-errors: @pval/chardev and `pval dump` when things go wrong, against the
# real module.  A second reader gets EBUSY naming the device; an unprivileged
# one EACCES; a missing device or link ENOENT; deleting the link while
# `pval dump` (and a bare async iterator) wait on its devices ends them with
# ENODEV "the pval link was deleted", exit 1, after the summary.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"
. "$(dirname "$0")/dump-lib.bash"

require_root
require_cmd "$NLPVAL" "$READ" taskset
dump_require_built
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

L=pv-err0	# a name with '-'
cd_setup "$L" txcopy 1 rxcopy 1 || { echo "SKIP: cannot build the topology"; exit $ksft_skip; }
RX=/dev/pval/$L-rx-cpu-0

test_ebusy()
{
	local out rc pid
	cd_bg "$T/holder" "$READ" -r -M block "$RX" || check_err 1 "pval-read did not start"
	out=$("${PVAL[@]}" dump "$RX" -c 1 2>&1)
	rc=$?
	info "$out"
	[ $rc = 1 ] || check_err 1 "exit $rc, want 1"
	[ "$out" = "dump: EBUSY: already opened by another reader, open '$RX'" ] || check_err 1 "message: $out"
	out=$(node --input-type=module -e '
		import { openDevice } from "'"$CHARDEV"'";
		try { openDevice(process.argv[1]); } catch (e) { console.log(e.code, e.errno, e.syscall, e.path); }
	' "$RX")
	[ "$out" = "EBUSY -16 open $RX" ] || check_err 1 "addon error fields: $out"
	kill "$CD_PID"
	cd_wait "$CD_PID" 10 >/dev/null
	[ $? = 124 ] && check_err 1 "pval-read, waiting in poll(), did not end on SIGTERM"
	# Once the holder is gone the device opens again.
	"${PVAL[@]}" dump "$RX" --no-status -c 1 >"$T/again" 2>&1 &
	pid=$!
	wait_open $pid "$RX" || check_err 1 "cannot reopen $RX: $(cat "$T/again")"
	# Sent from CPU 0, so that pval0 receives them on CPU 0: $RX.
	ip netns exec "$NS_B" taskset -c 0 "$SEND" -n 3 "$PVAL_ADDR_A" "$PORT" >/dev/null
	cd_wait $pid 60 || { check_err 1 "pval dump -c 1: exit $?"; kill $pid 2>/dev/null; }
	out=$(cat "$T/again")
	grep -q "Type0800, $PVAL_ADDR_B -> $PVAL_ADDR_A" <<<"$out" || check_err 1 "no slot after the holder left: $out"
	log_test "second reader: EBUSY naming the device (pval dump exit 1, addon error fields)"
}

test_eacces()
{
	local out
	out=$(node --input-type=module -e '
		import { openDevice } from "'"$CHARDEV"'";
		// Load the addon as root (a missing device does that), then drop privileges.
		try { openDevice("/dev/pval/none-rx-cpu-0"); } catch {}
		process.setgid(65534); process.setuid(65534);
		try { openDevice(process.argv[1]); console.log("opened"); } catch (e) { console.log(e.code, e.message); }
	' "$RX")
	info "$out"
	[ "$out" = "EACCES EACCES: permission denied (pval devices are mode 0600: run as root), open '$RX'" ] ||
		check_err 1 "unprivileged open: $out"
	log_test "unprivileged reader: EACCES naming the device"
}

test_enoent()
{
	local out rc
	out=$("${PVAL[@]}" dump "/dev/pval/$L-rx-cpu-99" 2>&1)
	rc=$?
	[ $rc = 1 ] || check_err 1 "missing device: exit $rc"
	[ "$out" = "dump: ENOENT: no such pval device, open '/dev/pval/$L-rx-cpu-99'" ] || check_err 1 "missing device: $out"
	out=$("${PVAL[@]}" dump pv-none 2>&1)
	rc=$?
	[ $rc = 1 ] || check_err 1 "missing link: exit $rc"
	grep -q "^dump: ENOENT: no such pval link devices: pv-none" <<<"$out" || check_err 1 "missing link: $out"
	out=$("${PVAL[@]}" dump "$L" --cpu 99 2>&1)
	grep -q "has no device for CPU 99" <<<"$out" || check_err 1 "missing CPU: $out"
	log_test "missing device, link or CPU: ENOENT naming it, exit 1"
}

test_link_deleted()
{
	local pid ipid rc devs
	devs=$(cd_devs "$L" rx)
	"${PVAL[@]}" dump "$L" --rx --no-status >"$T/del" 2>"$T/del.err" &
	pid=$!
	# A bare async iterator on an idle TX device: its pending read must end too.
	node --input-type=module -e '
		import { openDevice } from "'"$CHARDEV"'";
		const r = openDevice(process.argv[1]);
		try { for await (const b of r) {} console.log("ended without error"); }
		catch (e) { console.log(e.code, e.message); }
		console.log("open", r.open);
	' "/dev/pval/$L-tx-cpu-$((NCPU - 1))" >"$T/iter" 2>&1 &
	ipid=$!
	# shellcheck disable=SC2086
	wait_open $pid $devs || check_err 1 "pval dump did not open every device"
	ip netns exec "$NS_B" "$SEND" -n 50 "$PVAL_ADDR_A" "$PORT" >/dev/null
	sleep 1
	"$IP" -n "$NS_A" link del "$L" || check_err 1 "cannot delete $L"
	cd_wait $pid 20
	rc=$?
	info "pval dump stderr:"
	sed 's/^/    /' "$T/del.err"
	[ $rc = 1 ] || check_err 1 "pval dump: exit $rc after the link was deleted, want 1"
	grep -q "^dump: ENODEV: the pval link was deleted, readv '/dev/pval/$L-" "$T/del.err" ||
		check_err 1 "no ENODEV message"
	grep -q "^dump: 50 slots read, 0 ring drops\$" "$T/del.err" || check_err 1 "summary is not 50 slots, 0 drops"
	[ "$(wc -l <"$T/del")" = 50 ] || check_err 1 "$(wc -l <"$T/del") lines printed, want 50"
	cd_wait $ipid 20 || check_err 1 "the async iterator did not end"
	info "iterator: $(tr '\n' ' ' <"$T/iter")"
	grep -q "^ENODEV ENODEV: the pval link was deleted, readv '/dev/pval/$L-tx-cpu-$((NCPU - 1))'" "$T/iter" ||
		check_err 1 "iterator: $(cat "$T/iter")"
	grep -q "^open false" "$T/iter" || check_err 1 "the reader is still open after ENODEV"
	log_test "link deleted while dumping: ENODEV ends pval dump (exit 1, summary) and the iterator"
}

test_ebusy
test_eacces
test_enoent
test_link_deleted
pval_exit
