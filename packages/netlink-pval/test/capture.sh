#!/usr/bin/env bash
# Capture rtnetlink byte fixtures from the running kernel (run as root in the
# VM, from the repository root):
#   test/vm/run.sh --kernel 6.1 -- packages/netlink-pval/test/capture.sh
# Writes packages/netlink-pval/test/fixtures/<kernel release>/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=$here/fixtures/$(uname -r)
ns=pvcap-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT

modprobe veth 2>/dev/null || true
grep -q '^pval ' /proc/modules && rmmod pval
ip netns add "$ns"
# The capture runs inside the namespace so that the dump holds only our links.
ip -n "$ns" link add veth0 type veth peer name veth1
ip -n "$ns" link set veth0 up
ip netns exec "$ns" node "$here/capture.mjs" nomodule "$out"
insmod "$root/kmod/pval.ko"
ip netns exec "$ns" node "$here/capture.mjs" module "$out"
ip netns del "$ns"
rmmod pval
ls -l "$out"
