#!/usr/bin/env bash
# Capture rtnetlink byte fixtures from a real kernel running pval.ko.
#
# On the host:  packages/netlink-pval/test/capture.sh [6.1|6.12]
#   boots the VM (test/vm/run.sh), captures there, and unpacks the result
#   into packages/netlink-pval/test/fixtures/<kernel release>/.
# In the guest: capture.sh --in-guest  (as root, from the repository root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

if [ "${1:-}" != --in-guest ]; then
	line=${1:-6.1}
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	"$root/test/vm/run.sh" --kernel "$line" -- bash packages/netlink-pval/test/capture.sh --in-guest | tee "$log"
	# The serial console ends lines with CR LF.
	tr -d '\r' <"$log" | sed -n '/^@@FIXTURES-BEGIN@@$/,/^@@FIXTURES-END@@$/p' | sed '1d;$d' | base64 -d |
		tar -C "$here/fixtures" -xz
	echo "capture: unpacked into $here/fixtures"
	exit 0
fi

out=$(mktemp -d)
release=$(uname -r)
ns=pvcap-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT

modprobe veth 2>/dev/null || true
if grep -q '^pval ' /proc/modules; then rmmod pval; fi
ip netns add "$ns"
# Capture inside a namespace of our own, so that the dump holds only our links.
ip -n "$ns" link add veth0 type veth peer name veth1
ip -n "$ns" link set veth0 up
ip netns exec "$ns" node "$here/capture.mjs" nomodule "$out/$release"
insmod "$root/kmod/pval.ko"
ip netns exec "$ns" node "$here/capture.mjs" module "$out/$release"
ip netns del "$ns"
rmmod pval
echo "@@FIXTURES-BEGIN@@"
tar -C "$out" -cz "$release" | base64
echo "@@FIXTURES-END@@"
