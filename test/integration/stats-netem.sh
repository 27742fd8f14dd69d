#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# stats-netem: `pval stats` against a network that loses, duplicates,
# reorders and delays.  A sender (pvs0 over veth0 in $NS_A: ipopt, txcopy,
# software timestamps) pings a receiver (pvr0 over veth1 in $NS_B: rxcopy,
# software timestamps) through netem on veth0.  `pval dump -w` records both
# sides; `pval stats -r RX --tx TX` must give, per stream, the received,
# unique, duplicates, reordered, sent and lost that test/lib/stats-count.mjs
# counts from the same two files the naive way, and delays that fit the
# netem settings (both namespaces share one clock: --synced-clocks).  Then
# the receiver-only report, the live report from the devices, and a
# truncated file.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"
. "$(dirname "$0")/dump-lib.bash"
. "$(dirname "$0")/stats-lib.bash"

require_root
require_cmd "$NLPVAL" /usr/sbin/tc
dump_require_built
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }
modprobe sch_netem 2>/dev/null || { echo "SKIP: no sch_netem module"; exit $ksft_skip; }

COUNT=${STATS_NETEM_COUNT:-2000}
GAP=0.005       # ping interval, s
DELAY_MS=20     # netem delay
JITTER_MS=5     # netem jitter (uniform)
LOSS=5          # %
DUP=3           # %
T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cleanup_netns
	rm -rf "$T"
}
trap cleanup EXIT

stats_pair "" "" delay "${DELAY_MS}ms" "${JITTER_MS}ms" loss "$LOSS%" duplicate "$DUP%" || { echo "FAIL: cannot build the topology"; exit 1; }
info "pvs0 $PVAL_ADDR_A -> netem (delay ${DELAY_MS}ms ${JITTER_MS}ms loss $LOSS% duplicate $DUP%) -> pvr0 $PVAL_ADDR_B"

TXDEVS=(/dev/pval/pvs0-tx-cpu-*)
RXDEVS=(/dev/pval/pvr0-rx-cpu-*)

# pings COUNT: the sender pings the receiver COUNT times, GAP apart.
pings()
{
	ip netns exec "$NS_A" "$PING" -q -n -c "$1" -i "$GAP" -W 1 "$PVAL_ADDR_B" >"$T/ping" 2>&1
	sleep 1 # the last delayed copies
	info "$(grep -E 'transmitted' "$T/ping")"
}

# jq-like access without jq: node evaluates EXPR on the JSON in FILE (`d`).
json()
{
	node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const v=('"$2"');console.log(typeof v==="object"?JSON.stringify(v):v)' "$1"
}

