#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kmod-swtstamp: what a software timestamp (swtstamp) is.
#
# RX: a copy carries the stack's receive timestamp, the one tcpdump gets:
# pvs (ipopt, txcopy) in $NS_B sends a burst over veth1, through netem with
# jitter, to pvr (rxcopy) in $NS_A; tcpdump on veth0 (pvr's lower device)
# and `pval dump pvr --rx -w` see the same frames, matched by option 222,
# and every copy's timestamp equals tcpdump's to the nanosecond.  No copy
# fell back to the clock (rx_tstamp_fallback 0).  TCP SYNs, which carry
# their sender's delivery time over veth, do fall back, and are counted.
# The dump names the clock of each device (pcapng comment, JSON).
#
# TX: the copy is stamped in pval's xmit, before the lower device's qdisc;
# tcpdump on veth1 stamps the frame when the qdisc hands it to the driver.
# The differences (copy - tcpdump) are printed, with netem on veth1 and
# without; the only check is that the copy never comes after tcpdump.
#
# The stack's timestamps stay on exactly while a link has swtstamp on:
# netstamp-probe (test/clients) tells whether the kernel stamps a received
# datagram now (see its header for how).  Links are created, toggled,
# deleted directly, through their lower device, their namespace and rmmod;
# a refused creation takes nothing; a socket holding SO_TIMESTAMP keeps the
# stamps on whatever pval does, and they go off when it closes (an extra
# put by pval would turn them off early, or warn in the kernel log, which
# the harness fails on).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"
. "$(dirname "$0")/dump-lib.bash"

require_root
require_cmd "$SEND" "$NLPVAL" "$READ" "$TCPDUMP" tc
dump_require_built
PROBE=$PVAL_CLIENTS/netstamp-probe
MATCH=$PVAL_ROOT/test/lib/tstamp-match.mjs
require_cmd "$PROBE"
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

N=${SWTS_N:-3000}
T=$(mktemp -d)
HOLD_PID=
cleanup()
{
	[ -n "$HOLD_PID" ] && kill "$HOLD_PID" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	cleanup_netns
	rm -rf "$T"
}
trap cleanup EXIT

# stamps_on: 1 when the kernel stamps received packets now, else 0.  A
# pause first: the last put of the key is applied from a work item.
stamps_on()
{
	local out
	sleep 0.3
	out=$("$PROBE") || { echo "probe failed: $out" >&2; echo err; return; }
	echo "$out" >>"$T/probe.log"
	awk '{ print $2 }' <<<"$out"
}

# expect_stamps 0|1 WHAT: the probe says so (polls up to 5 s for a
# namespace that goes away in the background).
expect_stamps()
{
	local want=$1 got i
	shift
	for ((i = 0; i < 10; i++)); do
		got=$(stamps_on)
		[ "$got" = "$want" ] && return 0
		sleep 0.2
	done
	check_err 1 "$*: stamps on is $got, expected $want ($(tail -1 "$T/probe.log"))"
}

# ---------------------------------------------------------------- baseline
got=$(stamps_on)
info "before any link: $(tail -1 "$T/probe.log")"
if [ "$got" != 0 ]; then
	echo "FAIL: the kernel stamps received packets before the test (a socket holds SO_TIMESTAMP?); nothing can be observed"
	exit 1
fi

# ---------------------------------------------------------- RX and TX burst
netns_add "$NS_A" || exit 1
netns_add "$NS_B" || exit 1
cd_pair || exit 1
"$IP" -n "$NS_B" addr flush dev veth1
CD_LOWER=veth0 CD_PEER=veth1
ip netns exec "$NS_A" "$NLPVAL" add pvr link veth0 rxcopy 1 swtstamp 1 slots 8192 ||
	{ echo "FAIL: pvr"; exit 1; }
ip netns exec "$NS_B" "$NLPVAL" add pvs link veth1 ipopt 1 txcopy 1 swtstamp 1 slots 8192 ||
	{ echo "FAIL: pvs"; exit 1; }
