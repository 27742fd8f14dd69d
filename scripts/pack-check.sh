#!/usr/bin/env bash
# Installs the packages as a user of the npm registry would get them, and
# checks that they work there:
#
#  1. `pnpm pack` of every published package; prints each tarball's size and
#     files, and fails when one lacks its LICENSE, an addon its prebuild, or a
#     dependency range is still a workspace: one.
#  2. Installs the tarballs into an empty project with npm (--ignore-scripts)
#     and with pnpm (which skips dependencies' install scripts), with a PATH
#     that holds no compiler, make or python3. Third-party dependencies come
#     from the registry; the @pval ones only from the tarballs (overrides).
#  3. In each project: the three addons load from their prebuilds;
#     `pval --version`, `pval print -r`, `pval dump -r` and `pval stats -r`
#     print the same bytes as the workspace's build; `pval link show` exits 0.
#  4. With install scripts on: nothing compiles where the prebuilds fit (no
#     compiler on PATH), and each addon compiles from its tarball when the C
#     library is said to be musl (LIBC=musl), for which none is packed.
#  5. Again with the platform set to darwin, so both package managers leave
#     out the Linux-only packages: the file commands still print the same
#     bytes, and `pval link show`, `pval dump pval0`, `pval print -i lo` fail
#     with one line naming the missing package.
#  6. Runs each package's README example against the npm install, and
#     compares what it prints with the README's "prints" block.
#
#   scripts/pack-check.sh            (after `pnpm build`; it runs turbo's build, cached)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d /tmp/pval-pack-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
export TZ=UTC LC_ALL=C.UTF-8 FORCE_COLOR=0 NO_COLOR=1
passed=0 failed=0 skipped=0
pass() {
  printf '  ok    %s\n' "$*"
  passed=$((passed + 1))
}
fail() {
  printf '  FAIL  %s\n' "$*"
  failed=$((failed + 1))
}
section() { printf '\n== %s\n' "$*"; }

pnpm exec turbo run build --output-logs=errors-only >/dev/null || {
  echo "pack-check: the build failed (pnpm exec turbo run build)"
  exit 1
}

