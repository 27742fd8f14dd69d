#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `pval link` against pval.ko: every subcommand and every error, and the
# side-by-side check with Debian's ip. Runs as root in the VM:
#   test/vm/run.sh --kernel 6.1 -- test/integration/link-cli.sh
. "$(dirname "$0")/../lib/common.sh"

require_root
require_cmd "$IP" node setpriv
PVAL_CLI=${PVAL_CLI:-$PVAL_ROOT/packages/cli/dist/bin.js}
if [ ! -f "$PVAL_CLI" ]; then
	echo "SKIP: $PVAL_CLI is not built (pnpm build)"
	exit $ksft_skip
fi
[ -f "$PVAL_KO" ] || { echo "SKIP: $PVAL_KO is not built"; exit $ksft_skip; }

trap 'cleanup_netns; pval_unload 2>/dev/null' EXIT

# run CMD...: sets $out, $err and $rc.
run()
{
	local f
	f=$(mktemp)
	out=$("$@" 2>"$f")
	rc=$?
	err=$(cat "$f")
	rm -f "$f"
}
pval() { node "$PVAL_CLI" "$@"; }
pvaln() { pval link -n "$NS_A" "$@"; }
expect_rc() { [ "$rc" -eq "$1" ] || check_err 1 "exit $rc, expected $1 (stderr: $err)"; }
expect_eq() { [ "$1" = "$2" ] || check_err 1 "got '$1', expected '$2'"; }
# detail_line DEV: the third line of `pval link show`, without indentation.
detail_line() { pvaln show "$1" | sed -n 3p | sed 's/^ *//'; }
# lower DEV: one more veth in $NS_A for one more pval link (a lower device
# takes one pval link: it holds its rx handler).
lower()
{
	"$IP" -n "$NS_A" link add "$1" type veth peer name "$1p" && "$IP" -n "$NS_A" link set "$1" up
}

# 1. Before the module is loaded, creation says how to load it.
pval_unload
modprobe veth 2>/dev/null
setup_topology || { echo "FAIL: topology"; exit 1; }
run pvaln add pval0 link veth0
expect_rc 1
expect_err_msg "$err" "Unknown device type"
expect_err_msg "$err" "modprobe pval"
expect_err_msg "$err" "insmod kmod/pval.ko"
[ "$(wc -l <<<"$err")" -eq 1 ] || check_err 1 "stderr is not one line: $err"
log_test "add without the module: one line naming the fix, exit 1"

pval_load || { echo "FAIL: insmod $PVAL_KO"; exit 1; }

# 2. help
run pval link help
expect_rc 0
expected_usage='Usage: ... pval link PHYS_DEV
                 [ ipopt { on | off } ]
                 [ txtstamp { on | off } ]
                 [ rxtstamp { on | off } ]
                 [ txcopy { on | off } ]
                 [ rxcopy { on | off } ]
                 [ txbusydrop { on | off } ]
                 [ swtstamp { on | off } ]
                 [ ring_slots SLOTS ]'
expect_eq "$(head -9 <<<"$out")" "$expected_usage"
log_test "help prints the walkthrough's usage block with the appended switches"
run pval help link
expect_rc 0
expect_eq "$(head -9 <<<"$out")" "$expected_usage"
expect_eq "$err" ""
log_test "pval help link prints the same usage on stdout, exit 0"

# 3. add with the creation defaults, show in the walkthrough's shape
run pvaln add pval0 link veth0
expect_rc 0
expect_eq "$err" ""
line=$(detail_line pval0)
case $line in
"pval link veth0 ipopt off txtstamp off rxtstamp off txcopy off rxcopy off txbusydrop on"*) ;;
*) check_err 1 "detail line: $line" ;;
esac
log_test "add NAME link DEV: defaults all off but txbusydrop"
info "$line"

# The first line is ip's first line.
expect_eq "$(pvaln show pval0 | head -1)" "$("$IP" -n "$NS_A" -d link show dev pval0 | head -1)"
log_test "show: first line identical to ip -d link show"

# 4. set with keyword prefixes; no creation defaults on set
run pvaln set pval0 txbusydrop off
expect_rc 0
run pvaln set dev pval0 ipo on txc on rxc on
expect_rc 0
line=$(detail_line pval0)
case $line in
"pval link veth0 ipopt on txtstamp off rxtstamp off txcopy on rxcopy on txbusydrop off"*) ;;
*) check_err 1 "detail line after set: $line" ;;
esac
log_test "set [dev] NAME with prefixes changes only what it names"
info "$line"

