#!/usr/bin/env bash
# Startup cost of the bundled CLI, side by side with a bare Node start, in
# one hyperfine run. Prints the ratio of the medians (the goal: <= 1.5).
#   pnpm --filter @pval/cli bench     (after pnpm build)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed" >&2; exit 4; }
[ -f dist/bin.js ] || { echo "bench: dist/bin.js is missing; run pnpm build" >&2; exit 1; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT
hyperfine -N --warmup 10 --runs "${RUNS:-100}" --export-json "$json" 'node -e 0' 'node dist/bin.js --version'
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
const [base, cli] = r;
const ms = (x) => (x * 1000).toFixed(1);
const ratio = cli.median / base.median;
console.log(`median: node -e 0 ${ms(base.median)} ms, pval --version ${ms(cli.median)} ms, ratio ${ratio.toFixed(2)} (goal <= 1.5)`);
console.log(`mean:   node -e 0 ${ms(base.mean)} ms, pval --version ${ms(cli.mean)} ms, ratio ${(cli.mean / base.mean).toFixed(2)}`);
// User CPU time is steadier than wall time on a loaded machine.
console.log(`user:   node -e 0 ${ms(base.user)} ms, pval --version ${ms(cli.user)} ms, ratio ${(cli.user / base.user).toFixed(2)}`);
process.exitCode = ratio <= 1.5 ? 0 : 1;
' "$json"
