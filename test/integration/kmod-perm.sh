#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pval.ko permission suite (runs in the VM as root, cwd /pval, module not
# loaded).  The character devices are global, so creating or renaming a
# link needs CAP_NET_ADMIN in the initial user namespace: a user namespace
# of its own (unshare -U -r -n, which any user may create) is not enough.
# txtstamp/rxtstamp configure the lower device: from a namespace owned by
# another user namespace they are refused, while root of the initial
# namespace can still set them (against the test driver pvalhwts.ko).
# Opening a character device needs CAP_NET_RAW, as a packet socket does.
#
# Prints PASS:/FAIL:/SKIP: lines; exits 1 when anything failed, 4 when a
# prerequisite is missing.

. "$(dirname "$0")/../lib/common.sh"

NLP=$PVAL_CLIENTS/nl-pval
READ=$PVAL_CLIENTS/pval-read
HWTS=$PVAL_CLIENTS/hwtstamp
HWTS_KO=${HWTS_KO:-$PVAL_ROOT/test/kmod-hwts/pvalhwts.ko}
UNSHARE=/usr/bin/unshare
NSENTER=/usr/bin/nsenter
SETPRIV=/usr/bin/setpriv
require_root
require_cmd "$IP" "$NLP" "$HWTS" "$UNSHARE" "$NSENTER" "$SETPRIV"
USERNS_PID=
cleanup()
{
	[ -n "$USERNS_PID" ] && kill "$USERNS_PID" 2>/dev/null
	cleanup_netns
	grep -q '^pvalhwts ' /proc/modules && rmmod pvalhwts
}
trap cleanup EXIT

# A network namespace owned by a new user namespace (root mapped to 0, no
# capability outside it), kept alive by a sleeping process.
userns_start()
{
	"$UNSHARE" -U -r -n sleep 600 &
	USERNS_PID=$!
	sleep 0.5
	[ "$(readlink /proc/$USERNS_PID/ns/user)" != "$(readlink /proc/self/ns/user)" ]
}

# in_userns CMD...: CMD as root of that user namespace, in its netns.
in_userns() { "$NSENTER" -t "$USERNS_PID" -U -n --preserve-credentials -- "$@"; }
# in_userns_net CMD...: CMD as root of the initial namespace, in that netns.
in_userns_net() { "$NSENTER" -t "$USERNS_PID" -n -- "$@"; }