section "tarballs (pnpm pack)"
mkdir -p "$work/tarballs"
declare -A tarball # package name -> tarball path
for dir in packages/*/; do
  [ -f "$dir/package.json" ] || continue
  if [ "$(node -p "require('./$dir/package.json').private === true")" = true ]; then continue; fi
  name=$(node -p "require('./$dir/package.json').name")
  out=$(cd "$dir" && pnpm pack --pack-destination "$work/tarballs" 2>&1) || {
    echo "$out"
    fail "$name: pnpm pack"
    continue
  }
  tgz=$work/tarballs/$(node -p "const p = require('./$dir/package.json'); \`\${p.name.slice(1).replace('/', '-')}-\${p.version}.tgz\`")
  tarball[$name]=$tgz
  files=$(tar tzf "$tgz" | sed 's#^package/##' | sort)
  printf '\n%s  %s  %d bytes, %d files\n' "$name" "$(basename "$tgz")" "$(stat -c %s "$tgz")" "$(echo "$files" | wc -l)"
  tar tzvf "$tgz" | awk '{ sub(/^package\//, "", $6); printf "    %8d  %s\n", $3, $6 }' | sort -k2
  grep -qx LICENSE <<<"$files" || fail "$name: no LICENSE in the tarball"
  manifest=$(tar xzf "$tgz" -O package/package.json)
  if grep -q '"workspace:' <<<"$manifest"; then fail "$name: workspace: range in the packed package.json"; fi
  if [ -f "$dir/binding.gyp" ]; then
    grep -Eq '^prebuilds/linux-x64/.*\.glibc\.node$' <<<"$files" || fail "$name: no linux-x64 glibc prebuild in the tarball"
    if grep -q '^build/' <<<"$files"; then fail "$name: build/ in the tarball"; fi
  fi
done
[ "${#tarball[@]}" -eq 7 ] || fail "expected 7 tarballs, packed ${#tarball[@]}"
pass "packed ${#tarball[@]} packages"

# The workspace's output, which the installed packages must reproduce byte for byte.
fixtures=$root/packages/tcpdump-printer/test/fixtures/vm
commands=(
  "--version"
  "print -r $fixtures/icmp.pcap"
  "print -nvv -e -r $fixtures/tcp.pcap"
  "dump -r $fixtures/icmp.pcap"
  "stats -r $fixtures/icmp.pcap"
)
mkdir -p "$work/expected"
for i in "${!commands[@]}"; do
  # shellcheck disable=SC2086 # the words of the command line
  node packages/cli/dist/bin.js ${commands[$i]} >"$work/expected/$i" 2>&1
done

# A PATH without compilers, make or python3.
bin=$work/bin
mkdir -p "$bin"
for tool in node npm npx pnpm sh bash env tar gzip cat ls mkdir rm cp mv ln chmod readlink realpath \
  dirname basename uname head tail wc sort cmp grep sed find id tr mktemp touch stat timeout; do
  p=$(command -v "$tool") && ln -s "$(readlink -f "$p")" "$bin/$tool"
done
# npm and pnpm are scripts that start with `#!/usr/bin/env node`.
for tool in gcc g++ cc c++ make python3 python node-gyp; do
  if PATH=$bin command -v "$tool" >/dev/null; then fail "$tool is on the restricted PATH"; fi
done
pass "restricted PATH: no gcc, g++, cc, c++, make, python3, node-gyp"
run() { env -i HOME="$HOME" PATH="$bin" TZ=UTC LC_ALL=C.UTF-8 NO_COLOR=1 "$@"; }

# project DIR MANAGER PACKAGES...: an empty project depending on the tarballs of PACKAGES, with every
# @pval package overridden to its tarball.
project() {
  local dir=$1 manager=$2
  shift 2
  mkdir -p "$dir"
  node - "$dir" "$manager" "$@" <<'EOF'
const [dir, manager, ...names] = process.argv.slice(2);
const tarballs = JSON.parse(process.env.TARBALLS);
const file = (name) => `file:${tarballs[name]}`;
const overrides = Object.fromEntries(Object.keys(tarballs).map((n) => [n, file(n)]));
const pkg = {
  name: "pval-pack-check",
  version: "1.0.0",
  private: true,
  type: "module",
  dependencies: Object.fromEntries(names.map((n) => [n, file(n)])),
};
if (manager === "npm") pkg.overrides = overrides;
else pkg.pnpm = { overrides };
require("node:fs").writeFileSync(`${dir}/package.json`, `${JSON.stringify(pkg, null, 2)}\n`);
EOF
}
TARBALLS=$(for n in "${!tarball[@]}"; do printf '%s\n%s\n' "$n" "${tarball[$n]}"; done |
  node -e 'const l=require("fs").readFileSync(0,"utf8").trim().split("\n");const o={};for(let i=0;i<l.length;i+=2)o[l[i]]=l[i+1];console.log(JSON.stringify(o))')
export TARBALLS

# install DIR MANAGER OS: installs the project with npm or pnpm, for OS (linux or darwin).
install() {
  local dir=$1 manager=$2 os=$3 log=$1/install.log
  if [ "$manager" = npm ]; then
    (cd "$dir" && run npm install --ignore-scripts --no-audit --no-fund --os="$os" >"$log" 2>&1)
  else
    # pnpm 10 runs no dependency's install script unless allowed; none is. It checks `os` against
    # the registry's metadata, which local tarballs do not have, so for darwin the optional
    # dependencies are left out as pnpm leaves them out there: --no-optional.
    local optional=()
    [ "$os" = linux ] || optional=(--no-optional)
    (cd "$dir" && run pnpm install --reporter=append-only "${optional[@]}" >"$log" 2>&1)
  fi || {
    cat "$log"
    return 1
  }
}

# compare DIR: runs the file commands with DIR's pval and compares with the workspace's bytes.
compare() {
  local dir=$1 i out
  for i in "${!commands[@]}"; do
    # shellcheck disable=SC2086
    out=$(cd "$dir" && run timeout 30 node_modules/.bin/pval ${commands[$i]} 2>&1 | cmp - "$work/expected/$i" 2>&1) &&
      pass "pval ${commands[$i]/$fixtures\//}: same $(wc -c <"$work/expected/$i") bytes as the workspace" ||
      fail "pval ${commands[$i]/$fixtures\//}: differs from the workspace: $out"
  done
}

addons=("@pval/chardev" "@pval/netlink" "@pval/capture")
# The addons as the packages load them; the exceptions these calls raise come from the addons,
# so they prove the binary loaded. Each line: package, the binary node-gyp-build picks, the result.
cat >"$work/load-addons.mjs" <<'EOF'
import { createRequire } from "node:module";
import { dirname } from "node:path";
const require = createRequire(import.meta.url);
const probes = {
  "@pval/chardev": async (m) => {
    try {
      m.openDevice("/dev/pval/pval-pack-check-rx-cpu-0");
      return "opened a device that does not exist";
    } catch (err) {
      return `openDevice: ${err.code}`;
    }
  },
  "@pval/netlink": async (m) => `listLinks: ${(await m.listLinks()).length} pval links`,
  "@pval/capture": async (m) => {
    try {
      m.openCapture("pvalnosuchdev0").close();
      return "opened an interface that does not exist";
    } catch (err) {
      return `openCapture: ${err.message}`;
    }
  },
};
for (const name of process.argv.slice(2)) {
  const root = dirname(require.resolve(`${name}/package.json`));
  const gypBuild = createRequire(`${root}/package.json`)("node-gyp-build");
  const result = await probes[name](await import(name));
  console.log(`${name} ${gypBuild.path(root).slice(root.length + 1)} ${result}`);
}
EOF

for manager in npm pnpm; do
  section "$manager: every package, linux"
  dir=$work/$manager-linux
  project "$dir" "$manager" "${!tarball[@]}"
  if ! install "$dir" "$manager" linux; then
    fail "$manager install"
    continue
  fi
  pass "$manager install (scripts off, no compiler on PATH)"
  if [ "$manager" = pnpm ]; then
    ignored=$(grep -o '@pval/[a-z-]*@file' "$dir/install.log" | sed 's/@file$//' | sort -u | paste -sd ' ')
    if [ -n "$ignored" ]; then pass "pnpm ignored the build scripts of $ignored"; fi
  fi
  # Every @pval package in the project is the one from its tarball, not from a registry.
  from_tarballs=0
  for name in "${!tarball[@]}"; do
    if installed=$(cd "$dir" && run node -p "require.resolve('$name/package.json')" 2>/dev/null) &&
      tar xzf "${tarball[$name]}" -O package/package.json | cmp -s - "$installed"; then
      from_tarballs=$((from_tarballs + 1))
    else
      fail "$name: not installed from its tarball"
    fi
  done
  pass "$from_tarballs @pval packages installed, each with its tarball's package.json"
  [ -z "$(cd "$dir" && find node_modules -maxdepth 6 -type d -path '*/@pval/*/build')" ] ||
    fail "$manager: a build/ directory in an installed @pval package"
  cp "$work/load-addons.mjs" "$dir/"
  if loaded=$(cd "$dir" && run timeout 30 node load-addons.mjs "${addons[@]}" 2>&1); then
    while read -r name path result; do
      if [[ $path == prebuilds/linux-x64/*.glibc.node ]]; then
        pass "$name loads $path ($result)"
      else
        fail "$name loads $path, not a prebuild ($result)"
      fi
    done <<<"$loaded"
  else
    fail "loading the addons: $loaded"
  fi
  compare "$dir"
  if out=$(cd "$dir" && run timeout 30 node_modules/.bin/pval link show 2>&1); then
    pass "pval link show as $(id -un): exit 0, $(printf '%s' "$out" | grep -c '^[0-9]*: ') pval links"
  else
    fail "pval link show: $out"
  fi
done

# With install scripts on, node-gyp-build compiles only where no prebuild fits: not here (glibc, and
# no compiler on PATH), but when told the C library is musl, for which no prebuild is packed.
section "npm with install scripts on: the addons compile only where no prebuild fits"
dir=$work/npm-scripts
project "$dir" npm "${addons[@]}"
if (cd "$dir" && run npm install --no-audit --no-fund >"$dir/install.log" 2>&1); then
  built=$(cd "$dir" && find node_modules -maxdepth 5 -path '*/@pval/*/build/Release/*.node')
  if [ -z "$built" ]; then pass "glibc, no compiler on PATH: the install scripts ran and compiled nothing"; else fail "compiled: $built"; fi
else
  cat "$dir/install.log"
  fail "npm install with scripts, glibc, no compiler"
fi
dir=$work/npm-musl
project "$dir" npm "${addons[@]}"
if (cd "$dir" && LIBC=musl npm install --no-audit --no-fund >"$dir/install.log" 2>&1); then
  cp "$work/load-addons.mjs" "$dir/"
  loaded=$(cd "$dir" && LIBC=musl timeout 30 node load-addons.mjs "${addons[@]}" 2>&1) || true
  while read -r name path result; do
    if [[ $path == build/Release/*.node ]]; then
      pass "LIBC=musl: $name compiled at install, loads $path ($result)"
    else
      fail "LIBC=musl: $name loads $path $result"
    fi
  done <<<"$loaded"
else
  cat "$dir/install.log"
  fail "npm install with scripts, LIBC=musl"
fi

for manager in npm pnpm; do
  section "$manager: @pval/cli on a platform without the native packages (os=darwin)"
  dir=$work/$manager-darwin
  project "$dir" "$manager" @pval/cli @pval/decode @pval/stats @pval/tcpdump-printer
  if ! install "$dir" "$manager" darwin; then
    fail "$manager install"
    continue
  fi
  left=$(cd "$dir" && find node_modules -maxdepth 6 \( -path '*/@pval/chardev' -o -path '*/@pval/netlink' -o -path '*/@pval/capture' \))
  if [ -z "$left" ]; then pass "$manager left out @pval/chardev, @pval/netlink, @pval/capture"; else fail "$manager installed: $left"; fi
  compare "$dir"
  for cmd in "link show" "dump pval0" "print -i lo" "stats pval0"; do
    # shellcheck disable=SC2086
    if out=$(cd "$dir" && run timeout 30 node_modules/.bin/pval $cmd 2>&1); then
      fail "pval $cmd succeeded without the native packages"
    elif [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ $out == *"@pval/"*" is not installed"* ]]; then
      pass "pval $cmd: exit 1: $out"
    else
      fail "pval $cmd: not one line naming the package: $out"
    fi
  done
done

section "README examples, against the npm install"
readmes=$(node scripts/readme-examples.mjs "$work/npm-linux" 2>&1) || true
echo "$readmes"
passed=$((passed + $(grep -c '^  ok ' <<<"$readmes" || true)))
failed=$((failed + $(grep -c '^  FAIL ' <<<"$readmes" || true)))
skipped=$((skipped + $(grep -c '^  SKIP ' <<<"$readmes" || true)))
[ "$(grep -Ec '^  (ok|SKIP) ' <<<"$readmes" || true)" -eq 7 ] || fail "README examples: 7 expected, $(grep -c . <<<"$readmes") lines reported"

section "result"
echo "pack-check: $passed passed, $failed failed, $skipped skipped"
# In scripts/test.sh, the counts join the run's totals (scripts/test-summary.mjs).
if [ -n "${PVAL_TEST_REPORT_DIR:-}" ]; then
  printf '{"numPassedTests":%d,"numFailedTests":%d,"numPendingTests":%d}\n' "$passed" "$failed" "$skipped" \
    >"$PVAL_TEST_REPORT_DIR/pack-check.json"
fi
[ "$failed" -eq 0 ]