test_capture_and_count()
{
	local rx_pid tx_pid rc
	"${PVAL[@]}" dump pvr0 --rx -w "$T/rx.pcapng" 2>"$T/rx.err" &
	rx_pid=$!
	"${PVAL[@]}" dump pvs0 --tx -w "$T/tx.pcapng" 2>"$T/tx.err" &
	tx_pid=$!
	wait_open $rx_pid "${RXDEVS[@]}" && wait_open $tx_pid "${TXDEVS[@]}" ||
		check_err 1 "pval dump did not open the devices"
	pings "$COUNT"
	kill -INT $rx_pid $tx_pid
	cd_wait $rx_pid 60 || check_err 1 "pval dump pvr0: $(cat "$T/rx.err")"
	cd_wait $tx_pid 60 || check_err 1 "pval dump pvs0: $(cat "$T/tx.err")"
	info "$(tail -1 "$T/rx.err") (receiver); $(tail -1 "$T/tx.err") (sender)"

	"${PVAL[@]}" stats -r "$T/rx.pcapng" --tx "$T/tx.pcapng" --synced-clocks --json >"$T/stats.json" 2>"$T/stats.err"
	rc=$?
	check_err $rc "pval stats -r --tx: exit $rc: $(cat "$T/stats.err")"
	node "$PVAL_ROOT/test/lib/stats-count.mjs" "$T/rx.pcapng" "$T/tx.pcapng" >"$T/count.json" ||
		check_err 1 "stats-count.mjs failed"
	node -e '
		const fs = require("fs");
		const stats = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
		const count = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
		const keys = ["received", "unique", "duplicates", "reordered", "sent", "lost"];
		let bad = 0;
		const seen = new Set();
		for (const s of stats.streams) {
			const key = `${s.src} ${s.cpu}`;
			seen.add(key);
			const c = count[key];
			const got = keys.map((k) => `${k} ${s[k]}`).join(", ");
			console.log(`  ${key}: ${got}`);
			if (!c) { console.log(`  ${key}: not in the independent count`); bad = 1; continue; }
			for (const k of keys) if (s[k] !== c[k]) { console.log(`  ${key}: ${k} ${s[k]}, independent count ${c[k]}`); bad = 1; }
		}
		for (const key of Object.keys(count)) if (!seen.has(key)) { console.log(`  ${key}: missing from pval stats`); bad = 1; }
		process.exit(bad);
	' "$T/stats.json" "$T/count.json" || check_err 1 "pval stats and the independent count disagree"
	log_test "pval stats -r RX --tx TX: received, unique, duplicates, reordered, sent, lost as counted independently"

	# What netem did, within what chance allows for $COUNT packets.
	local sent lost dups recv reord
	sent=$(json "$T/stats.json" 'd.streams.reduce((a, s) => a + s.sent, 0)')
	lost=$(json "$T/stats.json" 'd.streams.reduce((a, s) => a + s.lost, 0)')
	dups=$(json "$T/stats.json" 'd.streams.reduce((a, s) => a + s.duplicates, 0)')
	recv=$(json "$T/stats.json" 'd.streams.reduce((a, s) => a + s.received, 0)')
	reord=$(json "$T/stats.json" 'd.streams.reduce((a, s) => a + s.reordered, 0)')
	info "sent $sent lost $lost received $recv duplicates $dups reordered $reord"
	[ "$sent" = "$COUNT" ] || check_err 1 "sent $sent, ping sent $COUNT"
	[ $((lost * 100)) -ge $((sent * LOSS / 3)) ] && [ $((lost * 100)) -le $((sent * LOSS * 2)) ] ||
		check_err 1 "lost $lost of $sent, netem loss $LOSS%"
	[ $((dups * 100)) -ge $((sent * DUP / 3)) ] && [ $((dups * 100)) -le $((sent * DUP * 2)) ] ||
		check_err 1 "duplicates $dups of $sent, netem duplicate $DUP%"
	[ "$reord" -gt 0 ] || check_err 1 "no reordering with ${JITTER_MS}ms jitter at ${GAP}s spacing"
	log_test "loss, duplicates and reordering fit netem's loss $LOSS%, duplicate $DUP%, jitter ${JITTER_MS}ms"

	# One-way delay: netem's delay ± jitter, plus what the emulated machine
	# adds. IPDV: the difference of two delays, so within ±(max - min) of
	# the delays; with uniform jitter ±J it is triangular on ±2J (p90 ~ J).
	local owd_min owd_max owd_p50 ipdv_mean ipdv_min ipdv_max ipdv_p90
	owd_min=$(json "$T/stats.json" 'd.streams[0].owd_ns.min')
	owd_max=$(json "$T/stats.json" 'd.streams[0].owd_ns.max')
	owd_p50=$(json "$T/stats.json" 'd.streams[0].owd_ns.p50')
	ipdv_mean=$(json "$T/stats.json" 'Math.abs(d.streams[0].ipdv_ns.mean)')
	ipdv_min=$(json "$T/stats.json" 'd.streams[0].ipdv_ns.min')
	ipdv_max=$(json "$T/stats.json" 'd.streams[0].ipdv_ns.max')
	ipdv_p90=$(json "$T/stats.json" 'd.streams[0].ipdv_ns.p90')
	info "owd min $owd_min p50 $owd_p50 max $owd_max ns; ipdv min $ipdv_min |mean| $ipdv_mean p90 $ipdv_p90 max $ipdv_max ns"
	[ "$owd_min" -ge $(((DELAY_MS - JITTER_MS) * 1000000 - 500000)) ] ||
		check_err 1 "owd min $owd_min ns below netem's delay - jitter"
	[ "$owd_p50" -ge $(((DELAY_MS - 2) * 1000000)) ] && [ "$owd_p50" -le $(((DELAY_MS + JITTER_MS + 10) * 1000000)) ] ||
		check_err 1 "owd p50 $owd_p50 ns, netem delay ${DELAY_MS}ms"
	[ "$ipdv_max" -le $((owd_max - owd_min)) ] && [ "$ipdv_min" -ge $((owd_min - owd_max)) ] ||
		check_err 1 "ipdv outside ±(owd max - owd min)"
	[ "$ipdv_mean" -le 2000000 ] || check_err 1 "ipdv mean $ipdv_mean ns, want about 0"
	[ "$ipdv_p90" -ge $((JITTER_MS * 1000000 / 3)) ] && [ "$ipdv_p90" -le $(((2 * JITTER_MS + 10) * 1000000)) ] ||
		check_err 1 "ipdv p90 $ipdv_p90 ns, jitter ${JITTER_MS}ms"
	log_test "one-way delay and IPDV fit netem's delay ${DELAY_MS}ms and jitter ${JITTER_MS}ms (--synced-clocks)"
}

