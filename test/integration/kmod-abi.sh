#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kmod-abi: pval.ko says which ABI it speaks (PVAL_ABI_VERSION of
# kmod/include/uapi/linux/pval.h): the read-only abi_version parameter, the
# module version, IFLA_PVAL_ABI_VERSION in every link's attributes (which a
# request cannot set), and @pval/netlink and @pval/chardev accept the module
# because they speak the same version.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/chardev-lib.bash"
. "$(dirname "$0")/dump-lib.bash"

NETLINK=$PVAL_ROOT/packages/netlink-pval/dist/index.js
HEADER=$PVAL_ROOT/kmod/include/uapi/linux/pval.h

require_root
require_cmd "$NLPVAL" node
dump_require_built
[ -f "$NETLINK" ] || { echo "SKIP: packages not built (pnpm build)"; exit $ksft_skip; }
pval_load || { echo "SKIP: cannot load $PVAL_KO"; exit $ksft_skip; }

T=$(mktemp -d)
cleanup()
{
	cd_teardown
	rm -rf "$T"
}
trap cleanup EXIT

want=$(awk '$1 == "#define" && $2 == "PVAL_ABI_VERSION" { print $3 }' "$HEADER")
modver=$(sed -n 's/^MODULE_VERSION("\(.*\)");$/\1/p' "$PVAL_ROOT/kmod/pval_main.c")
info "the header says ABI $want, pval_main.c version $modver"

got=$(cat /sys/module/pval/parameters/abi_version 2>&1)
[ -n "$want" ] && [ "$got" = "$want" ] || check_err 1 "abi_version parameter: '$got', header: '$want'"
echo 3 >/sys/module/pval/parameters/abi_version 2>/dev/null && check_err 1 "abi_version is writable"
[ "$(cat /sys/module/pval/parameters/abi_version)" = "$want" ] || check_err 1 "abi_version changed"
ver=$(cat /sys/module/pval/version 2>&1)
[ -n "$modver" ] && [ "$ver" = "$modver" ] || check_err 1 "/sys/module/pval/version: '$ver', source: '$modver'"
log_test "module: abi_version $got (read-only), version $ver"

cd_setup pv-abi txcopy 1 || { echo "FAIL: setup"; exit 1; }
out=$(ip netns exec "$NS_A" node --input-type=module -e '
	import { getLink } from "'"$NETLINK"'";
	const l = await getLink(process.argv[1]);
	console.log(l.pval.abiVersion);
' pv-abi 2>&1)
[ "$out" = "$want" ] || check_err 1 "IFLA_PVAL_ABI_VERSION through @pval/netlink: $out"
out=$(ip netns exec "$NS_A" "$NLPVAL" set pv-abi raw 12:u32:1 2>&1)
check_fail $? "IFLA_PVAL_ABI_VERSION was accepted in a request"
expect_err_msg "$out" "IFLA_PVAL_ABI_VERSION is reported by the kernel"
info "set: $out"
log_test "IFLA_PVAL_ABI_VERSION: $want in the link's attributes (read by @pval/netlink), refused in a request"

out=$(node --input-type=module -e '
	import { moduleAbiVersion, openDevice } from "'"$CHARDEV"'";
	const r = openDevice(process.argv[1]);
	console.log(moduleAbiVersion(), r.readBatch() === null ? "empty" : "slots");
	r.close();
' /dev/pval/pv-abi-tx-cpu-0 2>&1)
[ "$out" = "$want empty" ] || check_err 1 "@pval/chardev: $out"
log_test "@pval/chardev reads ABI $want from the module and opens its devices"

pval_exit
