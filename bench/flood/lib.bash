# SPDX-License-Identifier: GPL-2.0
# The flood benchmark's topology and helpers, shared by flood.sh and
# profile.sh (both run in the guest, from the repository's root).
. test/lib/common.sh
. test/integration/chardev-lib.bash

# FLOOD_SWITCHES and FLOOD_READERS=0 vary the pval side, to see what each
# part costs; the benchmark's figure is the default.
SWITCHES=${FLOOD_SWITCHES:-ipopt 1 txcopy 1 rxcopy 1 swtstamp 1}
READERS=${FLOOD_READERS:-1}
# FLOOD_PIN=0 lets the scheduler place the processes; by default the sender
# runs on CPU 0 (its softirqs carry both veth hops) and the sink and the
# reader on CPU 1, as a measurement would keep its reader off the sending
# core.  A guest with one CPU runs everything there.
PIN=${FLOOD_PIN:-1}
[ "$(nproc)" -gt 1 ] || PIN=0
# FLOOD_READER_CPU=0 puts the reader on the sender's CPU instead.
READER_CPU=${FLOOD_READER_CPU:-1}
# FLOOD_TAP=1 opens a packet socket on pa0, pval0's lower device (tcpdump
# with a filter that matches nothing): every frame pa0 sends is then cloned
# for taps where the qdisc hands it to the driver, and every frame it
# receives is offered to the socket.  That is the least a stamp taken there
# (software TX timestamps, or a tap of pval's own) costs per packet.
TAP=${FLOOD_TAP:-0}
# FLOOD_CLOCK names the guest's clock in the report: run.sh sets "icount"
# when QEMU counts instructions (-icount shift=0: one instruction is 1 ns
# of guest time), so that every rate is instructions, not host speed.
CLOCK=${FLOOD_CLOCK:-host}
# on_cpu CPU CMD...: exec CMD (pinned to CPU with FLOOD_PIN=1); call it in a
# subshell or in the background, so that $! is CMD's own pid.
on_cpu()
{
	local c=$1
	shift
	if [ "$PIN" = 1 ]; then
		exec taskset -c "$c" "$@"
	fi
	exec "$@"
}
SPORT=9999

cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	for ns in fa fb pa pb; do "$IP" netns del $ns 2>/dev/null; done
	rm -rf "$T"
}

# pair NS_X NS_Y DEV_X DEV_Y NET: a veth pair, .1 on DEV_X, .2 on DEV_Y.
pair()
{
	"$IP" netns add "$1" && "$IP" netns add "$2" || return 1
	"$IP" -n "$1" link set lo up
	"$IP" -n "$2" link set lo up
	"$IP" -n "$1" link add "$3" type veth peer name "$4" netns "$2" || return 1
	cd_quiet "$1" "$3"
	cd_quiet "$2" "$4"
	"$IP" -n "$1" link set "$3" up
	"$IP" -n "$2" addr add "$5.2/24" dev "$4"
	"$IP" -n "$2" link set "$4" up
}

setup()
{
	pair fa fb fa0 fb0 10.88.0 || return 1
	"$IP" -n fa addr add 10.88.0.1/24 dev fa0
	pair pa pb pa0 pb0 10.89.0 || return 1
	ip netns exec pa "$NLPVAL" add pval0 link pa0 $SWITCHES || return 1
	cd_quiet pa pval0
	"$IP" -n pa addr add 10.89.0.1/24 dev pval0
	"$IP" -n pa link set pval0 up
	# Static neighbours: no ARP in the measurement.
	"$IP" -n fa neigh replace 10.88.0.2 lladdr "$(cd_mac fb fb0)" dev fa0 nud permanent
	"$IP" -n fb neigh replace 10.88.0.1 lladdr "$(cd_mac fa fa0)" dev fb0 nud permanent
	"$IP" -n pa neigh replace 10.89.0.2 lladdr "$(cd_mac pb pb0)" dev pval0 nud permanent
	"$IP" -n pb neigh replace 10.89.0.1 lladdr "$(cd_mac pa pval0)" dev pb0 nud permanent
}

# flood_init: pval.ko loaded, a scratch directory $T, both topologies, and
# (with FLOOD_READERS=1) one epoll reader on every ring of pval0, its pid in
# $readers and its report in $T/readers.
flood_init()
{
	require_root
	pval_load || { echo "flood: cannot load $PVAL_KO"; exit 1; }
	T=$(mktemp -d)
	trap cleanup EXIT
	setup || { echo "flood: setup failed"; exit 1; }
	if [ "$TAP" = 1 ]; then
		capture_start pa pa0 "$T/tap.pcap" udp port 1 || { echo "flood: tcpdump on pa0 failed"; exit 1; }
		echo "flood: a packet socket on pa0 (tcpdump udp port 1, nothing matches)"
	fi
	readers=
	if [ "$READERS" = 1 ]; then
		on_cpu "$READER_CPU" "$READ" -M epoll -s $(cd_devs pval0 tx) $(cd_devs pval0 rx) >"$T/readers" 2>&1 &
		readers=$!
	fi
}

# flood_sink TO_NS SECONDS: a sink in TO_NS on CPU 1, its pid in $sink,
# ready when this returns.
flood_sink()
{
	on_cpu 1 ip netns exec "$1" "$SEND" -R -t "$2" -w 1000 $SPORT >"$T/sink" 2>&1 &
	sink=$!
	for ((i = 0; i < 50; i++)); do grep -qs ready "$T/sink" && break; sleep 0.05; done
}

# flood_send FROM_NS DST SECONDS: flood from FROM_NS on CPU 0; prints
# pval-send's report.
flood_send()
{
	on_cpu 0 ip netns exec "$1" "$SEND" -t "$3" -b 64 "$2" $SPORT
}

# flood_close_readers: stop the reader and print its ring counters.
flood_close_readers()
{
	[ -n "$readers" ] || return 0
	kill -INT $readers
	wait $readers
	awk '$1 == "stats" { c += $4; f += $6; m += $8; r += $10 } END {
		printf "flood: pval rings: copied %d, read %d, dropped_full %d, dropped_nomem %d\n", c, r, f, m }' "$T/readers"
}
