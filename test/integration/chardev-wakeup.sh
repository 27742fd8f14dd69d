#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# chardev-wakeup: when a reader sleeping in epoll is woken.  The module
# wakes it once the ring holds wake_batch slots (capped at half the ring),
# or wake_usecs after the first copy; PVAL_IOC_SET_WAKE_SLOTS gives one open
# file a threshold of its own and PVAL_IOC_GET_WAKE_SLOTS reads back the one
# in effect.  Here wake_usecs is 4 s, so a wakeup within a second can only
# come from the threshold.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"

require_root
require_cmd "$READ" "$SEND" "$NLPVAL" taskset
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

PARAMS=/sys/module/pval/parameters
DEV=/dev/pval/pvw-tx-cpu-0
T=$(mktemp -d)
old_usecs=$(cat $PARAMS/wake_usecs)
old_batch=$(cat $PARAMS/wake_batch)
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	echo "$old_usecs" >$PARAMS/wake_usecs
	echo "$old_batch" >$PARAMS/wake_batch
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

# wake ARGS...: the threshold pval-read reports for $DEV after ARGS.
wake()
{
	"$READ" -M none "$@" "$DEV" 2>&1 | awk -v d="$DEV" '$1 == "wake" && $2 == d { print $3 }'
}

# woken_ms N ARGS...: a reader of $DEV (pval-read ARGS, epoll) waits for N
# slots; N datagrams are sent from CPU 0.  Prints the milliseconds from the
# start of sending to the reader's exit, or "none" when it did not get them.
woken_ms()
{
	local n=$1 t0 t1
	shift
	cd_bg "$T/r" "$READ" -r -M epoll -n "$n" -T 20000 "$@" "$DEV" || { echo none; return; }
	t0=${EPOCHREALTIME/./}
	ip netns exec "$NS_A" taskset -c 0 "$SEND" -n "$n" "$PVAL_ADDR_B" "$PORT" >/dev/null
	cd_wait "$CD_PID" 30 || { echo none; return; }
	t1=${EPOCHREALTIME/./}
	if [ "$(cd_field "$T/r" slots)" = "$n" ]; then echo $(((t1 - t0) / 1000)); else echo none; fi
}

cd_setup pvw txcopy 1 ipopt 1 || { echo "FAIL: setup"; exit 1; }
echo 256 >$PARAMS/wake_batch
echo 4000000 >$PARAMS/wake_usecs

# ------------------------------------------------------------ the threshold
got=$(wake -G)
[ "$got" = 256 ] || check_err 1 "a fresh open: $got, expected wake_batch 256"
got=$(wake -W 5)
[ "$got" = 5 ] || check_err 1 "-W 5: $got"
got=$(wake -G)
[ "$got" = 256 ] || check_err 1 "the next open after -W 5: $got, expected 256 again"
got=$(wake -W 0)
[ "$got" = 256 ] || check_err 1 "-W 0: $got, expected wake_batch 256"
got=$(wake -W 100000)
[ "$got" = 512 ] || check_err 1 "-W 100000 on 1024 slots: $got, expected half the ring, 512"
got=$(wake -W 1)
[ "$got" = 1 ] || check_err 1 "-W 1: $got"
log_test "PVAL_IOC_SET/GET_WAKE_SLOTS: per open file, 0 = wake_batch, capped at half the ring"

echo 32 >$PARAMS/wake_batch
got=$(wake -G)
[ "$got" = 32 ] || check_err 1 "wake_batch 32: $got"
got=$(wake -W 64)
[ "$got" = 64 ] || check_err 1 "-W 64 over wake_batch 32: $got"
echo 0 >$PARAMS/wake_usecs
got=$(wake -W 64)
[ "$got" = 1 ] || check_err 1 "-W 64 with wake_usecs=0 (every copy): $got, expected 1"
echo 256 >$PARAMS/wake_batch
echo 4000000 >$PARAMS/wake_usecs
log_test "GET_WAKE_SLOTS follows wake_batch, and reports 1 when wake_usecs=0 wakes on every copy"

# ------------------------------------------------------------ the wakeups
# 8 datagrams: below wake_batch the reader sleeps until the 4 s timer; with
# a threshold of 8 the eighth copy wakes it, with 9 nothing but the timer.
own=$(woken_ms 8 -W 8)
def=$(woken_ms 8)
nine=$(woken_ms 8 -W 9)
info "8 datagrams, wake_usecs 4 s: woken after $own ms with -W 8, $def ms by default (256), $nine ms with -W 9"
[ "$own" != none ] && [ "$own" -lt 1500 ] || check_err 1 "-W 8: woken after $own ms, expected well before the 4 s timer"
[ "$def" != none ] && [ "$def" -ge 2500 ] || check_err 1 "default threshold: woken after $def ms, expected the 4 s timer"
[ "$nine" != none ] && [ "$nine" -ge 2500 ] || check_err 1 "-W 9: woken after $nine ms, expected the 4 s timer"
log_test "a reader is woken when its own threshold of slots waits, and not before"

pval_exit
