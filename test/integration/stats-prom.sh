#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# stats-prom: `pval stats LINK --listen` live in the guest.  pval0 (namespace
# A, option and TX copies) sends to pval1 (namespace B, RX copies); `pval
# stats pval1 --tx pval0 --listen` runs in B and is scraped from inside B
# with node (test/lib/prom-scrape.mjs):
#   - both formats are served, the endpoint's per-stream counters equal the
#     JSON report of the same process, the rings' and the link's kernel
#     counters are there, and RX slots copied + dropped = datagrams sent;
#   - a bad --listen is one line and exit 1;
#   - load: the same paced traffic (10 s) twice, once without scrapes and
#     once with 100 scrapes a second; the ring drops of both runs are
#     printed, and the run with scrapes must not drop more.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"
. "$(dirname "$0")/dump-lib.bash"

require_root
require_cmd "$NLPVAL" "$SEND"
dump_require_built
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

SCRAPE=$PVAL_ROOT/test/lib/prom-scrape.mjs
MPORT=9464
URL=http://127.0.0.1:$MPORT/metrics
T=$(mktemp -d)
STATS_PID=
cleanup()
{
	[ -n "$STATS_PID" ] && kill "$STATS_PID" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

in_b() { ip netns exec "$NS_B" "$@"; }
scrape() { in_b node "$SCRAPE" "$@"; }

# The receiving pval link in B, over veth1, with B's address; A's neighbour
# entry points at it.
setup()
{
	cd_setup pval0 ipopt 1 txcopy 1 swtstamp 1 || return 1
	in_b "$NLPVAL" add pval1 link "$CD_PEER" rxcopy 1 swtstamp 1 || return 1
	cd_quiet "$NS_B" pval1
	"$IP" -n "$NS_B" addr del "$PVAL_ADDR_B/24" dev "$CD_PEER" || return 1
	"$IP" -n "$NS_B" addr add "$PVAL_ADDR_B/24" dev pval1 || return 1
	"$IP" -n "$NS_B" link set pval1 up || return 1
	"$IP" -n "$NS_B" neigh replace "$PVAL_ADDR_A" lladdr "$(cd_mac "$NS_A" pval0)" dev pval1 nud permanent || return 1
	"$IP" -n "$NS_A" neigh replace "$PVAL_ADDR_B" lladdr "$(cd_mac "$NS_B" pval1)" dev pval0 nud permanent
}

# stats_start NAME: pval stats in B, JSON every second to $T/NAME.json;
# waits until it serves and holds every device.
stats_start()
{
	local name=$1 i
	# Not through in_b: a function in the background would leave $! = a subshell.
	ip netns exec "$NS_B" node "$PVAL_CLI" stats pval1 --tx pval0 --listen "127.0.0.1:$MPORT" --window 1 \
		--json --interval 1 >"$T/$name.json" 2>"$T/$name.err" &
	STATS_PID=$!
	for ((i = 0; i < 1200; i++)); do
		grep -q 'serving metrics' "$T/$name.err" && break
		kill -0 "$STATS_PID" 2>/dev/null || break
		sleep 0.05
	done
	grep -q "serving metrics on http://127.0.0.1:$MPORT/metrics" "$T/$name.err" || return 1
	# shellcheck disable=SC2046
	wait_open "$STATS_PID" $(cd_devs pval1 rx) $(cd_devs pval0 tx)
}

stats_stop()
{
	[ -n "$STATS_PID" ] || return 1
	kill -INT "$STATS_PID"
	cd_wait "$STATS_PID" 120
	local rc=$?
	STATS_PID=
	return $rc
}

# ring_drops: ring drops of pval1's RX devices and pval0's TX devices so far.
ring_drops()
{
	scrape sum "$URL" pval_ring_dropped_slots_total
}

# paced SECONDS: 100 datagrams every 0.1 s from A for SECONDS (about 1000/s); prints how many.
paced()
{
	local rounds=$(($1 * 10))
	ip netns exec "$NS_A" bash -c "for ((i = 0; i < $rounds; i++)); do $SEND -n 100 $PVAL_ADDR_B $PORT >/dev/null || exit 1; sleep 0.1; done"
	echo $((rounds * 100))
}

setup || { echo "SKIP: cannot build the topology"; exit $ksft_skip; }

# --- live endpoint -----------------------------------------------------------
N=3000
if ! stats_start live; then
	check_err 1 "pval stats did not start: $(cat "$T/live.err")"
	log_test "live: pval stats --listen serves"
	stats_stop
else
	sent=$(cd_send_a "$N")
	info "sender: $sent"
	# Ten more 2 s later: the analyser hands on what its 1 s reordering horizon
	# holds once later packets come.
	sleep 2
	cd_send_a 10 >/dev/null
	N=$((N + 10))
	sleep 4 # the 1 s join window passes, the JSON lines and the cache catch up
	scrape get "$URL" >"$T/text" 2>"$T/text.hdr"
	check_err $? "GET /metrics: $(cat "$T/text.hdr")"
	grep -q 'type text/plain; version=0.0.4' "$T/text.hdr" || check_err 1 "text format: $(cat "$T/text.hdr")"
	scrape get "$URL" "application/openmetrics-text;version=1.0.0,text/plain;q=0.5" >"$T/om" 2>"$T/om.hdr"
	check_err $? "GET /metrics (OpenMetrics)"
	grep -q 'type application/openmetrics-text; version=1.0.0' "$T/om.hdr" || check_err 1 "OpenMetrics: $(cat "$T/om.hdr")"
	[ "$(tail -1 "$T/om")" = "# EOF" ] || check_err 1 "OpenMetrics text does not end with # EOF"
	log_test "live: GET /metrics in the text format and in OpenMetrics"

	out=$(scrape compare "$URL" "$T/live.json")
	check_err $? "$out"
	info "$(echo "$out" | tail -1)"
	log_test "live: per-stream counters of /metrics = pval stats --json of the same run"

	copied=$(scrape sum "$URL" pval_ring_copied_slots_total direction=rx link=pval1)
	dropped=$(scrape sum "$URL" pval_ring_dropped_slots_total direction=rx link=pval1)
	received=$(scrape sum "$URL" pval_stream_received_packets_total src="$PVAL_ADDR_A")
	info "pval1 RX rings: copied $copied + dropped $dropped = $((copied + dropped)) of $N sent; streams received $received"
	[ "$((copied + dropped))" = "$N" ] || check_err 1 "ring copied $copied + dropped $dropped != $N"
	# What the reordering horizon still holds is not counted yet: at most the last ten.
	[ "$received" -le "$copied" ] && [ "$received" -ge $((copied - 10)) ] ||
		check_err 1 "streams received $received, rings copied $copied"
	grep -q '^pval_link_ipopt_inserted_packets_total{link="pval1"} ' "$T/text" ||
		check_err 1 "no pval1 link counters: $(grep '^pval_link' "$T/text")"
	grep -q '^process_cpu_seconds_total ' "$T/text" || check_err 1 "no process metrics"
	log_test "live: ring and link counters from the kernel; RX slots copied + dropped = datagrams sent"
	stats_stop
	check_err $? "pval stats exit: $(cat "$T/live.err")"
	log_test "live: pval stats --listen ends on SIGINT with exit 0"
fi

# --- a bad --listen: one line, exit 1 ----------------------------------------
in_b node "$PVAL_CLI" stats pval1 --listen 127.0.0.1:99999 >/dev/null 2>"$T/bad.err"
rc=$?
[ "$rc" = 1 ] || check_err 1 "exit $rc, not 1"
[ "$(wc -l <"$T/bad.err")" = 1 ] || check_err 1 "not one line: $(cat "$T/bad.err")"
info "$(cat "$T/bad.err")"
log_test "--listen 127.0.0.1:99999: one line, exit 1"

# --- load: 100 scrapes/s do not make the analysis drop more ------------------
SECS=10
# run_load NAME 0|1: the paced traffic with or without 100 scrapes/s; sets
# LOAD_DROPS (ring drops during the run) and LOAD_SENT.
run_load()
{
	local name=$1 scrapes=$2 before after spid=
	LOAD_DROPS=0 LOAD_SENT=0
	if ! stats_start "$name"; then
		check_err 1 "pval stats did not start: $(cat "$T/$name.err")"
		stats_stop
		return 1
	fi
	before=$(ring_drops)
	if [ "$scrapes" = 1 ]; then
		scrape load "$URL" 100 "$SECS" >"$T/$name.load" 2>&1 &
		spid=$!
	fi
	LOAD_SENT=$(paced "$SECS")
	[ -n "$spid" ] && wait "$spid"
	sleep 2
	after=$(ring_drops)
	LOAD_DROPS=$((after - before))
	stats_stop || check_err 1 "pval stats exit: $(cat "$T/$name.err")"
}

run_load quiet 0
drops_quiet=$LOAD_DROPS sent_quiet=$LOAD_SENT
run_load load 1
drops_load=$LOAD_DROPS sent_load=$LOAD_SENT
info "without scrapes: $drops_quiet ring drops of $sent_quiet datagrams"
info "100 scrapes/s:   $drops_load ring drops of $sent_load datagrams ($(cat "$T/load.load" 2>/dev/null))"
sent=$(sed -n 's/^scrapes sent \([0-9]*\) in \([0-9.]*\) s ok \([0-9]*\) .*/\1 \2 \3/p' "$T/load.load" 2>/dev/null)
read -r n_sent secs_sent n_ok <<<"${sent:-0 0 0}"
# The schedule kept (all 1000 scrapes sent within 11 s) and every scrape
# answered.
[ "$n_sent" = $((SECS * 100)) ] && [ "${secs_sent%.*}" -le $((SECS + 1)) ] ||
	check_err 1 "the scraper did not keep 100/s: $(cat "$T/load.load" 2>/dev/null)"
[ "$n_ok" = "$n_sent" ] || check_err 1 "scrapes not all answered: $(cat "$T/load.load" 2>/dev/null)"
[ "$drops_load" -le "$drops_quiet" ] || check_err 1 "$drops_load ring drops with scrapes, $drops_quiet without"
log_test "load: 100 scrapes/s for ${SECS} s drop no more ring slots than no scrapes"

pval_exit
