#!/bin/bash
# /init of the test guest. Mounts the usual file systems, loads the modules
# the suites use, runs /pval/.vm/cmd with its output on the second serial
# port, reports its exit status there, and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 PVAL_GUEST=1

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /sys/kernel/debug
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /run/netns /usr/local/bin
ln -sfn /run /var/run
ln -sfn /proc/self/fd /dev/fd
hostname pval-guest
/usr/sbin/ip link set lo up

out=/dev/ttyS1
for m in veth dummy 8021q macvlan nlmon; do
  /usr/sbin/modprobe "$m" 2>>"$out" || echo "guest-init: modprobe $m failed" >"$out"
done

# The pval command, as installed from the workspace's build.
if [ -f /pval/packages/cli/dist/bin.js ]; then
  printf '#!/bin/sh\nexec node /pval/packages/cli/dist/bin.js "$@"\n' > /usr/local/bin/pval
  chmod +x /usr/local/bin/pval
fi

echo "@@PVAL-GUEST-UP $(uname -r) cpus=$(nproc)@@" >"$out"
cd /pval || exit 1
setsid bash -c 'exec bash /pval/.vm/cmd </dev/null' >"$out" 2>&1
rc=$?
sync
echo "@@PVAL-RC=$rc@@" >"$out"
echo "@@PVAL-DMESG-BEGIN@@" >"$out"
dmesg >"$out"
echo "@@PVAL-DMESG-END@@" >"$out"
poweroff -f