# 4b. iproute2's word orders: global options before the object, the name
# anywhere ip takes it, type pval; set up|down|mtu|name|netns by rtnetlink.
pvalg() { pval -n "$NS_A" "$@"; }
ipa() { "$IP" -n "$NS_A" "$@"; }
# ip_field NS DEV EXPR: one field of ip -d -j link show (JS expression on l).
ip_field() { link_json_field "$1" "$2" "$3"; }
lower vethg1
lower vethg2
run pvalg link add link vethg1 pvalg1 type pval
expect_rc 0
expect_eq "$err" ""
expect_eq "$(ip_field "$NS_A" pvalg1 'l.linkinfo.info_kind')" "pval"
expect_eq "$(ip_field "$NS_A" pvalg1 'l.link')" "vethg1"
run pvalg link add link vethg2 name pvalg2 type pval ipopt on
expect_rc 0
# Debian's ip prints no info_data for kind pval: read the switch back with pval.
expect_eq "$(pvalg -j link show pvalg2 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].linkinfo.info_data.ipopt))')" "true"
log_test "pval -n NS link add link DEV NAME type pval (and name NAME ... ipopt on)"

for args in "-j" "-json" "-j -d" "-d -j"; do
	# shellcheck disable=SC2086
	run pval $args -n "$NS_A" link show dev pvalg1
	expect_rc 0
	expect_eq "$(node -e 'const l=JSON.parse(process.argv[1]);console.log(l.length, l[0].ifname)' "$out")" "1 pvalg1"
done
run pval -j link show
expect_rc 0
expect_eq "$out" "$("$IP" -j link show type pval)"
log_test "pval -j link show: global options before the object"

run pvalg link set pvalg1 up
expect_rc 0
expect_eq "$(ip_field "$NS_A" pvalg1 'l.flags.includes("UP")')" "true"
run pvalg link set dev pvalg1 down
expect_rc 0
expect_eq "$(ip_field "$NS_A" pvalg1 'l.flags.includes("UP")')" "false"
log_test "set up / set dev NAME down change IFF_UP as ip shows it"

mtu0=$(ip_field "$NS_A" pvalg1 'l.mtu')
run pvalg link set pvalg1 mtu 1400 up
expect_rc 0
expect_eq "$(ip_field "$NS_A" pvalg1 'l.mtu')" "1400"
expect_eq "$(ip_field "$NS_A" pvalg1 'l.flags.includes("UP")')" "true"
run pvalg link set pvalg1 mtu 9000
expect_rc 1
[ "$(wc -l <<<"$err")" -eq 1 ] || check_err 1 "stderr is not one line: $err"
grep -q "^link: change link pvalg1: .*mtu" <<<"$err" || check_err 1 "stderr: $err"
refusal=$err
expect_eq "$(ip_field "$NS_A" pvalg1 'l.mtu')" "1400"
# Down again: the counters of a link that is down stay still for the comparison with ip below.
run pvalg link set pvalg1 mtu "$mtu0" down
expect_rc 0
expect_eq "$(ip_field "$NS_A" pvalg1 'l.mtu')" "$mtu0"
log_test "set mtu N (with up in the same request); above the maximum: the kernel's reason, exit 1"
info "$refusal"

devs_before=$(ls /dev/pval 2>/dev/null | grep -c '^pvalg1-')
run pvalg link set pvalg1 name pvalgr
expect_rc 0
ipa link show dev pvalgr >/dev/null 2>&1
check_err $? "no pvalgr after the rename"
ipa link show dev pvalg1 >/dev/null 2>&1
check_fail $? "pvalg1 still there after the rename"
if [ "$devs_before" -gt 0 ]; then
	expect_eq "$(ls /dev/pval | grep -c '^pvalgr-')" "$devs_before"
fi
run pvalg link set pvalgr name pvalg1
expect_rc 0
log_test "set name NEW renames the link (and its character devices)"

run pvalg link set pvalg1 netns "$NS_B"
expect_rc 0
"$IP" -n "$NS_B" link show dev pvalg1 >/dev/null 2>&1
check_err $? "pvalg1 is not in $NS_B"
ipa link show dev pvalg1 >/dev/null 2>&1
check_fail $? "pvalg1 still in $NS_A"
run pval -n "$NS_B" link set pvalg1 netns "$NS_A" name pvalg3
expect_rc 0
expect_eq "$(ip_field "$NS_A" pvalg3 'l.linkinfo.info_kind')" "pval"
# By process id: a process that lives in NS_B.
"$IP" netns exec "$NS_B" sleep 60 &
holder=$!
sleep 0.5
run pvalg link set pvalg3 netns "$holder" name pvalg1
expect_rc 0
"$IP" -n "$NS_B" link show dev pvalg1 >/dev/null 2>&1
check_err $? "pvalg3 did not move to the namespace of pid $holder"
run pval -n "$NS_B" link set pvalg1 netns "$NS_A"
expect_rc 0
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect_eq "$(ip_field "$NS_A" pvalg1 'l.link')" "vethg1"
run pvalg link set pvalg1 netns pvnl-nowhere
expect_rc 1
expect_eq "$err" 'link: change link pvalg1: network namespace "pvnl-nowhere" does not exist'
log_test "set netns NS / PID moves the link and back; a missing namespace is named"

