#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Where pval's cost goes: the flood of flood.sh under perf (999 Hz on every
# CPU), bare and pval, two rounds each, per direction; prints per CPU the
# symbols whose cost per packet differs most, in µs of guest time per
# packet (samples x 1001 µs / packets sent): pval minus bare, bare, pval.
# Under counted instructions (run.sh --profile) 1 µs is 1000 instructions.
# Needs perf in the guest (run.sh --profile puts the host's there).
#
#   bash bench/flood/profile.sh [DURATION]
set -u
cd "$(dirname "$0")/../.."
. bench/flood/lib.bash
D=${1:-2}
TOP=${PROFILE_TOP:-30}
PERF=${PERF:-perf}
command -v "$PERF" >/dev/null || { echo "profile: no perf in the guest (use bench/flood/run.sh --profile)"; exit 1; }
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
flood_init
NCPUS=$(nproc)

# profile_one NAME FROM_NS TO_NS DST: one flood under perf; writes
# $T/NAME.cpuN: "µs-per-packet symbol" per line.
profile_one()
{
	local name=$1 sink sent n pp c
	flood_sink "$3" $((D + 3))
	"$PERF" record -a -F 999 -o "$T/$name.data" >/dev/null 2>&1 &
	pp=$!
	sleep 0.5
	sent=$(flood_send "$2" "$4" "$D")
	kill -INT $pp
	wait $pp
	wait $sink
	n=$(cd_sent_field "$sent" sent)
	echo "profile: $name: sent $n, sink: $(tr '\n' ' ' <"$T/sink")"
	for ((c = 0; c < NCPUS; c++)); do
		"$PERF" report -i "$T/$name.data" --cpu $c --sort sym -F sample,sym --stdio 2>/dev/null |
			awk -v n="$n" '/^ *[0-9]+ / { s = $1; $1 = ""; print s * 1001 / n, $0 }' >"$T/$name.cpu$c"
	done
}

echo "profile: kernel $(uname -r), $NCPUS CPUs, $D s per flood; pval0: $SWITCHES"
for r in 1 2; do
	profile_one bare-tx$r fa fb 10.88.0.2
	profile_one pval-tx$r pa pb 10.89.0.2
	profile_one bare-rx$r fb fa 10.88.0.1
	profile_one pval-rx$r pb pa 10.89.0.1
done
flood_close_readers

for dir in tx rx; do
	for ((c = 0; c < NCPUS; c++)); do
		for k in bare pval; do
			cat "$T/$k-${dir}1.cpu$c" "$T/$k-${dir}2.cpu$c" | sed "s/^/$k /"
		done | awk -v d=$dir -v c=$c -v top="$TOP" '
			{ k = $1; v = $2; $1 = $2 = ""; sub(/^ +/, ""); cost[k, $0] += v / 2; sym[$0] = 1; tot[k] += v / 2 }
			END {
				printf "profile: %s, CPU %d: µs per packet (idle included): bare %.2f, pval %.2f\n", d, c, tot["bare"], tot["pval"]
				printf "%9s %9s %9s  %s\n", "pval-bare", "bare", "pval", "symbol"
				for (s in sym)
					printf "%9.3f %9.3f %9.3f  %s\n", cost["pval", s] - cost["bare", s], cost["bare", s], cost["pval", s], s | "sort -g -r | head -" top
				close("sort -g -r | head -" top)
			}'
		echo
	done
done
