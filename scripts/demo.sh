#!/usr/bin/env bash
# The demo: on a fresh Debian 12 machine with Node.js and npm, installs what
# it needs, builds pval.ko and the pval tools, boots a VM on Debian's Linux
# 6.1 (or the kernel line given with --kernel) and replays the walkthrough
# there step by step, checking each step's result.
#
#   scripts/demo.sh [--kernel 6.1|6.12]
set -euo pipefail
cd "$(dirname "$0")/.."
line=6.1
[ "${1:-}" = --kernel ] && line=$2

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "demo: preparing the host (Debian packages, kernel images, pnpm, build)" >&2
$SUDO bash test/vm/setup-host.sh
$SUDO bash scripts/setup-tools.sh
want=$(node -p 'require("./package.json").packageManager.split("@")[1]')
[ "$(pnpm --version 2>/dev/null || true)" = "$want" ] || $SUDO npm install -g --silent "pnpm@$want"
. scripts/node-headers.sh
pnpm install --frozen-lockfile --silent
pnpm exec turbo run build --output-logs=errors-only >&2
exec bash test/vm/run.sh --kernel "$line" --timeout 900 -- bash test/demo/walkthrough.sh
