#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Flood benchmark: boots the test VM on each kernel line and runs flood.sh
# there (packets/s through pval0 with ipopt + txcopy + rxcopy + swtstamp,
# against the same traffic on a bare veth pair, in the same boot).
#
#   bench/flood/run.sh [--kernel 6.1|6.12]... [DURATION [ROUNDS]]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lines=() args=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) lines+=("$2"); shift 2 ;;
	*) args+=("$1"); shift ;;
	esac
done
[ ${#lines[@]} -gt 0 ] || lines=(6.1 6.12)
status=0
for line in "${lines[@]}"; do
	"$root/test/vm/run.sh" --kernel "$line" --timeout 1200 -- bash bench/flood/flood.sh "${args[@]}" || status=1
done
exit $status
