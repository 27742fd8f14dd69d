#!/usr/bin/env bash
# The walkthrough (shared/seed/pval-walkthrough.md), replayed in the guest
# with the real module and the pval tools, each step's result checked.
#
# Topology: namespace "pvalhost" holds enp0s9 (one end of a veth pair, the
# walkthrough's Ethernet device) and pval0 on top of it, 10.0.0.3/24; the
# peer namespace holds the other end, 10.0.0.2/24, MAC 08:00:27:19:12:a4.
# These addresses exist only inside this VM.
set -uo pipefail
cd "$(dirname "$0")/../.."
IP=/usr/bin/ip TCPDUMP=/usr/bin/tcpdump PING=/usr/bin/ping
HOST=pvalhost PEER=peer
PEER_MAC=08:00:27:19:12:a4
failures=0

say() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }
ok() { printf '  check: %s: ok\n' "$*"; }
bad() { printf '  check: %s: FAILED\n' "$*"; failures=$((failures + 1)); }
# Runs a command in the pval host namespace, showing it as the walkthrough does.
host() { show "$*"; "$IP" netns exec "$HOST" "$@"; }
have_sub() { pval --help 2>/dev/null | grep -q "^  $1 "; }

# wait_open PID PATH: until process PID holds PATH open (at most 60 s).
wait_open() {
  local n=0
  until ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "$2"; do
    n=$((n + 1)); [ $n -lt 300 ] || { echo "  $2 was not opened by pid $1"; return 1; }
    sleep 0.2
  done
}

cleanup() { "$IP" netns del "$HOST" 2>/dev/null; "$IP" netns del "$PEER" 2>/dev/null; rmmod pval 2>/dev/null; }
trap cleanup EXIT

say "0. The network: enp0s9 in '$HOST', its peer in '$PEER'"
"$IP" netns add "$HOST" && "$IP" netns add "$PEER"
"$IP" -n "$HOST" link add enp0s9 type veth peer name eth0 netns "$PEER"
"$IP" -n "$PEER" link set eth0 address "$PEER_MAC"
"$IP" -n "$PEER" addr add 10.0.0.2/24 dev eth0
"$IP" -n "$PEER" link set eth0 up; "$IP" -n "$PEER" link set lo up
"$IP" -n "$HOST" link set enp0s9 up; "$IP" -n "$HOST" link set lo up
echo "  enp0s9 and the peer (10.0.0.2, $PEER_MAC) are up"

say "1. Install pval.ko"
show "insmod kmod/pval.ko"
if insmod kmod/pval.ko && grep -q '^pval ' /proc/modules; then ok "pval is loaded"; else bad "insmod"; exit 1; fi

say "2. Create pval0 on enp0s9"
out=$(host pval link help 2>&1)
echo "$out"
if grep -q 'Usage: ... pval link PHYS_DEV' <<<"$out" && grep -q '\[ rxcopy { on | off } \]' <<<"$out"; then ok "usage block"; else bad "usage block"; fi
host pval link add link enp0s9 && ok "pval link add" || bad "pval link add"
out=$(host pval link show dev pval0); echo "$out"
grep -q 'pval link enp0s9 ipopt off txtstamp off rxtstamp off txcopy off rxcopy off txbusydrop on' <<<"$out" \
  && ok "detail line, all switches off but txbusydrop" || bad "detail line"
host "$IP" link set dev pval0 up
host "$IP" addr add dev pval0 10.0.0.3/24
out=$(host pval link show dev pval0); echo "$out"
grep -q 'UP' <<<"$out" && ok "pval0 is up" || bad "pval0 up"

say "3. Configure pval0: ipopt on"
host pval link set dev pval0 ipopt on
out=$(host pval link show dev pval0); echo "$out"
grep -q 'pval link enp0s9 ipopt on txtstamp off rxtstamp off txcopy off rxcopy off' <<<"$out" \
  && ok "ipopt on" || bad "ipopt on"

say "4. What happens: echo replies from pval0 carry the pval option"
cap=$(mktemp)
if have_sub print; then
  printer="pval print -nvvv -i enp0s9 icmp"
  "$IP" netns exec "$HOST" pval print -nvvv -c 4 -i enp0s9 icmp >"$cap" 2>&1 &
else
  printer="tcpdump -nvvvi enp0s9"
  "$IP" netns exec "$HOST" "$TCPDUMP" --immediate-mode -nvvv -c 4 -i enp0s9 icmp >"$cap" 2>&1 &
fi
capid=$!
# Both say "listening on" once the capture runs (tcpdump-style, on stderr).
n=0; until grep -q 'listening on' "$cap" || [ $n -ge 300 ]; do sleep 0.2; n=$((n + 1)); done
show "(on the peer) ping -c 2 10.0.0.3"
"$IP" netns exec "$PEER" "$PING" -c 2 -i 0.5 10.0.0.3
sleep 1; kill "$capid" 2>/dev/null; wait "$capid" 2>/dev/null
show "$printer"
cat "$cap"
# pval print names the option; Debian's tcpdump only knows it as unknown 222.
optre='options \(pval cpu [0-9]+, seq [0-9]+\)\)'
have_sub print || optre='options \(unknown 222\)\)'
if grep -q 'proto ICMP (1), length 84)' "$cap" && grep -Eq "proto ICMP \(1\), length 96, $optre" "$cap" \
   && grep -q '10.0.0.3 > 10.0.0.2: ICMP echo reply' "$cap"; then
  ok "requests are plain (length 84), replies carry option 222 (length 96)"
