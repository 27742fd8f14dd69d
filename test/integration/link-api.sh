#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# @pval/netlink against pval.ko: the library API on real pval links, its
# typed errors, and the counters of IFLA_PVAL_STATS. Runs as root in the VM:
#   test/vm/run.sh --kernel 6.12 -- bash test/integration/link-api.sh
. "$(dirname "$0")/../lib/common.sh"

require_root
require_cmd "$IP" "$PING" node setpriv
PVAL_NETLINK=${PVAL_NETLINK:-$PVAL_ROOT/packages/netlink-pval/dist/index.js}
if [ ! -f "$PVAL_NETLINK" ]; then
	echo "SKIP: $PVAL_NETLINK is not built (pnpm build)"
	exit $ksft_skip
fi
[ -f "$PVAL_KO" ] || { echo "SKIP: $PVAL_KO is not built"; exit $ksft_skip; }
trap 'cleanup_netns; pval_unload 2>/dev/null' EXIT

# nl JS: run an async ES module body with the library imported as `nl` and
# the namespace as `where`; it prints results, and throws to fail.
nl()
{
	node --input-type=module -e "
import * as nl from '$PVAL_NETLINK';
import assert from 'node:assert/strict';
const where = { netns: '$NS_A' };
$1
" 2>&1
}
step()
{
	local name=$1 out
	out=$(nl "$2")
	check_err $? "$out"
	[ -n "$out" ] && info "$out"
	log_test "$name"
}

pval_unload
modprobe veth 2>/dev/null
setup_topology || { echo "FAIL: topology"; exit 1; }

step "createLink without the module: ModuleNotLoadedError" '
const err = await nl.createLink({ name: "pval0", link: "veth0" }, where).catch((e) => e);
assert.ok(err instanceof nl.ModuleNotLoadedError, String(err));
assert.equal(err.code, "EOPNOTSUPP");
assert.equal(err.extack, "Unknown device type");
assert.match(err.message, /modprobe pval/);
console.log(err.message);'

pval_load || { echo "FAIL: insmod $PVAL_KO"; exit 1; }

