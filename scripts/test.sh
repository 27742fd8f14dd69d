#!/usr/bin/env bash
# The whole test run, from a fresh clone on Debian 12 with only Node.js and
# npm: installs what the project needs (Debian packages, the test kernels
# and the trixie root that builds for the newest, pnpm, the workspace's
# dependencies), then builds, type-checks, lints, checks the ABI, runs every
# host test and the VM suites on Linux 6.1, 6.12 and 7.x, and prints the
# totals.
#
#   scripts/test.sh            everything
#   scripts/test.sh --no-vm    host checks only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
vm=1
[ "${1:-}" = --no-vm ] && vm=0

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

step "host setup (Debian packages, kernels for the VM)"
$SUDO bash test/vm/setup-host.sh
$SUDO bash scripts/setup-tools.sh

step "pnpm"
want=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  $SUDO npm install -g --silent "pnpm@$want"
fi
. scripts/node-headers.sh
pnpm install --frozen-lockfile

export FORCE_COLOR=0
reports=$(mktemp -d)
export PVAL_TEST_REPORT_DIR=$reports
status=0
# check NAME CMD...: runs one step; a failure is noted for the summary.
check() {
  local name=$1
  shift
  if ! "$@"; then
    status=1
    echo "$name" >> "$reports/failed-steps.txt"
  fi
}

step "ABI: generated constants and C layout"
check "ABI constants (pnpm abi:check)" pnpm abi:check
check "ABI layout (pnpm test:abi-layout)" pnpm test:abi-layout --reporter=default --reporter=json --outputFile="$reports/abi-layout.json"

step "format and lint (biome)"
check "format and lint (biome ci)" pnpm exec biome ci --colors=off .

step "build, typecheck, package lint, unit tests (turbo)"
check "build, typecheck, package lint, unit tests (turbo)" \
  pnpm exec turbo run build typecheck lint:pkg test --output-logs=errors-only --continue

check "differential fuzzer against tcpdump (pnpm --filter @pval/tcpdump-printer fuzz)" pnpm --filter @pval/tcpdump-printer fuzz

step "packages as users install them: tarballs, npm and pnpm, no compiler, with and without the addons"
check "packed packages (scripts/pack-check.sh)" bash scripts/pack-check.sh

step "kernel module: W=1 and sparse on every kernel line"
check "kernel module W=1 and sparse (scripts/kmod-check.sh)" bash scripts/kmod-check.sh

if [ $vm = 1 ]; then
  step "VM suites (6.1, 6.12 and 7.x)"
  vmlog=$(mktemp)
  check "VM suites (test/vm/run-suites.sh)" bash -o pipefail -c 'bash test/vm/run-suites.sh 2>&1 | tee "$0"' "$vmlog"
  grep -a '^vm: ' "$vmlog" | tail -1 > "$reports/vm.txt" || true
  # The NIC suites: one boot of the generic 6.12 kernel with igb and e1000e NICs.
  check "VM NIC suites (test/vm/run-nic-suite.sh)" bash -o pipefail -c 'bash test/vm/run-nic-suite.sh 2>&1 | tee "$0"' "$vmlog.nic"
  grep -a '^vm generic: ' "$vmlog.nic" | tail -1 > "$reports/vm-nic.txt" || true
fi

step "summary"
node scripts/test-summary.mjs "$reports" || status=1
exit $status
