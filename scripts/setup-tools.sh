#!/usr/bin/env bash
# Debian packages the host-side builds, tests and benchmarks use, beyond
# those of the VM (test/vm/setup-host.sh): the reference tcpdump the printer
# is compared with, libpcap for live capture, the benchmark tools, and
# Prometheus (promtool, and the server the exporter's host test starts on
# loopback by itself).
set -euo pipefail
pkgs=(tcpdump libpcap-dev iproute2 hyperfine time g++ make python3 prometheus)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-tools: apt-get install ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The tests run their own Prometheus; the service the package starts (where
# systemd runs) is not needed, so one we installed is stopped again.
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
