#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# @pval/chardev benchmark, run inside the VM (test/vm/run.sh), every reader
# in the same boot on the same link:
#
# 1. Drain rate: a 65536-slot TX ring is filled with N datagrams while the
#    reader waits (-D), then read out. Slots per second of
#      pval-read -b 16, pval-read -b 1024 (the C client of the module's tests)
#      the addon's raw batch read (read-count.mjs -b 1024)
#    Target: addon >= 50% of C at batch 1024.
# 2. Drops under a flood on a default 1024-slot ring (sender pinned to CPU 0,
#    reader to CPU 1), for C at batch 16 and 1024, the addon, and
#    `pval dump --json > /dev/null`, and live `pval stats` of the device.
#    Target: pval dump and pval stats drop no more than C at batch 16.
#    FLOOD_RUNS=N repeats the flood round N times in the same boot;
#    DRAIN=0 leaves out part 1; FLOOD_READERS lists the readers of part 2
#    (default: c-b16 c-b1024 addon dump-json stats-live; also
#    dump-json-default, stats-live-default: with PVAL_READER_SCHED=default).
#
#   test/vm/run.sh --timeout 1800 -- bash packages/chardev/bench/flood.sh
. "$(dirname "$0")/../../../test/lib/common.sh"
. "$(dirname "$0")/../../../test/integration/chardev-lib.bash"

require_root
require_cmd "$NLPVAL" "$SEND" "$READ" taskset
COUNTER=$PVAL_ROOT/packages/chardev/bench/read-count.mjs
PVAL_CLI=$PVAL_ROOT/packages/cli/dist/bin.js
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

DRAIN_N=${DRAIN_N:-30000}
DRAIN=${DRAIN:-1}
FLOOD_RUNS=${FLOOD_RUNS:-1}
FLOOD_READERS=${FLOOD_READERS:-c-b16 c-b1024 addon dump-json stats-live}
FLOOD_S=${FLOOD_S:-5}
DEV=/dev/pval/pval0-tx-cpu-0
T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"; }
# Microseconds since the epoch (bash 5; the guest's date has no %N).
now_us() { echo "${EPOCHREALTIME/./}"; }
send_a() { ip netns exec "$NS_A" taskset -c 0 "$SEND" "$@" "$PVAL_ADDR_B" "$PORT"; }

# ---------------------------------------------------------------- 1. drain
if [ "$DRAIN" = 1 ]; then
cd_setup pval0 txcopy 1 swtstamp 1 slots 65536 || { echo "SKIP: topology"; exit $ksft_skip; }
# The readers wait DELAY_MS after opening, long enough for the whole burst
# to be queued: twice the time the burst takes without a reader, plus 2 s.
calib=$(send_a -n "$DRAIN_N")
DELAY_MS=$(awk -v s="$(field "$calib" secs)" 'BEGIN { printf "%d", s * 2000 + 2000 }')
echo "== drain: $DRAIN_N slots queued in a 65536-slot ring (reader waits ${DELAY_MS} ms), then read"

drain_c()
{
	local b=$1 t0 t1 out sent secs
	t0=$(now_us)
	taskset -c 1 "$READ" -M epoll -b "$b" -D "$DELAY_MS" -n "$DRAIN_N" "$DEV" >"$T/c$b" 2>&1 &
	local pid=$!
	sleep 0.2
	sent=$(send_a -n "$DRAIN_N")
	wait $pid
	t1=$(now_us)
	out=$(cat "$T/c$b")
	# The reader slept DELAY_MS after opening; the rest is the drain.
	secs=$(awk -v a="$t0" -v b="$t1" -v d="$DELAY_MS" 'BEGIN { printf "%.4f", (b - a) / 1e6 - d / 1000 }')
	echo "c-b$b slots $(field "$out" slots) secs $secs sps $(awk -v n="$(field "$out" slots)" -v s="$secs" 'BEGIN { printf "%d", n / s }') sender_secs $(field "$sent" secs)"
}

drain_addon()
{
	local out sent
	taskset -c 1 node "$COUNTER" -b 1024 -D "$DELAY_MS" -n "$DRAIN_N" -w 3000 -r "$DEV" >"$T/addon" 2>&1 &
	local pid=$!
	for ((i = 0; i < 400; i++)); do grep -q ready "$T/addon" && break; sleep 0.05; done
	sent=$(send_a -n "$DRAIN_N")
	wait $pid
	out=$(grep '^slots' "$T/addon")
	echo "addon-b1024 slots $(field "$out" slots) secs $(field "$out" secs) sps $(field "$out" sps) sender_secs $(field "$sent" secs)"
}

drain_c 16 | tee -a "$T/drain"
drain_c 1024 | tee -a "$T/drain"
drain_addon | tee -a "$T/drain"
c1024=$(awk '$1 == "c-b1024" { print $7 }' "$T/drain")
addon=$(awk '$1 == "addon-b1024" { print $7 }' "$T/drain")
echo "drain ratio addon/C(1024) = $(awk -v a="$addon" -v c="$c1024" 'BEGIN { printf "%.2f", a / c }') (target >= 0.50)"
cd_teardown
fi

