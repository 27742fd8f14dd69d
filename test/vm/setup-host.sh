#!/usr/bin/env bash
# Installs what the VM suites need on a Debian 12 host, idempotently:
# QEMU, busybox, the guest's tools, and for each kernel line its headers
# (installed, to build pval.ko) and its image (unpacked into .cache/vm, not
# installed: the host keeps booting its own kernel).
set -euo pipefail
. "$(dirname "$0")/kernels.sh"

log() { printf 'setup-host: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "must run as root (apt-get, and the VM suites need root for the guest image)"; exit 1
fi

backports=/etc/apt/sources.list.d/pval-bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  log "adding bookworm-backports (for the 6.12 kernel)"
  cat > "$backports" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  rm -f "$PVAL_CACHE/.apt-updated"
fi

mkdir -p "$PVAL_CACHE"
stamp="$PVAL_CACHE/.apt-updated"
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +720)" ]; then
  log "apt-get update"
  apt-get update -qq
  touch "$stamp"
fi

# Resolve the ABI names behind the cloud meta packages of each line.
resolve() { # LINE SUITE_PATTERN
  apt-cache depends "linux-image-cloud-amd64=$(apt-cache madison linux-image-cloud-amd64 | awk -v p="$2" '$3 ~ p {print $3; exit}')" \
    | awk '/Depends: linux-image-/ {sub("linux-image-", "", $2); print $2; exit}'
}
krel_61=$(resolve 6.1 '^6\.1\.')
krel_612=$(resolve 6.12 '^6\.12\.')
[ -n "$krel_61" ] && [ -n "$krel_612" ] || { log "cannot resolve the cloud kernels from apt (6.1='$krel_61', 6.12='$krel_612')"; exit 1; }
printf 'KREL_6_1=%s\nKREL_6_12=%s\n' "$krel_61" "$krel_612" > "$PVAL_CACHE/kernels.env"
log "kernels: 6.1=$krel_61 6.12=$krel_612"

# The generic 6.12 kernel of the NIC suite (kernels.sh, PVAL_NIC_KERNEL_LINE),
# from the linux-image-amd64 meta package of bookworm-backports.
krel_generic=$(apt-cache depends "linux-image-amd64=$(apt-cache madison linux-image-amd64 | awk '$3 ~ /^6\.12\./ {print $3; exit}')" \
  | awk '/Depends: linux-image-/ {sub("linux-image-", "", $2); print $2; exit}')
[ -n "$krel_generic" ] || { log "cannot resolve the generic 6.12 kernel from apt (linux-image-amd64)"; exit 1; }
printf 'KREL_%s=%s\n' "$PVAL_NIC_KERNEL_LINE" "$krel_generic" >> "$PVAL_CACHE/kernels.env"
log "kernel of the NIC suite: $PVAL_NIC_KERNEL_LINE=$krel_generic"
# Its image is unpacked with the others below.
PVAL_KERNEL_LINES+=("$PVAL_NIC_KERNEL_LINE")

pkgs=(qemu-system-x86 busybox-static cpio kmod bash iproute2 iputils-ping tcpdump util-linux
      gcc make libc6-dev libelf-dev sparse
      man-db groff-base zsh  # the CLI's tests render its man pages and load its completion scripts
      "linux-headers-$krel_61" "linux-headers-$krel_612")