test_receiver_only()
{
	local rc
	"${PVAL[@]}" stats -r "$T/rx.pcapng" --json >"$T/rxonly.json" 2>"$T/rxonly.err"
	rc=$?
	check_err $rc "exit $rc: $(cat "$T/rxonly.err")"
	[ "$(json "$T/rxonly.json" 'd.streams.every((s) => s.sent === null && s.lost === null && s.ipdv_ns === null && s.owd_ns === null)')" = true ] ||
		check_err 1 "sent/lost/ipdv/owd not null without TX copies"
	# missing: what did not arrive between first and last; the losses but those beyond the ends.
	node -e '
		const fs = require("fs");
		const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).streams;
		const b = JSON.parse(fs.readFileSync(process.argv[2], "utf8")).streams;
		let bad = 0;
		for (const [i, s] of a.entries()) {
			const t = b[i];
			const span = Number(BigInt(s.last_seq) - BigInt(s.first_seq) + 1n);
			if (s.missing !== span - s.unique || s.missing > t.lost) { console.log(`  ${s.src} ${s.cpu}: missing ${s.missing}, lost ${t.lost}`); bad = 1; }
			for (const k of ["received", "unique", "duplicates", "reordered", "reorder_extent_max"]) if (s[k] !== t[k]) { console.log(`  ${k} differs`); bad = 1; }
		}
		process.exit(bad);
	' "$T/rxonly.json" "$T/stats.json" || check_err 1 "receiver-only figures differ from the joined ones"
	"${PVAL[@]}" stats -r "$T/rx.pcapng" >"$T/rxonly.txt" 2>&1
	grep -q "loss or a packet sent elsewhere" "$T/rxonly.txt" || check_err 1 "no caveat on missing: $(cat "$T/rxonly.txt")"
	sed 's/^/    /' "$T/rxonly.txt"
	log_test "pval stats -r RX alone: sent, lost, ipdv, owd null; missing within lost; the caveat in words"
}

