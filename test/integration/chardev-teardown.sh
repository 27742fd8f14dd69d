#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# chardev-teardown: teardown is safe.  100 times: a link with readers on
# every TX and RX ring (on a blocking fd or O_NONBLOCK, waiting in poll or
# epoll: readv never sleeps) and traffic both
# ways, then the link, its lower device or its namespace is deleted; every
# reader must get ENODEV/POLLERR and exit.  Afterwards no device is left,
# the module is unused and unloads, and the kernel log is clean (run.sh
# fails the run on any WARN, BUG, Oops, refcount or leak report).  Also:
# rmmod is refused while a reader holds a device, and the reader goes on.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"

require_root
require_cmd "$READ" "$SEND" "$NLPVAL"
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

ITER=${PVAL_TEARDOWN_ITER:-100}
T=$(mktemp -d)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

test_rmmod_refused()
{
	local out
	cd_setup pvm txcopy 1 || { check_err 1 "setup"; return; }
	cd_bg "$T/held" "$READ" -r -M block -u $PORT -n 3 -T 20000 $(cd_devs pvm tx | head -1) ||
		check_err 1 "reader"
	out=$(rmmod pval 2>&1)
	check_fail $? "rmmod succeeded under an open reader"
	info "rmmod: $out"
	grep -q '^pval ' /proc/modules || check_err 1 "module gone"
	ip netns exec "$NS_A" taskset -c 0 "$SEND" -n 3 "$PVAL_ADDR_B" $PORT >/dev/null
	cd_wait "$CD_PID" 10 || check_err 1 "reader after the refused rmmod: $(cat "$T/held")"
	[ "$(cd_field "$T/held" udp)" = 3 ] || check_err 1 "reader lost slots: $(cat "$T/held")"
	cd_teardown
	log_test "rmmod refused while a reader holds a device; the reader keeps working"
}

# One round: $1 = link | lower | netns.
round()
{
	local how=$1 d i=0 k2 pids=() bad=0 rc txs rxs
	cd_link pvd txcopy 1 rxcopy 1 ipopt 1 swtstamp 1 || { echo "setup failed"; return 1; }
	for d in $(cd_devs pvd tx) $(cd_devs pvd rx); do
		case $((i % 3)) in
		0) "$READ" -r -M block "$d" >"$T/r$i" 2>&1 & ;;
		1) "$READ" -r -M poll "$d" >"$T/r$i" 2>&1 & ;;
		2) "$READ" -r -M epoll "$d" >"$T/r$i" 2>&1 & ;;
		esac
		pids+=($!)
		i=$((i + 1))
	done
	for i in "${!pids[@]}"; do
		for ((k2 = 0; k2 < 100; k2++)); do
			grep -q '^ready' "$T/r$i" 2>/dev/null && break
			sleep 0.05
		done
	done
	ip netns exec "$NS_A" "$SEND" -t 60 "$PVAL_ADDR_B" $PORT >/dev/null 2>&1 &
	txs=$!
	ip netns exec "$NS_B" "$SEND" -t 60 "$PVAL_ADDR_A" $PORT >/dev/null 2>&1 &
	rxs=$!
	sleep 0.3
	case $how in
	link) "$IP" -n "$NS_A" link del pvd ;;
	lower) "$IP" -n "$NS_A" link del veth0 ;;
	netns)
		# The sender inside would keep the namespace alive.
		kill $txs
		wait $txs 2>/dev/null
		"$IP" netns del "$NS_A"
		;;
	esac
	for i in "${!pids[@]}"; do
		cd_wait "${pids[$i]}" 20
		rc=$?
		if [ $rc != 3 ]; then
			echo "reader $i exit $rc: $(tr '\n' ' ' <"$T/r$i")"
			kill "${pids[$i]}" 2>/dev/null
			bad=1
		fi
	done
	kill $txs $rxs 2>/dev/null
	wait $txs $rxs 2>/dev/null
	# Rebuild what the round deleted.
	case $how in
	lower) cd_pair ;;
	netns)
		# The old pair goes with the namespace, asynchronously.
		for ((k2 = 0; k2 < 200; k2++)); do
			"$IP" -n "$NS_B" link show veth1 >/dev/null 2>&1 || break
			sleep 0.05
		done
		netns_add "$NS_A" && cd_pair
		;;
	esac
	return $bad
}

test_rmmod_refused

netns_add "$NS_A" && netns_add "$NS_B" && cd_pair || { echo "FAIL: setup"; exit 1; }
start=$(date +%s)
n=0 fails=0
for ((k = 0; k < ITER; k++)); do
	how=$(echo link lower netns | cut -d' ' -f$((k % 3 + 1)))
	if ! round $how; then
		fails=$((fails + 1))
		echo "  round $k ($how) failed"
	fi
	n=$((n + 1))
done
cd_teardown
# Namespace teardown runs in a kworker: give it a moment.
for ((k = 0; k < 100; k++)); do
	[ -z "$(ls /dev/pval 2>/dev/null)" ] && break
	sleep 0.1
done
info "$n rounds (link, lower, netns deleted in turn) with $((2 * NCPU)) readers each, $fails failed, $(( $(date +%s) - start )) s"
[ $fails = 0 ] || check_err 1 "$fails rounds with a reader that did not get ENODEV"
[ -z "$(ls /dev/pval 2>/dev/null)" ] || check_err 1 "devices left: $(ls /dev/pval)"
[ -z "$(ls /sys/class/pval 2>/dev/null)" ] || check_err 1 "class devices left: $(ls /sys/class/pval)"
used=$(awk '$1 == "pval" { print $3 }' /proc/modules)
[ "$used" = 0 ] || check_err 1 "module use count $used after teardown"
log_test "$ITER teardowns under load: every reader got ENODEV, nothing left behind"

rmmod pval || check_err 1 "rmmod after the teardowns"
pattern='BUG|WARNING|Oops|refcount|leak|use-after-free|general protection'
if dmesg | grep -E "$pattern" | grep -v 'pval-suite' >/dev/null; then
	check_err 1 "kernel log: $(dmesg | grep -E "$pattern" | head -3)"
fi
log_test "module unloads afterwards; kernel log clean"

# The device pool: room for two links exactly, the third is refused.
if insmod "$PVAL_KO" max_devices=$((4 * NCPU)); then
	netns_add "$NS_A" && netns_add "$NS_B" && cd_pair
	"$IP" -n "$NS_A" link add pvp0 type veth peer name pvp1
	ip netns exec "$NS_A" "$NLPVAL" add pvm0 link veth0 || check_err 1 "first link"
	ip netns exec "$NS_A" "$NLPVAL" add pvm1 link pvp0 || check_err 1 "second link"
	out=$(ip netns exec "$NS_A" "$NLPVAL" add pvm2 link pvp1 2>&1)
	check_fail $? "a link beyond max_devices was created"
	expect_err_msg "$out" "No character device left"
	info "max_devices=$((4 * NCPU)), third link: $out"
	[ -e /dev/pval/pvm2-tx-cpu-0 ] && check_err 1 "refused link left devices"
	cd_teardown
	for ((k = 0; k < 100; k++)); do
		grep -q '^pval ' /proc/modules && rmmod pval 2>/dev/null && break
		sleep 0.1
	done
	grep -q '^pval ' /proc/modules && check_err 1 "pval (max_devices=$((4 * NCPU))) still loaded"
else
	check_err 1 "insmod max_devices=$((4 * NCPU))"
fi
log_test "out of devices (max_devices): creation refused with a message"

pval_exit
