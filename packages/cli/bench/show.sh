#!/usr/bin/env bash
# `pval link show -j` against the reference, `ip -d -j link show`, in one
# hyperfine run, in a network namespace of its own with ten veth pairs (the
# host has no pval module, so the pval side lists the links and prints none:
# the cost measured is startup, the netlink dump and decoding).
#   pnpm --filter @pval/cli bench     (after pnpm build; needs root)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed" >&2; exit 4; }
[ "$(id -u)" = 0 ] || { echo "bench: show.sh needs root for its namespace" >&2; exit 4; }
[ -f dist/bin.js ] || { echo "bench: dist/bin.js is missing; run pnpm build" >&2; exit 1; }
ns=pvbench-$$
json=$(mktemp)
trap 'ip netns del "$ns" 2>/dev/null; rm -f "$json"' EXIT
ip netns add "$ns"
for i in $(seq 0 9); do ip -n "$ns" link add "veth$i" type veth peer name "peer$i"; done
hyperfine -N --warmup 10 --runs "${RUNS:-100}" --export-json "$json" \
  "ip -n $ns -d -j link show" "node dist/bin.js link -n $ns show -j"
node -e '
const [ip, pval] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
const ms = (x) => (x * 1000).toFixed(1);
console.log(`median: ip ${ms(ip.median)} ms, pval ${ms(pval.median)} ms, ratio ${(pval.median / ip.median).toFixed(2)}`);
console.log(`user:   ip ${ms(ip.user)} ms, pval ${ms(pval.user)} ms, ratio ${(pval.user / ip.user).toFixed(2)}`);
' "$json"
