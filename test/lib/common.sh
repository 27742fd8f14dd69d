# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the pval VM integration suites (bash).
#
# Source it from a suite:  . "$(dirname "$0")/../lib/common.sh"
#
# Result convention (tools/testing/selftests/net style):
#   ret holds the suite's result; once non-zero it is never reset.
#   check_err RC MSG   records a failure when RC is non-zero
#   check_fail RC MSG  records a failure when RC is zero (the step had to fail)
#   log_test NAME      prints PASS:/FAIL: for the steps since the last log_test
#   skip NAME WHY      prints SKIP:
#   pval_exit          exits 1 when anything failed, 0 otherwise
# A missing prerequisite exits with $ksft_skip (4).

ksft_skip=4
ret=0
step_ret=0
step_msg=""
npass=0
nfail=0
nskip=0

# Debian's tools, by full path so a PATH entry cannot shadow them.
IP=${IP:-/usr/bin/ip}
TCPDUMP=${TCPDUMP:-/usr/bin/tcpdump}
PING=${PING:-/usr/bin/ping}

# Repository root (the guest mounts it at /pval) and the module.
PVAL_ROOT=${PVAL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PVAL_KO=${PVAL_KO:-$PVAL_ROOT/kmod/pval.ko}
PVAL_CLIENTS=${PVAL_CLIENTS:-$PVAL_ROOT/test/clients/build}

check_err()
{
	local rc=$1
	shift
	if [ "$rc" -ne 0 ] && [ "$step_ret" -eq 0 ]; then
		step_ret=$rc
		step_msg="$*"
	fi
}

check_fail()
{
	local rc=$1
	shift
	if [ "$rc" -eq 0 ] && [ "$step_ret" -eq 0 ]; then
		step_ret=1
		step_msg="$*"
	fi
}

log_test()
{
	local name=$1

	if [ "$step_ret" -ne 0 ]; then
		echo "FAIL: $name${step_msg:+: $step_msg}"
		nfail=$((nfail + 1))
		ret=1
	else
		echo "PASS: $name"
		npass=$((npass + 1))
	fi
	step_ret=0
	step_msg=""
}

skip()
{
	echo "SKIP: $1${2:+: $2}"
	nskip=$((nskip + 1))
}

info()
{
	echo "  $*"
}

pval_exit()
{
	echo "$npass passed, $nfail failed, $nskip skipped"
	exit "$ret"
}

require_root()
{
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root"
		exit $ksft_skip
	fi
}

require_cmd()
{
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1 && [ ! -x "$c" ]; then
			echo "SKIP: $c not found"
			exit $ksft_skip
		fi
	done
}

# expect_err_msg OUTPUT PATTERN: the command's output carries the extack
# text (ip prints it as "Error: ...").
expect_err_msg()
{
	local out=$1 pat=$2
	if ! grep -q -- "$pat" <<<"$out"; then
		check_err 1 "expected message '$pat', got '$out'"
	fi
}

# Module handling.  pval_load loads veth (for the topology) and pval.ko.
pval_load()
{
	modprobe veth 2>/dev/null
	if ! grep -q '^pval ' /proc/modules; then
		insmod "$PVAL_KO" || return 1
	fi
}

pval_unload()
{
	if grep -q '^pval ' /proc/modules; then
		rmmod pval || return 1
	fi
}

# Network namespaces.  Names are unique per suite run so that suites never
# see each other's leftovers; cleanup_netns deletes what setup created.
PVAL_NS_SUFFIX=${PVAL_NS_SUFFIX:-$$}
NS_A=pva-$PVAL_NS_SUFFIX
NS_B=pvb-$PVAL_NS_SUFFIX
PVAL_NETNS_LIST=()

netns_add()
{
	"$IP" netns add "$1" || return 1
	PVAL_NETNS_LIST+=("$1")
	"$IP" -n "$1" link set lo up
}

cleanup_netns()
{
	local ns
	for ns in "${PVAL_NETNS_LIST[@]}"; do
		"$IP" netns del "$ns" 2>/dev/null
	done
	PVAL_NETNS_LIST=()
}

# setup_topology: two namespaces joined by a veth pair.
#   $NS_A: veth0 (lower device for pval0), 10.77.0.1/24 goes on pval0
#   $NS_B: veth1 (the peer),               10.77.0.2/24, fd77::2/64
# The pval device itself is created by the suite (with ip or nl-pval).
PVAL_ADDR_A=10.77.0.1
PVAL_ADDR_B=10.77.0.2
PVAL_ADDR6_A=fd77::1
PVAL_ADDR6_B=fd77::2

setup_topology()
{
	netns_add "$NS_A" || return 1
	netns_add "$NS_B" || return 1
	"$IP" -n "$NS_A" link add veth0 type veth peer name veth1 netns "$NS_B" || return 1
	"$IP" -n "$NS_A" link set veth0 up || return 1
	"$IP" -n "$NS_B" addr add "$PVAL_ADDR_B/24" dev veth1 || return 1
	"$IP" -n "$NS_B" addr add "$PVAL_ADDR6_B/64" dev veth1 nodad || return 1
	"$IP" -n "$NS_B" link set veth1 up || return 1
}

# pval_addr_up NS DEV: addresses and link up on the pval device.
pval_addr_up()
{
	"$IP" -n "$1" addr add "$PVAL_ADDR_A/24" dev "$2" || return 1
	"$IP" -n "$1" addr add "$PVAL_ADDR6_A/64" dev "$2" nodad || return 1
	"$IP" -n "$1" link set "$2" up || return 1
}

# link_attr NS DEV KEY: one field of `ip -d -j link show` (needs python3 or
# node); prints nothing when absent.
link_json_field()
{
	local ns=$1 dev=$2 expr=$3
	"$IP" -n "$ns" -d -j link show dev "$dev" |
		node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=JSON.parse(s)[0];const v=('"$expr"');if(v!==undefined)console.log(typeof v==="object"?JSON.stringify(v):v)})'
}

