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