# ---------------------------------------------------------------- 2. flood
# ipopt on: every copy carries option 222, so pval stats analyses each one
# as a packet of a stream (FLOOD_IPOPT=0: copies without it).
FLOOD_IPOPT=${FLOOD_IPOPT:-1}
cd_setup pval0 txcopy 1 swtstamp 1 ipopt "$FLOOD_IPOPT" || { echo "SKIP: topology"; exit $ksft_skip; }
echo "== flood: ${FLOOD_S}s of datagrams from CPU 0 on a 1024-slot ring, reader on CPU 1, ipopt $FLOOD_IPOPT"

# open_ms PID: waits until PID has $DEV open (node takes seconds to start
# under TCG, and a copy is only made while the device is open) and prints
# how long that took; gives up after 60 s.
open_ms()
{
	local t0 i
	t0=$(now_us)
	for ((i = 0; i < 1200; i++)); do
		ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "-> $DEV\$" && break
		sleep 0.05
	done
	echo $((($(now_us) - t0) / 1000))
}

flood()
{
	local name=$1 sent read drops opened
	shift
	"$@" &
	local pid=$!
	# The flood starts once the reader holds the device, so what is measured
	# is reading, not starting up.
	opened=$(open_ms $pid)
	sleep 1
	sent=$(send_a -t "$FLOOD_S" -b 64)
	# The C client and read-count stop 4 s after the last slot; pval dump
	# and pval stats stop on Ctrl-C like a user would stop them.
	case $name in dump* | stats*) sleep 3; kill -INT $pid ;; esac
	wait $pid 2>/dev/null
	case $name in
	c-*) read=$(field "$(grep '^slots' "$T/$name")" slots) ;;
	addon*) read=$(field "$(grep '^slots' "$T/$name")" slots) ;;
	dump*) read=$(sed -n 's/^dump: \([0-9]*\) slots read, .*/\1/p' "$T/$name") ;;
	stats*) read=$(node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(d.streams.reduce((a,s)=>a+s.received,0)+d.no_option+d.not_ipv4)' "$T/$name.json") ;;
	esac
	# When the ring dropped, as pval dump and pval stats saw it (s since open).
	case $name in dump* | stats*)
		grep 'ring drops in' "$T/$name" | sed "s/^/  $name: /"
		grep 'reader thread' "$T/$name" | sed "s/^/  $name: /" ;;
	esac
	drops=$(( $(field "$sent" sent) - read ))
	echo "$name sent $(field "$sent" sent) pps $(field "$sent" pps) read $read drops $drops drop_pct $(awk -v d="$drops" -v s="$(field "$sent" sent)" 'BEGIN { printf "%.2f", 100 * d / s }') open_ms $opened"
}

for ((run = 1; run <= FLOOD_RUNS; run++)); do
	[ "$FLOOD_RUNS" -gt 1 ] && echo "== flood round $run of $FLOOD_RUNS"
	for r in $FLOOD_READERS; do
		case $r in
		c-b16) flood c-b16 sh -c "exec taskset -c 1 $READ -M epoll -b 16 -w 4000 $DEV >$T/c-b16 2>&1" ;;
		c-b1024) flood c-b1024 sh -c "exec taskset -c 1 $READ -M epoll -b 1024 -w 4000 $DEV >$T/c-b1024 2>&1" ;;
		addon) flood addon sh -c "exec taskset -c 1 node $COUNTER -b 1024 -w 4000 $DEV >$T/addon 2>&1" ;;
		# The same without the reader thread's real-time priority: what it is worth.
		dump-json-default) flood dump-json-default sh -c "exec env PVAL_READER_SCHED=default taskset -c 1 node $PVAL_CLI dump --json --no-status -v $DEV >/dev/null 2>$T/dump-json-default" ;;
		stats-live-default) flood stats-live-default sh -c "exec env PVAL_READER_SCHED=default taskset -c 1 node $PVAL_CLI stats --json -v $DEV >$T/stats-live-default.json 2>$T/stats-live-default" ;;
		dump-json) flood dump-json sh -c "exec taskset -c 1 node $PVAL_CLI dump --json --no-status -v $DEV >/dev/null 2>$T/dump-json" ;;
		stats-live) flood stats-live sh -c "exec taskset -c 1 node $PVAL_CLI stats --json -v $DEV >$T/stats-live.json 2>$T/stats-live" ;;
		esac
	done | tee "$T/flood"
	d16=$(awk '$1 == "c-b16" { print $9 " (" $11 "%)" }' "$T/flood")
	ddump=$(awk '$1 == "dump-json" { print $9 " (" $11 "%)" }' "$T/flood")
	dstats=$(awk '$1 == "stats-live" { print $9 " (" $11 "%)" }' "$T/flood")
	ddef=$(awk '$1 == "dump-json-default" { print $9 " (" $11 "%)" }' "$T/flood")
	sdef=$(awk '$1 == "stats-live-default" { print $9 " (" $11 "%)" }' "$T/flood")
	echo "flood: pval dump --json drops $ddump, pval stats drops $dstats vs C(16) $d16 (target: no more)${ddef:+; without the priority pval dump drops $ddef}${sdef:+; without the priority pval stats drops $sdef}"
done