for side in "$NS_A pvr $PVAL_ADDR_A $NS_B pvs $PVAL_ADDR_B" "$NS_B pvs $PVAL_ADDR_B $NS_A pvr $PVAL_ADDR_A"; do
	read -r ns dev addr pns pdev paddr <<<"$side"
	cd_quiet "$ns" "$dev"
	"$IP" -n "$ns" addr add "$addr/24" dev "$dev" || exit 1
	"$IP" -n "$ns" link set "$dev" up || exit 1
	"$IP" -n "$ns" neigh replace "$paddr" lladdr "$(cd_mac "$pns" "$pdev")" dev "$dev" nud permanent || exit 1
done
modprobe sch_netem 2>/dev/null
tc -n "$NS_B" qdisc add dev veth1 root netem delay 1ms 500us limit 100000 ||
	{ echo "FAIL: netem on veth1 (sch_netem)"; exit 1; }

# burst NAME: N datagrams pvs -> pvr, with tcpdump and pval dump on both
# sides; leaves NAME-{rx,tx}.{pcap,pcapng}.
burst()
{
	local name=$1 rxpid txpid sent
	capture_start "$NS_A" veth0 "$T/$name-rx.pcap" --time-stamp-precision=nano udp || check_err 1 "tcpdump veth0"
	local rxcap=$CAPTURE_PID
	capture_start "$NS_B" veth1 "$T/$name-tx.pcap" --time-stamp-precision=nano udp || check_err 1 "tcpdump veth1"
	local txcap=$CAPTURE_PID
	ip netns exec "$NS_A" "${PVAL[@]}" dump pvr --rx -w "$T/$name-rx.pcapng" 2>"$T/$name-rx.err" &
	rxpid=$!
	ip netns exec "$NS_B" "${PVAL[@]}" dump pvs --tx -w "$T/$name-tx.pcapng" 2>"$T/$name-tx.err" &
	txpid=$!
	wait_open $rxpid $(cd_devs pvr rx) || check_err 1 "pval dump pvr: $(cat "$T/$name-rx.err")"
	wait_open $txpid $(cd_devs pvs tx) || check_err 1 "pval dump pvs: $(cat "$T/$name-tx.err")"
	sent=$(ip netns exec "$NS_B" "$SEND" -n "$N" "$PVAL_ADDR_A" "$PORT") || check_err 1 "pval-send: $sent"
	info "$name: $sent"
	sleep 2
	kill -INT $rxpid $txpid
	cd_wait $rxpid 60 || check_err 1 "pval dump pvr: $(cat "$T/$name-rx.err")"
	cd_wait $txpid 60 || check_err 1 "pval dump pvs: $(cat "$T/$name-tx.err")"
	CAPTURE_PID=$rxcap capture_stop
	CAPTURE_PID=$txcap capture_stop
	for f in "$T/$name-rx.pcap" "$T/$name-tx.pcap"; do
		[ "$(capture_dropped "$f")" = 0 ] || check_err 1 "tcpdump dropped: $(cat "$f.log")"
	done
	tail -1 "$T/$name-rx.err" | sed 's/^/    rx /'
	tail -1 "$T/$name-tx.err" | sed 's/^/    tx /'
}

# rx_exact NAME: every RX copy equals tcpdump's stamp of the frame.
rx_exact()
{
	local out
	out=$(node "$MATCH" "$T/$1-rx.pcapng" "$T/$1-rx.pcap" --exact --expect "$N")
	check_err $? "RX copies vs tcpdump: $out"
	info "$1 RX copy - tcpdump on veth0: $out"
}

# tx_compare NAME: TX copy - tcpdump's egress stamp, never positive.
tx_compare()
{
	local out
	out=$(node "$MATCH" "$T/$1-tx.pcapng" "$T/$1-tx.pcap" --expect "$N")
	check_err $? "TX copies vs tcpdump: $out"
	info "$1 TX copy - tcpdump on veth1: $out"
	[ "$(awk '{ for (i = 1; i < NF; i++) if ($i == "max") print $(i + 1) }' <<<"$out")" -le 0 ] ||
		check_err 1 "a TX copy stamped after tcpdump's egress stamp: $out"
}

