#!/usr/bin/env bash
# Builds the base initramfs of the test guest for one kernel: busybox for
# the basic utilities, Debian's own binaries for everything the suites test
# with (bash, ip, tcpdump, ping, node, kmod), their shared libraries, and the
# kernel's modules. Cached by kernel and by the content of this script.
#
#   test/vm/mkbase.sh KERNEL_RELEASE   prints the path of the cpio archive
set -euo pipefail
. "$(dirname "$0")/kernels.sh"
krel=$1
here=$(cd "$(dirname "$0")" && pwd)

# Debian binaries the guest gets as they are on the host, libraries included.
bins=(/usr/bin/bash /usr/sbin/ip /usr/bin/tcpdump /usr/bin/ping /usr/bin/node /usr/bin/kmod
      /usr/bin/setpriv /usr/bin/nsenter /usr/bin/unshare /usr/bin/taskset /usr/bin/timeout
      /usr/sbin/tc /usr/bin/ss /usr/bin/stdbuf /usr/bin/script)
# busybox applets that must not shadow Debian's tools.
shadowed=" ip ping ping6 tcpdump modprobe insmod rmmod lsmod depmod modinfo sh bash timeout taskset nsenter unshare setpriv tc ss stdbuf script "

key=$(cat "$0" "$here/guest-init.sh" | sha256sum | cut -c1-16)
out="$PVAL_CACHE/base-$krel-$key.cpio"
if [ -f "$out" ]; then echo "$out"; exit 0; fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,usr/lib,lib,lib64,etc,proc,sys,dev,run,tmp,root,var,pval,mnt}
ln -s usr/lib "$stage/usr/lib64" 2>/dev/null || true

cp /bin/busybox "$stage/bin/busybox"
for applet in $("$stage/bin/busybox" --list); do
  case "$shadowed" in *" $applet "*) continue ;; esac
  [ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done
ln -sf bash "$stage/bin/sh"

copy_with_libs() {
  local f=$1
  mkdir -p "$stage$(dirname "$f")"
  cp -L "$f" "$stage$f"
  ldd "$f" 2>/dev/null | awk '/=> \// {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
    [ -e "$stage$lib" ] && continue
    mkdir -p "$stage$(dirname "$lib")"
    cp -L "$lib" "$stage$lib"
  done
}
for b in "${bins[@]}"; do copy_with_libs "$b"; done
cp /usr/bin/bash "$stage/bin/bash"
for m in modprobe insmod rmmod lsmod depmod modinfo; do ln -sf ../bin/kmod "$stage/usr/sbin/$m"; done
ln -sf ../usr/sbin/modprobe "$stage/sbin/modprobe"
ln -sf /usr/sbin/ip "$stage/usr/bin/ip" 2>/dev/null || true

# Kernel modules, as Debian ships them, with depmod's index.
kdir=$(kernel_image_dir "$krel")
mkdir -p "$stage/lib/modules"
cp -a "$kdir/lib/modules/$krel" "$stage/lib/modules/"
# Keep the guest image small: only the drivers the suites use and what they need.
keep=$(for m in veth dummy 8021q macvlan nlmon sch_netem netconsole; do /usr/sbin/modprobe -d "$kdir" -S "$krel" --show-depends "$m"; done | awk '{print $2}' | sort -u)
# Real NIC drivers with their PTP clock (ptp, pps_core), where the kernel has
# them (the generic kernel; the cloud kernels have none): the nic-hwtstamp
# suite's igb and e1000e.
for m in igb e1000e; do
  deps=$(/usr/sbin/modprobe -d "$kdir" -S "$krel" --show-depends "$m" 2>/dev/null | awk '{print $2}') || continue
  keep+=$'\n'$deps
done
find "$stage/lib/modules/$krel/kernel" -type f | while read -r f; do
  grep -qxF "${f#"$stage"}" <<<"${keep//$kdir/}" || rm -f "$f"
done
depmod -b "$stage" "$krel"

cat > "$stage/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/bash
tcpdump:x:104:110::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
P
cat > "$stage/etc/group" <<'G'
root:x:0:
tcpdump:x:110:
nogroup:x:65534:
G
printf '127.0.0.1 localhost\n::1 localhost\n' > "$stage/etc/hosts"
printf 'hosts: files\n' > "$stage/etc/nsswitch.conf"
: > "$stage/etc/fstab"
cp "$here/guest-init.sh" "$stage/init"
chmod +x "$stage/init"

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