pkgs+=("linux-headers-$krel_generic")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- The 7.x line: trixie-backports' newest cloud kernel -----------------
# Its headers need trixie's gcc and glibc, so they go into a trixie root
# (debootstrap, minbase) cached in .cache/vm/trixie-root; modules for it are
# built there (kernel_make in kernels.sh). Made once, then reused: a re-run
# only refreshes apt (every 12 h) and installs a newer kernel if there is one.
# The time it takes is logged: 94 s the first time on a quiet 2-core host,
# 171 s beside two running guests; about 10 s on a re-run.
# in_trixie_root ROOT CMD...: CMD chrooted in ROOT with /proc mounted, in a
# mount namespace of its own, so the mounts go with it whatever happens.
in_trixie_root() {
  unshare --mount --propagation private -- sh -c '
    root=$1; shift
    mount -t proc proc "$root/proc" || exit 1
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME=/root \
      DEBIAN_FRONTEND=noninteractive "$@"
    rc=$?
    umount "$root/proc"
    exit $rc' sh "$@"
}
setup_trixie_line() {
  local root start krel tmp dir parts deb
  root=$(kernel_trixie_root)
  start=$(date +%s)
  if [ ! -f "$root/.pval-root" ]; then
    command -v debootstrap >/dev/null || {
      log "apt-get install debootstrap"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    log "making the trixie root in $root (debootstrap --variant=minbase)"
    rm -rf "$root.tmp"
    debootstrap --variant=minbase trixie "$root.tmp" http://deb.debian.org/debian >"$PVAL_CACHE/trixie-root.log" 2>&1 \
      || { tail -20 "$PVAL_CACHE/trixie-root.log" >&2; log "debootstrap trixie failed (log: $PVAL_CACHE/trixie-root.log)"; return 1; }
    cat > "$root.tmp/etc/apt/sources.list.d/trixie-backports.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    mkdir -p "$root.tmp/build"
    [ -e "$root.tmp/dev/null" ] || touch "$root.tmp/dev/null"
    rm -rf "$root"
    mv "$root.tmp" "$root"
    touch "$root/.pval-root"
  fi
  if [ ! -f "$root/.apt-updated" ] || [ -n "$(find "$root/.apt-updated" -mmin +720)" ]; then
    log "apt-get update (trixie root)"
    in_trixie_root "$root" apt-get update -qq
    touch "$root/.apt-updated"
  fi
  krel=$(in_trixie_root "$root" sh -c '
    v=$(apt-cache madison linux-image-cloud-amd64 | awk "\$3 ~ /~bpo/ {print \$3; exit}")
    [ -n "$v" ] && apt-cache depends "linux-image-cloud-amd64=$v"' \
    | awk '/Depends: linux-image-/ {sub("linux-image-", "", $2); print $2; exit}')
  [ -n "$krel" ] || { log "cannot resolve trixie-backports' cloud kernel in the trixie root"; return 1; }
  sed -i --follow-symlinks '/^KREL_7_x=/d' "$PVAL_CACHE/kernels.env"
  printf 'KREL_7_x=%s\n' "$krel" >> "$PVAL_CACHE/kernels.env"
  log "kernels: 7.x=$krel"
  if ! in_trixie_root "$root" dpkg-query -W -f='${Status}' "linux-headers-$krel" 2>/dev/null | grep -q 'install ok installed'; then
    log "installing gcc, make, sparse, linux-headers-$krel in the trixie root"
    in_trixie_root "$root" apt-get install -y -qq --no-install-recommends \
      gcc make sparse libc6-dev "linux-headers-$krel" >"$PVAL_CACHE/trixie-root.log" 2>&1 \
      || { tail -20 "$PVAL_CACHE/trixie-root.log" >&2; log "installing into the trixie root failed"; return 1; }
    in_trixie_root "$root" apt-get clean
  fi
  # Sparse: the headers of 6.13 and later use __typeof_unqual__, which
  # trixie's sparse (0.6.4) cannot parse; unstable's (0.6.5~rc1, linked with
  # libc only) can. Its binary goes to the root's /usr/local/bin, first in
  # kernel_make's PATH. kbuild runs scripts/checker-valid.sh before sparse
  # and skips sparse unless it prints 1; Debian's 7.x headers lack it.
  if [ ! -x "$root/usr/local/bin/sparse" ]; then
    log "sparse 0.6.5 from unstable into the trixie root's /usr/local/bin"
    echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main' > "$root/tmp/sid.list"
    mkdir -p "$root/tmp/sid-lists/partial" "$root/tmp/sparse"
    local sid=(-o Dir::Etc::sourcelist=/tmp/sid.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=/tmp/sid-lists
               -o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)
    in_trixie_root "$root" sh -c 'cd /tmp/sparse && apt-get update -qq "$@" && apt-get download -qq "$@" sparse' sh "${sid[@]}"
    dpkg-deb -x "$root"/tmp/sparse/sparse_*.deb "$root/tmp/sparse/x"
    install -m 755 "$root/tmp/sparse/x/usr/bin/sparse" "$root/usr/local/bin/sparse"
    rm -rf "$root/tmp/sparse" "$root/tmp/sid-lists" "$root/tmp/sid.list"
  fi
  local chk="$root/usr/src/linux-headers-${krel%-cloud-amd64}-common/scripts/checker-valid.sh"
  if [ ! -e "$chk" ]; then
    cat > "$chk" <<'CHK'
#!/bin/sh
# checker-valid.sh CHECKER [FLAGS...]: prints 1 when CHECKER parses what
# these headers need (__typeof_unqual__). Added by pval's setup-host.sh.
out=$(printf 'static __typeof_unqual__(const int) pval_checker_valid;\n' | "$@" - 2>&1) || exit 0
case $out in *error:*) exit 0 ;; esac
echo 1
CHK
    chmod +x "$chk"
  fi
  # The image is unpacked next to the others, not installed in the root.
  # From 7.x, linux-image-KREL only depends on the packages that hold the
  # kernel (linux-binary-KREL) and its modules (linux-modules-KREL), which
  # go to /usr/lib/modules: the tree is laid out as 6.x's was (boot/,
  # lib/modules/) for mkbase.sh and run.sh.
  dir=$(kernel_image_dir "$krel")
  if [ ! -f "$dir/boot/vmlinuz-$krel" ]; then
    log "unpacking linux-image-$krel and its parts into $dir"
    tmp=$(mktemp -d "$root/tmp/image.XXXXXX")
    parts=$(in_trixie_root "$root" apt-cache depends "linux-image-$krel" \
      | awk -v k="-$krel" '$1 == "Depends:" && $2 ~ /^linux-/ && substr($2, length($2) - length(k) + 1) == k {print $2}')
    # shellcheck disable=SC2086 # one package name per word
    in_trixie_root "$root" sh -c 'cd "$1" && shift && apt-get download -qq -o APT::Sandbox::User=root "$@"' \
      sh "${tmp#"$root"}" "linux-image-$krel" $parts
    rm -rf "$dir"; mkdir -p "$dir"
    for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
    rm -rf "$tmp"
    if [ -d "$dir/usr/lib/modules" ] && [ ! -e "$dir/lib" ]; then ln -s usr/lib "$dir/lib"; fi
    if [ ! -e "$dir/boot/vmlinuz-$krel" ] && [ -f "$dir/usr/lib/modules/$krel/vmlinuz" ]; then
      mkdir -p "$dir/boot"
      ln -s "../usr/lib/modules/$krel/vmlinuz" "$dir/boot/vmlinuz-$krel"
    fi
    depmod -b "$dir" "$krel"
  fi
  log "7.x line ready in $(( $(date +%s) - start ))s"
}
setup_trixie_line

for line in "${PVAL_KERNEL_LINES[@]}"; do
  krel=$(kernel_release "$line")
  dir=$(kernel_image_dir "$krel")
  if [ ! -f "$dir/boot/vmlinuz-$krel" ]; then
    log "unpacking linux-image-$krel into $dir"
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -qq "linux-image-$krel" 2>/dev/null)
    rm -rf "$dir"; mkdir -p "$dir"
    dpkg-deb -x "$tmp"/linux-image-*.deb "$dir"
    rm -rf "$tmp"
    depmod -b "$dir" "$krel"
  fi
done
# QEMU 10 from bookworm-backports: bookworm's QEMU 7.2 has no igb device (it
# came with QEMU 8.0); QEMU 10 emulates the 82576 with its PTP clock and TX
# timestamps, which the NIC suite reads.  Every VM run then uses it.
qemu_ver=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
if ! dpkg --compare-versions "$qemu_ver" ge 1:10; then
  log "apt-get install -t bookworm-backports qemu-system-x86 (installed: ${qemu_ver:-none})"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86 >/dev/null
fi
qemu_line=$(qemu-system-x86_64 --version | head -1)
case $qemu_line in
  "QEMU emulator version "[1-9][0-9].*) log "$qemu_line" ;;
  *) log "QEMU 10 or later needed, found: $qemu_line"; exit 1 ;;
esac
log "ready"