test_create_refused()
{
	local out

	out=$("$UNSHARE" -U -r -n bash -c "
		$IP link add veth0 type veth peer name veth1 || exit 9
		$IP link add link veth0 name pvu0 type pval" 2>&1)
	check_fail $? "a user namespace created a pval link"
	[ -e /dev/pval/pvu0-rx-cpu-0 ] && check_err 1 "/dev/pval/pvu0-rx-cpu-0 exists"
	expect_err_msg "$out" "Creating a pval link needs CAP_NET_ADMIN in the initial user namespace"
	info "$(tail -1 <<<"$out")"
	log_test "link creation from an unprivileged user namespace is refused with an extack message"

	netns_add "$NS_A" && "$IP" -n "$NS_A" link add veth0 type veth peer name veth1 &&
		"$IP" -n "$NS_A" link add link veth0 name pvp0 type pval
	check_err $? "root of the initial namespace cannot create a link"
	[ -c /dev/pval/pvp0-rx-cpu-0 ]
	check_err $? "no /dev/pval/pvp0-rx-cpu-0"
	log_test "root of the initial namespace creates a link in a netns (devices in /dev/pval)"
}

test_rename_refused()
{
	local out

	"$IP" -n "$NS_A" link set pvp0 netns "$USERNS_PID"
	check_err $? "move pvp0 into the user namespace's netns"
	out=$(in_userns "$IP" link set pvp0 name pvq0 2>&1)
	check_fail $? "renamed from the user namespace"
	in_userns "$IP" link show dev pvp0 >/dev/null 2>&1
	check_err $? "pvp0 lost its name"
	[ -c /dev/pval/pvp0-rx-cpu-0 ] && [ ! -e /dev/pval/pvq0-rx-cpu-0 ]
	check_err $? "devices: $(ls /dev/pval | grep -E '^pv[pq]0' | head -2)"
	dmesg | tail -5 | grep -q "rename refused: renaming a pval link needs CAP_NET_ADMIN"
	check_err $? "no reason in the kernel log"
	info "${out:-(no output)}"
	log_test "rename from the user namespace is refused: name and /dev/pval devices kept"

	in_userns_net "$IP" link set pvp0 name pvq0
	check_err $? "root of the initial namespace cannot rename"
	[ -c /dev/pval/pvq0-rx-cpu-0 ] && [ ! -e /dev/pval/pvp0-rx-cpu-0 ]
	check_err $? "devices not renamed"
	in_userns_net "$IP" link del pvq0
	check_err $? "delete"
	log_test "root of the initial namespace renames it there: the devices follow"
}

test_open_needs_net_raw()
{
	local dev=/dev/pval/pvr0-rx-cpu-0 out

	"$IP" -n "$NS_A" link add link veth0 name pvr0 type pval
	check_err $? "link"
	out=$("$SETPRIV" --inh-caps=-net_raw --bounding-set=-net_raw -- bash -c "exec 3<$dev" 2>&1)
	check_fail $? "opened without CAP_NET_RAW"
	grep -q "Operation not permitted" <<<"$out"
	check_err $? "open: '$out'"
	info "without CAP_NET_RAW: $(tail -1 <<<"$out")"
	bash -c "exec 3<$dev"
	check_err $? "root cannot open $dev"
	"$SETPRIV" --inh-caps=-net_admin --bounding-set=-net_admin -- bash -c "exec 3<$dev"
	check_err $? "open with CAP_NET_RAW (without CAP_NET_ADMIN) refused"
	log_test "opening a character device needs CAP_NET_RAW (EPERM without it)"
	"$IP" -n "$NS_A" link del pvr0
}

# The slots of a ring are allocated by its first reader with
# GFP_KERNEL_ACCOUNT: they are charged to the reader's memory cgroup, so a
# container cannot pin kernel memory outside its limit. A reader in a cgroup
# of its own opens one RX device of a link with 65536-slot rings; while it
# holds it, the cgroup's memory.current must include the ring's slots
# (65536 x 272 bytes, 17 MiB), far more than the reader itself uses.
test_ring_memory_charged()
{
	local cg=/sys/fs/cgroup/pval-perm dev=/dev/pval/pvm0-rx-cpu-0 slots=65536 out pid cur i

	if ! grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts; then
		mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null ||
			{ skip "ring memory charged to the reader's cgroup" "cannot mount cgroup2"; return; }
	fi
	grep -qw memory /sys/fs/cgroup/cgroup.controllers ||
		{ skip "ring memory charged to the reader's cgroup" "no memory controller"; return; }
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir -p "$cg"
	ip netns exec "$NS_A" "$NLP" add pvm0 link veth0 slots "$slots" >/dev/null
	check_err $? "link with $slots-slot rings"
	out=$(mktemp)
	bash -c 'echo $$ > "$1/cgroup.procs" && exec "$2" -r -M none -B -T 10000 -D 3000 "$3"' _ "$cg" "$READ" "$dev" >"$out" 2>&1 &
	pid=$!
	for i in $(seq 50); do grep -q ready "$out" && break; sleep 0.1; done
	grep -q ready "$out"
	check_err $? "reader did not open $dev: $(cat "$out")"
	cur=$(cat "$cg/memory.current")
	wait "$pid"
	[ "$cur" -ge $((slots * 272)) ]
	check_err $? "memory.current $cur bytes while the reader held a $slots-slot ring ($((slots * 272)) bytes of slots)"
	info "reader's cgroup: memory.current $cur bytes with the ring's $((slots * 272)) bytes of slots"
	log_test "ring memory is charged to the memory cgroup of the reader that allocated it"
	ip netns exec "$NS_A" "$IP" link del pvm0
	rmdir "$cg" 2>/dev/null
	rm -f "$out"
}

test_hwtstamp_from_userns()
{
	local out legacy

	# SIOC[GS]HWTSTAMP through ndo_eth_ioctl until 6.19; from 7.0 the kernel
	# configures hardware timestamps through ndo_hwtstamp_set only.
	if [ "$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')" -ge 7000 ]; then legacy=0; else legacy=1; fi
	insmod "$HWTS_KO" pairs=1 legacy=$legacy
	check_err $? "insmod pvalhwts legacy=$legacy"
	"$IP" link set hwts0 up && "$IP" link add link hwts0 name pvh type pval
	check_err $? "pvh on hwts0"
	"$IP" link set pvh netns "$USERNS_PID"
	check_err $? "move pvh into the user namespace's netns"

	out=$(in_userns "$NLP" set pvh txtstamp 1 2>&1)
	check_fail $? "txtstamp set from the user namespace"
	expect_err_msg "$out" "CAP_NET_ADMIN over its network namespace is needed"
	out=$(in_userns "$NLP" set pvh rxtstamp 1 2>&1)
	check_fail $? "rxtstamp set from the user namespace"
	expect_err_msg "$out" "CAP_NET_ADMIN over its network namespace is needed"
	info "$out"
	[ "$("$HWTS" get hwts0)" = "tx_type off rx_filter none" ]
	check_err $? "hwts0 reconfigured: $("$HWTS" get hwts0)"
	in_userns "$NLP" show pvh | grep -q "txtstamp off rxtstamp off"
	check_err $? "show: $(in_userns "$NLP" show pvh | head -1)"
	log_test "txtstamp/rxtstamp from a user namespace's root are refused with an extack message; hwts0 untouched"

	in_userns "$NLP" set pvh ipopt 1
	check_err $? "ipopt (no lower device change) refused"
	log_test "other switches still work from the user namespace"

	in_userns_net "$NLP" set pvh txtstamp 1 rxtstamp 1
	check_err $? "root of the initial namespace cannot set txtstamp/rxtstamp"
	out=$("$HWTS" get hwts0)
	[ "$out" = "tx_type on rx_filter all" ]
	check_err $? "hwts0 while stamping: $out"
	in_userns_net "$NLP" set pvh txtstamp 0 rxtstamp 0
	check_err $? "off"
	out=$("$HWTS" get hwts0)
	[ "$out" = "tx_type off rx_filter none" ]
	check_err $? "hwts0 after: $out"
	log_test "root of the initial namespace still sets them on the same link (hwts0: $out after)"
	in_userns_net "$IP" link del pvh
}

pval_load
check_err $? "insmod"
userns_start
check_err $? "user namespace"
log_test "setup: pval.ko, a netns owned by a new user namespace"
[ "$ret" = 0 ] || pval_exit

test_create_refused
test_rename_refused
test_open_needs_net_raw
test_ring_memory_charged
if [ -f "$HWTS_KO" ]; then
	test_hwtstamp_from_userns
else
	skip "txtstamp from a user namespace" "no $HWTS_KO (test/vm/run.sh builds it)"
fi
pval_exit