burst netem
rx_exact netem
log_test "swtstamp RX, $N frames through netem jitter: every copy's stamp = tcpdump's on the lower device, to the ns"
fb=$(pval_stat "$NS_A" pvr rx_tstamp_fallback)
[ "$fb" = 0 ] || check_err 1 "rx_tstamp_fallback $fb"
log_test "swtstamp RX: no copy fell back to the clock (rx_tstamp_fallback $fb)"
tx_compare netem
log_test "swtstamp TX with netem on the lower device: copy stamped before the qdisc (figures above)"

# The dump says which clock stamped each device: pcapng interface comments
# and --json lines.
grep -a -q "clock=software-rx-stack" "$T/netem-rx.pcapng" || check_err 1 "rx pcapng: no clock=software-rx-stack"
grep -a -q "clock=software-tx-xmit" "$T/netem-tx.pcapng" || check_err 1 "tx pcapng: no clock=software-tx-xmit"
ip netns exec "$NS_B" "${PVAL[@]}" dump pvs --tx --json -c 1 >"$T/one.json" 2>"$T/one.err" &
pid=$!
wait_open $pid $(cd_devs pvs tx) || check_err 1 "pval dump --json: $(cat "$T/one.err")"
ip netns exec "$NS_B" "$SEND" -n 1 "$PVAL_ADDR_A" "$PORT" >/dev/null
cd_wait $pid 60 || check_err 1 "pval dump --json: $(cat "$T/one.err")"
grep -q '"direction":"tx","cpu":[0-9]*,"clock":"software-tx-xmit","tstamp":"[1-9]' "$T/one.json" ||
	check_err 1 "JSON line without the clock: $(cat "$T/one.json")"
info "$(cut -c1-120 "$T/one.json")"
ip netns exec "$NS_A" "$NLPVAL" set pvr swtstamp 0 || check_err 1 "swtstamp 0"
ip netns exec "$NS_A" "${PVAL[@]}" dump pvr --rx -w "$T/off.pcapng" 2>"$T/off.err" &
pid=$!
wait_open $pid $(cd_devs pvr rx) || check_err 1 "pval dump: $(cat "$T/off.err")"
# The file's header is written once the switches are read.
for ((i = 0; i < 200; i++)); do [ -s "$T/off.pcapng" ] && break; sleep 0.05; done
kill -INT $pid
cd_wait $pid 60
grep -a -q "clock=none" "$T/off.pcapng" || check_err 1 "pcapng with swtstamp off: no clock=none"
ip netns exec "$NS_A" "$NLPVAL" set pvr swtstamp 1 || check_err 1 "swtstamp 1"
log_test "pval dump names the clock: pcapng comment clock=software-rx-stack / software-tx-xmit / none, JSON \"clock\""

# TCP from a socket of this host sets skb->tstamp to its delivery time on
# CLOCK_MONOTONIC, and veth keeps it across namespaces: the stack gives such
# a frame no receive timestamp, its copy falls back to the clock, counted.
fb0=$(pval_stat "$NS_A" pvr rx_tstamp_fallback)
cd_bg "$T/tcp" "$READ" -r -M epoll -w 2000 $(cd_devs pvr rx) || check_err 1 "reader: $(cat "$T/tcp")"
for ((i = 0; i < 5; i++)); do
	# A SYN to a closed port: refused at once, no retransmission.
	ip netns exec "$NS_B" timeout 5 bash -c "exec 3<>/dev/tcp/$PVAL_ADDR_A/9" 2>/dev/null &&
		check_err 1 "connected to a closed port"
done
cd_wait "$CD_PID" 30
fb=$(pval_stat "$NS_A" pvr rx_tstamp_fallback)
info "5 SYNs from $NS_B: rx_tstamp_fallback $fb0 -> $fb; reader: $(grep '^slots' "$T/tcp")"
[ "$((fb - fb0))" = 5 ] || check_err 1 "rx_tstamp_fallback went from $fb0 to $fb, expected +5"
[ "$(cd_field "$T/tcp" tszero)" = 0 ] || check_err 1 "a fallback copy without a timestamp: $(cat "$T/tcp")"
log_test "swtstamp RX: frames carrying a sender's delivery time (TCP over veth) fall back to the clock and are counted"

tc -n "$NS_B" qdisc del dev veth1 root || check_err 1 "netem del"
burst direct
rx_exact direct
tx_compare direct
log_test "swtstamp without netem: RX copies = tcpdump exactly; TX copy before tcpdump (figures above)"