step "createLink returns the link with the creation defaults" '
const l = await nl.createLink({ name: "pval0", link: "veth0", ipopt: true }, where);
assert.equal(l.name, "pval0");
assert.equal(l.kind, "pval");
assert.deepEqual(l.pval.link.name, "veth0");
assert.equal(l.pval.ipopt, true);
assert.equal(l.pval.txbusydrop, true);
for (const k of ["txtstamp", "rxtstamp", "txcopy", "rxcopy", "swtstamp"]) assert.equal(l.pval[k], false, k);
assert.match(l.address, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
assert.equal(typeof l.mtu, "number");
assert.equal(typeof l.stats64.txPackets, "bigint");
console.log(l.index, l.name, l.pval.link.name, "mtu", l.mtu, l.address);'

step "getLink by name and by index agree with ip -d -j" '
import { execFileSync } from "node:child_process";
const byName = await nl.getLink("pval0", where);
const byIndex = await nl.getLink(byName.index, where);
assert.deepEqual({ ...byIndex, stats64: undefined }, { ...byName, stats64: undefined });
const [ip] = JSON.parse(execFileSync("/usr/bin/ip", ["-n", where.netns, "-d", "-j", "link", "show", "dev", "pval0"], { encoding: "utf8" }));
assert.equal(byName.index, ip.ifindex);
assert.equal(byName.mtu, ip.mtu);
assert.equal(byName.operstate, ip.operstate);
assert.equal(byName.address, ip.address);
assert.equal(byName.kind, ip.linkinfo.info_kind);'

step "setLink sends only the given switches" '
await nl.setLink("pval0", { txbusydrop: false }, where);
const l = await nl.setLink("pval0", { txcopy: true, rxcopy: true }, where);
assert.equal(l.pval.txcopy, true);
assert.equal(l.pval.rxcopy, true);
assert.equal(l.pval.txbusydrop, false, "set must not restore the creation default");
assert.equal(l.pval.ipopt, true);'

step "setLink: state, MTU and a switch in one request; rename; a move to another namespace and back" '
import { execFileSync } from "node:child_process";
const ip = (ns, dev) => JSON.parse(execFileSync("/usr/bin/ip", ["-n", ns, "-d", "-j", "link", "show", "dev", dev], { encoding: "utf8" }))[0];
const mtu0 = (await nl.getLink("pval0", where)).mtu;
const l = await nl.setLink("pval0", { up: true, mtu: 1400, ipopt: false }, where);
assert.equal(l.flags & 1, 1);
assert.equal(l.mtu, 1400);
assert.equal(l.pval.ipopt, false);
const seen = ip(where.netns, "pval0");
assert.ok(seen.flags.includes("UP"), seen.flags.join(","));
assert.equal(seen.mtu, 1400);
const down = await nl.setLink("pval0", { up: false, ipopt: true }, where);
assert.equal(down.flags & 1, 0);
assert.equal(down.mtu, 1400, "mtu must not change when not given");
const renamed = await nl.setLink("pval0", { name: "pvaln" }, where);
assert.equal(renamed.name, "pvaln");
assert.equal(ip(where.netns, "pvaln").linkinfo.info_kind, "pval");
const moved = await nl.setLink("pvaln", { netns: "'"$NS_B"'", name: "pvalm" }, where);
assert.equal(moved.name, "pvalm");
assert.equal(ip("'"$NS_B"'", "pvalm").linkinfo.info_kind, "pval");
const back = await nl.setLink("pvalm", { netns: where.netns, name: "pval0", mtu: mtu0 }, { netns: "'"$NS_B"'" });
assert.equal(back.name, "pval0");
assert.equal(back.mtu, mtu0);
assert.equal(back.pval.link.name, "veth0");
console.log("up, mtu 1400, down, renamed, moved and back as", back.name, "index", back.index);'

step "createLink without a name: the kernel picks pval%d" '
import { execFileSync } from "node:child_process";
execFileSync("/usr/bin/ip", ["-n", where.netns, "link", "add", "vethx", "type", "veth", "peer", "name", "vethxp"]);
const l = await nl.createLink({ link: "vethx" }, where);
assert.match(l.name, /^pval\d+$/);
assert.equal(l.pval.link.name, "vethx");
const names = (await nl.listLinks(where)).map((x) => x.name).sort();
assert.deepEqual(names, ["pval0", l.name].sort());
await nl.deleteLink(l.name, where);
console.log("created and deleted", l.name);'

step "the kernel refusal keeps errno and extack" '
import { execFileSync } from "node:child_process";
execFileSync("/usr/bin/ip", ["-n", where.netns, "link", "add", "vethr", "type", "veth", "peer", "name", "vethrp"]);
const err = await nl.createLink({ name: "pvalr", link: "vethr", ringSlots: 3 }, where).catch((e) => e);
assert.ok(err instanceof nl.NetlinkError, String(err));
assert.equal(err.code, "EINVAL");
assert.match(err.extack, /power of two/);
const busy = await nl.createLink({ name: "pvalb", link: "veth0" }, where).catch((e) => e);
assert.ok(busy instanceof nl.NetlinkError, String(busy));
console.log(err.message);
console.log(busy.message);'

step "typed errors: unknown lower device, missing link, not a pval link" '
const lower = await nl.createLink({ link: "nosuch0" }, where).catch((e) => e);
assert.ok(lower instanceof nl.NoSuchLinkError);
assert.equal(lower.message, "create link: lower device \"nosuch0\" does not exist");
const missing = await nl.getLink("nosuch0", where).catch((e) => e);
assert.ok(missing instanceof nl.NoSuchLinkError);
const veth = await nl.deleteLink("veth0", where).catch((e) => e);
assert.ok(veth instanceof nl.NotPvalLinkError);
assert.equal(veth.kind, "veth");
await nl.getAnyLink("veth0", where);'

out=$("$IP" netns exec "$NS_A" setpriv --bounding-set=-all --inh-caps=-all \
	node --input-type=module -e "
import * as nl from '$PVAL_NETLINK';
const err = await nl.setLink('pval0', { ipopt: false }).catch((e) => e);
console.log(err?.name, err?.code, err?.message);
" 2>&1)
grep -q "^PermissionError EPERM .*needs CAP_NET_ADMIN" <<<"$out" || check_err 1 "$out"
info "$out"
log_test "without CAP_NET_ADMIN: PermissionError"

# Counters: with ipopt on, every IPv4 packet sent through pval0 gets the option.
pval_addr_up "$NS_A" pval0 || check_err 1 "addresses on pval0"
"$IP" netns exec "$NS_A" "$PING" -c 5 -i 0.2 -W 2 "$PVAL_ADDR_B" >/dev/null
check_err $? "ping through pval0"
step "IFLA_PVAL_STATS: ipopt_inserted counts the stamped packets" '
const l = await nl.getLink("pval0", where);
assert.ok(l.pval.stats, "no IFLA_PVAL_STATS");
assert.ok(l.pval.stats.ipoptInserted >= 5n, `ipoptInserted ${l.pval.stats.ipoptInserted}`);
assert.ok(l.stats64.txPackets >= 5n);
console.log("ipoptInserted", l.pval.stats.ipoptInserted, "txPackets", l.stats64.txPackets);'

step "deleteLink removes it" '
await nl.deleteLink("pval0", where);
const err = await nl.getLink("pval0", where).catch((e) => e);
assert.ok(err instanceof nl.NoSuchLinkError);'

cleanup_netns
pval_exit