else
  bad "option in the replies"
fi

say "5. Gather copied packets: txcopy and rxcopy"
host pval link set dev pval0 txcopy on rxcopy on
show "ls /dev/pval"; ls /dev/pval
[ -c /dev/pval/pval0-rx-cpu-0 ] && [ -c /dev/pval/pval0-tx-cpu-0 ] && ok "character devices" || bad "character devices"
if have_sub dump; then
  pval0_mac=$("$IP" -n "$HOST" -j link show dev pval0 | node -pe 'JSON.parse(require("fs").readFileSync(0))[0].address')
  for dir in rx tx; do
    outs=() pids=() devs=()
    for dev in /dev/pval/pval0-$dir-cpu-*; do
      o=$(mktemp); outs+=("$o"); devs+=("$dev")
      "$IP" netns exec "$HOST" pval dump "$dev" >"$o" 2>&1 &
      pids+=($!)
    done
    # Opening a device flushes its ring: wait until every reader has it open.
    for i in "${!pids[@]}"; do wait_open "${pids[$i]}" "${devs[$i]}"; done
    "$IP" netns exec "$PEER" "$IP" neigh flush dev eth0
    "$IP" netns exec "$PEER" "$PING" -c 3 -i 0.3 10.0.0.3 >/dev/null
    sleep 1
    kill -INT "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
    show "pval dump /dev/pval/pval0-$dir-cpu-*"
    cat "${outs[@]}" | grep -v '^pval dump:' || true
    if [ $dir = rx ]; then
      want="0 $PEER_MAC -> $pval0_mac Type0800, 10.0.0.2 -> 10.0.0.3"
    else
      want="0 $pval0_mac -> $PEER_MAC Type0800, 10.0.0.3 -> 10.0.0.2"
    fi
    grep -hqxF "$want" "${outs[@]}" && ok "$dir: '$want'" || bad "$dir lines"
    if [ $dir = tx ]; then
      grep -hq "Type0806" "${outs[@]}" && ok "tx: ARP as Type0806" || bad "tx: ARP line"
    fi
    rm -f "${outs[@]}"
  done
else
  bad "pval dump is not available"
fi

say "6. Measure: pval stats"
# pval0's TX copies (its echo replies, stamped by software timestamps) and
# the peer's own capture of what arrived: pval stats joins them per sender
# and CPU (both ends share this VM's clock, hence --synced-clocks).
if have_sub stats; then
  host pval link set dev pval0 swtstamp on
  capdir=$(mktemp -d) && txcap=$capdir/tx.pcapng rxcap=$capdir/rx.pcap rxlog=$capdir/tcpdump.log
  "$IP" netns exec "$HOST" pval dump pval0 --tx -w "$txcap" 2>/dev/null &
  dumpid=$!
  for dev in /dev/pval/pval0-tx-cpu-*; do wait_open "$dumpid" "$dev"; done
  "$IP" netns exec "$PEER" "$TCPDUMP" -i eth0 -n -s 256 --immediate-mode -U -w "$rxcap" icmp 2>"$rxlog" &
  tcpid=$!
  n=0; until grep -q 'listening on' "$rxlog" || [ $n -ge 300 ]; do sleep 0.2; n=$((n + 1)); done
  show "(on the peer) ping -c 20 -i 0.1 10.0.0.3"
  "$IP" netns exec "$PEER" "$PING" -q -c 20 -i 0.1 10.0.0.3 | tail -2
  sleep 1
  kill -INT "$dumpid" "$tcpid" 2>/dev/null; wait "$dumpid" "$tcpid" 2>/dev/null
  show "pval dump pval0 --tx -w tx.pcapng; (on the peer) tcpdump -i eth0 -w rx.pcap icmp"
  show "pval stats -r rx.pcap --tx tx.pcapng --synced-clocks"
  out=$(pval stats -r "$rxcap" --tx "$txcap" --synced-clocks 2>&1)
  echo "$out"
  json=$(pval stats -r "$rxcap" --tx "$txcap" --synced-clocks --json 2>&1)
  if node -e 2>/dev/null 'const d=JSON.parse(process.argv[1]);const t=(k)=>d.streams.reduce((a,s)=>a+s[k],0);
      process.exit(d.streams.length>0&&d.streams.every((s)=>s.src==="10.0.0.3")&&t("sent")===20&&t("lost")===0&&t("unique")===20&&d.streams.every((s)=>s.owd_ns)?0:1)' "$json"; then
    ok "20 echo replies of 10.0.0.3 sent, 20 received, 0 lost, one-way delay measured"
  else
    bad "pval stats report"
  fi
  rm -rf "$capdir"
else
  bad "pval stats is not available"
fi

say "Result"
if [ $failures = 0 ]; then echo "walkthrough: every step checked, all ok"; else echo "walkthrough: $failures check(s) failed"; fi
[ $failures = 0 ]