# Side by side with Debian's ip: the global-option form, plain and detailed.
compare_by_name()
{
	# Every key both print (recursively) for a link of the same name must
	# carry the same value; $1 is pval's JSON list, $2 ip's.
	node -e '
const [a, b] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2])];
const bad = [];
let shared = 0;
const walk = (x, y, path) => {
  if (x && y && typeof x === "object" && typeof y === "object" && !Array.isArray(x)) {
    for (const k of Object.keys(x)) if (k in y) walk(x[k], y[k], `${path}.${k}`);
    return;
  }
  shared++;
  if (JSON.stringify(x) !== JSON.stringify(y)) bad.push(`${path}: pval ${JSON.stringify(x)} ip ${JSON.stringify(y)}`);
};
if (a.length === 0) bad.push("pval printed no link");
for (const l of a) {
  const m = b.find((x) => x.ifname === l.ifname);
  if (!m) bad.push(`${l.ifname}: not listed by ip`);
  else walk(l, m, l.ifname);
}
if (bad.length) { console.log(bad.join("\n")); process.exit(1); }
console.log(`${a.length} links, ${shared} shared keys agree`);
' "$1" "$2"
}
for flags in "-j" "-j -d" "-j -s"; do
	# shellcheck disable=SC2086
	res=$(compare_by_name "$(pval $flags -n "$NS_A" link show)" "$("$IP" $flags -n "$NS_A" link show)")
	check_err $? "pval $flags link show: $res"
	info "pval $flags -n NS link show vs ip $flags -n NS link show: $res"
done
log_test "pval -j [-d|-s] link show agrees with ip -j [-d|-s] link show on every shared key"

run pvalg link del pvalg2 type pval
expect_rc 0
run pvalg link delete dev pvalg1
expect_rc 0
expect_eq "$(ipa -o link show type pval | grep -c pvalg)" "0"
log_test "del NAME type pval / delete dev NAME"

# 5. add without a name: the kernel picks pval%d
lower vethn
before=$("$IP" -n "$NS_A" -o link show type pval | wc -l)
run pvaln add link vethn ipopt on
expect_rc 0
after=$("$IP" -n "$NS_A" -o link show type pval | wc -l)
[ "$after" -eq $((before + 1)) ] || check_err 1 "pval links: $before before, $after after"
newname=$("$IP" -n "$NS_A" -o link show type pval | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v '^pval0$' | head -1)
case $newname in pval[0-9]*) ;; *) check_err 1 "new link is named '$newname'" ;; esac
log_test "add without NAME: the kernel names it pval%d"

# 6. ring_slots at creation, and the kernel's own refusals printed verbatim
if grep -q ring_slots <<<"$(detail_line pval0)"; then
	lower vethr
	run pvaln add pvalr link vethr ring_slots 256
	expect_rc 0
	grep -q "ring_slots 256" <<<"$(detail_line pvalr)" || check_err 1 "ring_slots not 256: $(detail_line pvalr)"
	log_test "add ring_slots 256"
	lower vethbad
	run pvaln add pvalbad link vethbad ring_slots 3
	expect_rc 1
	grep -q "^link: create link pvalbad: " <<<"$err" || check_err 1 "stderr: $err"
	[ "$(wc -l <<<"$err")" -eq 1 ] || check_err 1 "stderr is not one line: $err"
	log_test "add ring_slots 3: kernel refusal on one line, exit 1"
	info "$err"
	run pvaln set pvalr ring_slots 512
	expect_rc 1
	grep -q "^link: change link pvalr: " <<<"$err" || check_err 1 "stderr: $err"
	log_test "set ring_slots: creation only, the kernel's reason, exit 1"
	info "$err"
else
	skip "ring_slots" "the module does not report IFLA_PVAL_RING_SLOTS"
fi

