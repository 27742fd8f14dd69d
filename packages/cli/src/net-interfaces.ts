// `pval print -D`: the network interfaces `-i` can capture on, numbered and
// described as tcpdump -D lists them ("1.eth0 [Up, Running, Connected]"),
// read from /sys/class/net of this network namespace. libpcap's
// pseudo-devices (any, nflog, dbus, ...) are not listed.
//
// Order, as libpcap's: interfaces up and running first, loopback after the
// others of its group, then those down; by ifindex within a group.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;

export interface NetInterface {
  name: string;
  ifindex: number;
  /** /sys/class/net/NAME/flags: dev->flags, without IFF_RUNNING (see {@link isRunning}). */
  flags: number;
  /** /sys/class/net/NAME/operstate: "up", "down", "unknown", ... */
  operstate: string;
}

/** The interfaces of /sys/class/net (or `root`). */
export function readNetInterfaces(root = "/sys/class/net"): NetInterface[] {
  const read = (name: string, file: string): string => readFileSync(join(root, name, file), "utf8").trim();
  const out: NetInterface[] = [];
  for (const name of readdirSync(root)) {
    try {
      out.push({
        name,
        ifindex: Number(read(name, "ifindex")),
        flags: Number.parseInt(read(name, "flags"), 16),
        operstate: read(name, "operstate"),
      });
    } catch {
      // Gone while listing, or not an interface.
    }
  }
  return out;
}

/** SIOCGIFFLAGS's IFF_RUNNING, as the kernel derives it: up, and operationally up or unknown. */
function isRunning(i: NetInterface): boolean {
  return (i.flags & IFF_UP) !== 0 && (i.operstate === "up" || i.operstate === "unknown");
}

/** tcpdump -D's bracketed description of one interface. */
export function describeFlags(i: NetInterface): string {
  const words: string[] = [];
  if (i.flags & IFF_UP) words.push("Up");
  if (isRunning(i)) words.push("Running");
  if (i.flags & IFF_LOOPBACK) words.push("Loopback");
  else if (i.flags & IFF_UP) {
    if (i.operstate === "up") words.push("Connected");
    else if (i.operstate === "down" || i.operstate === "lowerlayerdown") words.push("Disconnected");
  }
  return words.length > 0 ? words.join(", ") : "none";
}

function rank(i: NetInterface): number {
  return (isRunning(i) ? 0 : 2) + (i.flags & IFF_LOOPBACK ? 1 : 0);
}

/** The lines of tcpdump -D for these interfaces. */
export function listInterfaces(interfaces: NetInterface[]): string {
  return [...interfaces]
    .sort((a, b) => rank(a) - rank(b) || a.ifindex - b.ifindex)
    .map((i, n) => `${n + 1}.${i.name} [${describeFlags(i)}]\n`)
    .join("");
}