cleanup_netns
expect_stamps 0 "links with swtstamp deleted with their namespaces"
log_test "namespaces with swtstamp links deleted: the kernel stops stamping"

# ------------------------------------------------------------- refcount
L=${SWTS_LINKS:-12}
netns_add "$NS_A" || exit 1
for ((i = 0; i < L; i++)); do
	"$IP" -n "$NS_A" link add v$i type veth peer name w$i || exit 1
done
# lset NAME ARGS...: nl-pval set in $NS_A.
lset()
{
	ip netns exec "$NS_A" "$NLPVAL" set "$@" || check_err 1 "set $*"
}
for ((i = 0; i < L; i++)); do
	ip netns exec "$NS_A" "$NLPVAL" add p$i link v$i swtstamp $((i % 2)) || check_err 1 "add p$i"
done
expect_stamps 1 "$L links, half with swtstamp"
log_test "links created with swtstamp on: the kernel stamps"

for ((i = 0; i < L; i++)); do
	lset p$i swtstamp 1
	lset p$i swtstamp 1
	lset p$i ipopt 1
	lset p$i swtstamp 0
	lset p$i swtstamp 0
	lset p$i swtstamp 1
done
expect_stamps 1 "after toggling"
for ((i = 0; i < L - 1; i++)); do lset p$i swtstamp 0; done
expect_stamps 1 "one link left with swtstamp"
lset p$((L - 1)) ipopt 0
lset p$((L - 1)) swtstamp 0
expect_stamps 0 "every link's swtstamp off"
log_test "swtstamp toggled on and off (repeats, other switches between) on $L links: stamps on while one is on, off after the last"

for ((i = 0; i < L; i++)); do lset p$i swtstamp 1; done
for ((i = 0; i < L / 2; i++)); do "$IP" -n "$NS_A" link del p$i || check_err 1 "del p$i"; done
expect_stamps 1 "half the links deleted"
for ((i = L / 2; i < L; i++)); do "$IP" -n "$NS_A" link del v$i || check_err 1 "del v$i"; done
expect_stamps 0 "the rest deleted with their lower devices"
log_test "links deleted, directly and with their lower device: the kernel stops stamping"

out=$(ip netns exec "$NS_A" "$NLPVAL" add px link v0 swtstamp 1 txtstamp 1 2>&1)
check_fail $? "creation with txtstamp on veth accepted"
expect_stamps 0 "after a refused creation with swtstamp 1"
log_test "a refused creation with swtstamp on leaves the stamps off ($out)"

"$PROBE" -H 600 >"$T/hold" &
HOLD_PID=$!
for ((i = 0; i < 50; i++)); do grep -q holding "$T/hold" && break; sleep 0.1; done
ip netns exec "$NS_A" "$NLPVAL" add p0 link v0 swtstamp 1 || check_err 1 "add p0"
lset p0 swtstamp 0
lset p0 swtstamp 1
"$IP" -n "$NS_A" link del p0 || check_err 1 "del p0"
expect_stamps 1 "a socket with SO_TIMESTAMP open, after a link came and went"
kill "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null
HOLD_PID=
expect_stamps 0 "the SO_TIMESTAMP socket closed"
log_test "another holder (SO_TIMESTAMP socket) keeps the stamps on across a link's life; off when it closes"

for ((i = 0; i < L / 2; i++)); do
	ip netns exec "$NS_A" "$NLPVAL" add p$i link v$i swtstamp 1 || check_err 1 "add p$i"
done
expect_stamps 1 "links before rmmod"
pval_unload || check_err 1 "rmmod with links present"
expect_stamps 0 "after rmmod"
"$IP" -n "$NS_A" link show p0 >/dev/null 2>&1 && check_err 1 "p0 survived rmmod"
log_test "rmmod with $((L / 2)) swtstamp links present: the kernel stops stamping"
pval_load || check_err 1 "insmod"
ip netns exec "$NS_A" "$NLPVAL" add p0 link v0 swtstamp 1 || check_err 1 "add p0 after insmod"
expect_stamps 1 "a link after reloading"
cleanup_netns
expect_stamps 0 "namespace deleted"
log_test "reloaded: a new link stamps again; deleting its namespace stops"

pval_exit