# 7. usage errors: exit 2, nothing created
n_before=$("$IP" -n "$NS_A" -o link show | wc -l)
run pvaln add pvalx
expect_rc 2
expect_err_msg "$err" 'missing "link PHYS_DEV"'
log_test "add without link: usage error, exit 2"
run pvaln add pvalx link veth0 ipopt on ipopt off
expect_rc 2
expect_eq "$(head -1 <<<"$err")" 'link: duplicate keyword "ipopt" (at "ipopt")'
log_test "duplicate keyword: exit 2"
run pvaln add pvalx link veth0 ipopt maybe
expect_rc 2
expect_eq "$err" 'link: invalid value "maybe" for ipopt: use on or off'
log_test "ipopt maybe: exit 2"
run pvaln add pvalx link veth0 frob on
expect_rc 2
expect_eq "$(head -1 <<<"$err")" 'link: unknown keyword "frob"'
grep -q "^Usage: ... pval link PHYS_DEV" <<<"$err" || check_err 1 "no usage after an unknown keyword"
log_test "unknown keyword: the usage, exit 2"
expect_eq "$("$IP" -n "$NS_A" -o link show | wc -l)" "$n_before"
log_test "usage errors create nothing"

# 8. runtime errors: exit 1, one line
run pvaln add pvalx link nosuch0
expect_rc 1
expect_eq "$err" 'link: create link pvalx: lower device "nosuch0" does not exist'
log_test "unknown lower device named, exit 1"
# Not root: enter the namespace, then run without any capability (uid 0
# keeps file access; an empty bounding set leaves no CAP_NET_ADMIN).
run "$IP" netns exec "$NS_A" setpriv --bounding-set=-all --inh-caps=-all \
	node "$PVAL_CLI" link add pvalx link veth0
expect_rc 1
expect_err_msg "$err" "needs CAP_NET_ADMIN"
[ "$(wc -l <<<"$err")" -eq 1 ] || check_err 1 "stderr is not one line: $err"
log_test "not root: needs CAP_NET_ADMIN, exit 1"
info "$err"
run pvaln del veth0
expect_rc 1
expect_eq "$err" "link: delete link veth0: veth0 is not a pval link (kind veth)"
"$IP" -n "$NS_A" link show dev veth0 >/dev/null 2>&1
check_err $? "veth0 was deleted"
log_test "del of a non-pval link refused, link kept, exit 1"
run pvaln set pval0 link veth0
expect_rc 2
log_test "set link DEV: the lower device cannot change, exit 2"
run pvaln show nosuch0
expect_rc 1
expect_eq "$err" 'link: get link nosuch0: no link "nosuch0"'
log_test "show of a missing link: exit 1"

# 9. side by side with ip, for links made by either tool
lower vethip
"$IP" -n "$NS_A" link add link vethip name pvalip type pval
check_err $? "ip link add type pval failed"
for dev in pval0 pvalip; do
	for flags in "-j" "-j -s"; do
		# shellcheck disable=SC2086
		res=$(compare_by_name "$(pvaln show $flags "$dev")" "$("$IP" -n "$NS_A" -d $flags link show dev "$dev")")
		check_err $? "$dev $flags: $res"
		info "$dev $flags: $res"
	done
done
log_test "show -j and ip -d -j agree on every shared key (links by pval and by ip)"
pvaln show -p pval0 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=JSON.parse(s);if(l.length!==1||l[0].linkinfo.info_kind!=="pval")process.exit(1)})'
check_err $? "show -p is not a JSON list with one pval link"
log_test "show -p prints pretty JSON"
out=$(pvaln show -s pval0)
grep -q "^    RX:  bytes packets" <<<"$out" || check_err 1 "no RX block"
if grep -q "IFLA_PVAL_STATS\|ipopt_inserted" <<<"$(pvaln show -j pval0)"; then
	grep -q "^    pval: ipopt_inserted [0-9]* ipopt_skipped" <<<"$out" || check_err 1 "no pval counters line"
fi
log_test "show -s adds counters"

# 10. show lists exactly the pval links
expect_eq "$(pvaln show | grep -c '^[0-9]*: ')" "$("$IP" -n "$NS_A" -o link show type pval | wc -l)"
log_test "show lists every pval link and nothing else"

# 11. del
for dev in pval0 pvalip $newname pvalr; do
	"$IP" -n "$NS_A" link show dev "$dev" >/dev/null 2>&1 || continue
	run pvaln del "$dev"
	expect_rc 0
	"$IP" -n "$NS_A" link show dev "$dev" >/dev/null 2>&1
	check_fail $? "$dev still exists"
done
log_test "del [dev] NAME removes the link"
run pvaln del pval0
expect_rc 1
log_test "del of a missing link: exit 1"

cleanup_netns
pval_exit