test_live()
{
	local pid rc n=$((COUNT / 2))
	"${PVAL[@]}" stats pvr0 --tx pvs0 --synced-clocks --json --interval 2 >"$T/live.lines" 2>"$T/live.err" &
	pid=$!
	wait_open $pid "${RXDEVS[@]}" "${TXDEVS[@]}" || check_err 1 "pval stats did not open the devices"
	pings "$n"
	kill -INT $pid
	cd_wait $pid 60
	rc=$?
	check_err $rc "pval stats pvr0 --tx pvs0: exit $rc: $(cat "$T/live.err")"
	# --interval 2 --json: a line of the figures so far every 2 s, the final report last.
	tail -n 1 "$T/live.lines" >"$T/live.json"
	[ "$(wc -l <"$T/live.lines")" -ge 3 ] || check_err 1 "$(wc -l <"$T/live.lines") JSON lines with --interval 2"
	node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) JSON.parse(l).streams' \
		"$T/live.lines" || check_err 1 "a --interval line is not a report"
	json "$T/live.json" 'd.streams.map((s) => `${s.src} ${s.cpu}: received ${s.received} unique ${s.unique} duplicates ${s.duplicates} sent ${s.sent} lost ${s.lost} reordered ${s.reordered} owd p50 ${s.owd_ns && s.owd_ns.p50}`).join("\n")' |
		sed 's/^/    /'
	[ "$(json "$T/live.json" 'd.streams.reduce((a, s) => a + s.sent, 0)')" = "$n" ] ||
		check_err 1 "sent is not the $n pings"
	[ "$(json "$T/live.json" 'd.streams.every((s) => s.unique + s.lost === s.sent && s.received - s.duplicates === s.unique)')" = true ] ||
		check_err 1 "unique + lost != sent"
	[ "$(json "$T/live.json" 'd.streams.every((s) => s.owd_ns.p50 >= '$(((DELAY_MS - 2) * 1000000))')')" = true ] ||
		check_err 1 "owd p50 below netem's delay"
	log_test "pval stats LINK --tx LINK live: a JSON line per --interval, sent = pings, unique + lost = sent, owd from both rings"
}

test_terminal()
{
	local pid n
	if ! command -v script >/dev/null; then
		skip "live report on a terminal" "no script(1) to provide a terminal"
		return
	fi
	# script(1) gives pval stats a terminal: the report is redrawn every second, like top.
	script -qfec "node $PVAL_CLI stats pvr0 --duration 8" "$T/tty" >/dev/null 2>&1 &
	pid=$!
	# The reader is script's child: wait until some process holds every RX device.
	local i d held
	for ((i = 0; i < 1200; i++)); do
		held=0
		for d in "${RXDEVS[@]}"; do
			ls -l /proc/[0-9]*/fd 2>/dev/null | grep -q -- "-> $d\$" && held=$((held + 1))
		done
		[ $held = ${#RXDEVS[@]} ] && break
		sleep 0.05
	done
	[ $held = ${#RXDEVS[@]} ] || check_err 1 "pval stats did not open the devices"
	pings 300
	cd_wait $pid 60 || check_err 1 "pval stats under script(1): exit $?"
	n=$(grep -ao $'\e\[H\e\[2J' "$T/tty" | wc -l)
	[ "$n" -ge 2 ] || check_err 1 "$n redraws on the terminal"
	grep -aq "^10.77.0.1 cpu [0-9]" "$T/tty" || check_err 1 "no stream in the terminal report"
	grep -aq "loss or a packet sent elsewhere" "$T/tty" || check_err 1 "no caveat on missing"
	info "$n redraws"
	log_test "pval stats LINK on a terminal: the report redrawn every second"
}

test_truncated()
{
	local size rc
	size=$(stat -c %s "$T/rx.pcapng")
	head -c $((size / 2 + 7)) "$T/rx.pcapng" >"$T/cut.pcapng"
	"${PVAL[@]}" stats -r "$T/cut.pcapng" --json >"$T/cut.json" 2>"$T/cut.err"
	rc=$?
	[ $rc = 1 ] || check_err 1 "exit $rc on a truncated file, want 1"
	[ "$(wc -l <"$T/cut.err")" = 1 ] || check_err 1 "want one line of error: $(cat "$T/cut.err")"
	[ "$(json "$T/cut.json" 'd.streams.reduce((a, s) => a + s.received, 0) > 0')" = true ] ||
		check_err 1 "no report of what was read"
	info "$(cat "$T/cut.err")"
	log_test "pval stats -r of a truncated file: the report of what was read, one line of error, exit 1"
}

test_capture_and_count
test_receiver_only
test_live
test_terminal
test_truncated
pval_exit