# capture_start NS DEV FILE [FILTER...]: Debian's tcpdump writes FILE in the
# background (--immediate-mode, 64 MiB buffer, 256-byte snaplen); returns
# once it listens.  capture_stop ends it and leaves its summary
# ("N packets captured", "N packets dropped by kernel") in FILE.log.
CAPTURE_PID=
capture_start()
{
	local ns=$1 dev=$2 file=$3 i
	shift 3
	ip netns exec "$ns" "$TCPDUMP" -i "$dev" -n -Z root -s 256 -B 65536 \
		--immediate-mode -U -w "$file" "$@" 2>"$file.log" &
	CAPTURE_PID=$!
	for i in $(seq 100); do
		grep -q "listening on" "$file.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

capture_stop()
{
	sleep 0.5
	kill -INT "$CAPTURE_PID" 2>/dev/null
	wait "$CAPTURE_PID" 2>/dev/null
	CAPTURE_PID=
}

# capture_dropped FILE: packets tcpdump reports as dropped by the kernel.
capture_dropped()
{
	sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$1.log"
}

# link_stat NS DEV rx|tx FIELD: one stats64 counter of `ip -s -j link show`
# (FIELD: packets, bytes, dropped, ...).
link_stat()
{
	"$IP" -n "$1" -s -j link show dev "$2" 2>/dev/null |
		node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{console.log(JSON.parse(s)[0].stats64["'"$3"'"]["'"$4"'"])})'
}

# pval_stat NS DEV NAME: one IFLA_PVAL_STATS counter (ipopt_inserted, ...),
# read with nl-pval.
pval_stat()
{
	ip netns exec "$1" "$PVAL_CLIENTS/nl-pval" show "$2" | sed -n 's/.* '"$3"' \([0-9]*\).*/\1/p'
}

# tcp_transfer FROM_NS TO_NS ADDR PORT BYTES SECS: a TCP connection from
# FROM_NS to ADDR:PORT (a node server in TO_NS) carries BYTES; prints what
# the server received ("timeout N" after SECS without the end), returns
# non-zero when the client or the server failed.
tcp_transfer()
{
	local from=$1 to=$2 addr=$3 port=$4 bytes=$5 secs=$6 out srv i rc=0
	out=$(mktemp)
	ip netns exec "$to" node -e '
		const net = require("net"); let n = 0;
		const srv = net.createServer((c) => { c.on("data", (d) => { n += d.length; });
			c.on("end", () => { console.log(n); process.exit(0); }); });
		srv.listen('"$port"', "'"$addr"'", () => console.error("listening"));
		setTimeout(() => { console.log("timeout", n); process.exit(1); }, '"$secs"' * 1000);' \
		>"$out" 2>"$out.err" &
	srv=$!
	for i in $(seq 300); do
		grep -q listening "$out.err" && break
		sleep 0.1
	done
	ip netns exec "$from" node -e '
		const c = require("net").connect('"$port"', "'"$addr"'", () => {
			c.end(Buffer.alloc('"$bytes"', 0x61)); });
		c.on("error", (e) => { console.error(e.message); process.exit(1); });
		setTimeout(() => process.exit(1), '"$secs"' * 1000).unref();' || rc=1
	wait $srv || rc=1
	cat "$out"
	rm -f "$out" "$out.err"
	return $rc
}
