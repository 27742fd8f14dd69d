# SPDX-License-Identifier: GPL-2.0
# Helpers of the dump-*.sh suites (@pval/chardev and `pval dump`), sourced by
# them after test/lib/common.sh and chardev-lib.bash; not a suite itself.

PVAL_CLI=$PVAL_ROOT/packages/cli/dist/bin.js
CHARDEV=$PVAL_ROOT/packages/chardev/dist/index.js
# An array, not a function: `"${PVAL[@]}" dump ... &` leaves $! = node's PID.
PVAL=(node "$PVAL_CLI")

# dump_require_built: skip the suite when the packages are not built.
dump_require_built()
{
	if [ ! -f "$PVAL_CLI" ] || [ ! -f "$CHARDEV" ]; then
		echo "SKIP: packages not built (pnpm build)"
		exit $ksft_skip
	fi
}

# wait_open PID PATH...: until process PID has every PATH open (the reader
# is ready); 1 when it exits first or after 60 s (node starts slowly under TCG).
wait_open()
{
	local pid=$1 i p missing
	shift
	for ((i = 0; i < 1200; i++)); do
		missing=0
		for p in "$@"; do
			ls -l "/proc/$pid/fd" 2>/dev/null | grep -q -- "-> $p\$" || missing=1
		done
		[ $missing = 0 ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
