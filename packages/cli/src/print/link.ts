// `ip -d link show` for pval links: the same lines as iproute2 in text, the
// same keys as `ip -d -j link show` in JSON, through one print path.
import type { Link, LinkStats, PvalLink } from "@pval/netlink";
import { PVAL_OPTIONS, PVAL_STATS_FIELDS } from "@pval/netlink";
import type { Printer } from "./printer.js";

// net_device_flags in the order iproute2 prints them (print_link_flags).
const FLAG_ORDER: readonly [number, string][] = [
  [0x8, "LOOPBACK"],
  [0x2, "BROADCAST"],
  [0x10, "POINTOPOINT"],
  [0x1000, "MULTICAST"],
  [0x80, "NOARP"],
  [0x200, "ALLMULTI"],
  [0x100, "PROMISC"],
  [0x400, "MASTER"],
  [0x800, "SLAVE"],
  [0x4, "DEBUG"],
  [0x8000, "DYNAMIC"],
  [0x4000, "AUTOMEDIA"],
  [0x2000, "PORTSEL"],
  [0x20, "NOTRAILERS"],
  [0x1, "UP"],
  [0x10000, "LOWER_UP"],
  [0x20000, "DORMANT"],
  [0x40000, "ECHO"],
];
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

/** Flag names as iproute2 prints them; `lowerDown` adds M-DOWN. */
export function flagNames(flags: number, lowerDown: boolean): string[] {
  const names: string[] = [];
  if (flags & IFF_UP && !(flags & IFF_RUNNING)) names.push("NO-CARRIER");
  for (const [bit, name] of FLAG_ORDER) if (flags & bit) names.push(name);
  if (lowerDown) names.push("M-DOWN");
  return names;
}

const LINK_TYPES: Record<number, string> = { 1: "ether", 772: "loopback", 65534: "none" };
const LINKMODES = ["DEFAULT", "DORMANT"];

function peerName(peer: { index: number; name?: string }, netnsid: number | undefined): string {
  return peer.name !== undefined && netnsid === undefined ? peer.name : `if${peer.index}`;
}

export interface PrintLinkOptions {
  /** -s: interface and pval counters. */
  stats: boolean;
}

/**
 * Print one link. `byIndex` resolves the flags of the link it is stacked on
 * (for M-DOWN), as iproute2 does.
 */
export function printLink(p: Printer, link: PvalLink, byIndex: Map<number, Link>, options: PrintLinkOptions): void {
  p.beginObject();
  const upper = link.link;
  const upperLink = upper === undefined ? undefined : byIndex.get(upper.index);
  p.any("ifindex", `${link.index}: `, link.index);
  if (upper !== undefined) {
    if (upper.name !== undefined && link.linkNetnsid === undefined) p.jsonOnly("link", upper.name);
    else p.jsonOnly("link_index", upper.index);
  }
  p.any("ifname", link.name, link.name);
  if (upper !== undefined) p.text(`@${peerName(upper, link.linkNetnsid)}`);
  const lowerDown = upperLink !== undefined && !(upperLink.flags & IFF_UP);
  const flags = flagNames(link.flags, lowerDown);
  p.any("flags", `: <${flags.join(",")}>`, flags);
  p.any("mtu", ` mtu ${link.mtu}`, link.mtu);
  p.any("qdisc", ` qdisc ${link.qdisc}`, link.qdisc);
  if (link.master !== undefined) p.any("master", ` master ${peerName(link.master, undefined)}`, link.master.name);
  p.any("operstate", ` state ${link.operstate}`, link.operstate);
  const mode = link.linkmode === undefined ? undefined : (LINKMODES[link.linkmode] ?? `mode${link.linkmode}`);
  p.any("linkmode", ` mode ${mode}`, mode);
  const group = link.group === undefined ? undefined : link.group === 0 ? "default" : String(link.group);
  p.any("group", ` group ${group}`, group);
  p.any("txqlen", ` qlen ${link.txqlen}`, link.txqlen);
  p.text("\n");

  const linkType = LINK_TYPES[link.type] ?? String(link.type);
  p.any("link_type", `    link/${linkType}`, linkType);
  p.any("address", ` ${link.address}`, link.address);
  p.any("broadcast", ` brd ${link.broadcast}`, link.broadcast);
  p.any("promiscuity", ` promiscuity ${link.promiscuity}`, link.promiscuity);
  p.any("min_mtu", ` minmtu ${link.minMtu}`, link.minMtu);
  p.any("max_mtu", ` maxmtu ${link.maxMtu}`, link.maxMtu);
  p.text("\n");

  // The detail line: kind, then IFLA_INFO_DATA in attribute order.
  p.open("linkinfo");
  p.any("info_kind", `    ${link.kind}`, link.kind);
  p.open("info_data");
  const lower = link.pval.link;
  if (lower.name !== undefined) p.any("link", ` link ${lower.name}`, lower.name);
  else p.any("link_index", ` link if${lower.index}`, lower.index);
  for (const opt of PVAL_OPTIONS) {
    const v = link.pval[opt.key];
    if (v === undefined) continue;
    if (typeof v === "boolean") p.any(opt.keyword, ` ${opt.keyword} ${v ? "on" : "off"}`, v);
    else p.any(opt.keyword, ` ${opt.keyword} ${v}`, v);
  }
  const pvalStats = link.pval.stats;
  if (pvalStats !== undefined) {
    p.open("stats");
    for (const f of PVAL_STATS_FIELDS) p.jsonOnly(f.name, pvalStats[f.key]);
    p.close();
  }
  p.close();
  p.close();
  p.any("num_tx_queues", ` numtxqueues ${link.numTxQueues}`, link.numTxQueues);
  p.any("num_rx_queues", ` numrxqueues ${link.numRxQueues}`, link.numRxQueues);
  p.any("gso_max_size", ` gso_max_size ${link.gsoMaxSize}`, link.gsoMaxSize);
  p.any("gso_max_segs", ` gso_max_segs ${link.gsoMaxSegs}`, link.gsoMaxSegs);
  p.text("\n");

  if (options.stats) {
    if (link.stats64 !== undefined) printStats64(p, link.stats64);
    if (pvalStats !== undefined) {
      p.text("    pval:");
      for (const f of PVAL_STATS_FIELDS) {
        const v = pvalStats[f.key];
        if (v !== undefined) p.text(` ${f.name} ${v}`);
      }
      p.text("\n");
    }
  }
}

const pad = (v: string | bigint, width: number): string => String(v).padStart(width);

/** The counters block of `ip -s link show`. */
function printStats64(p: Printer, s: LinkStats): void {
  p.open("stats64");
  p.open("rx");
  p.text("    RX:  bytes packets errors dropped  missed   mcast\n    ");
  p.any("bytes", pad(s.rxBytes, 10), s.rxBytes);
  p.any("packets", pad(s.rxPackets, 8), s.rxPackets);
  p.any("errors", pad(s.rxErrors, 7), s.rxErrors);
  p.any("dropped", pad(s.rxDropped, 8), s.rxDropped);
  p.jsonOnly("over_errors", s.rxOverErrors);
  p.text(pad(s.rxMissedErrors, 8));
  p.any("multicast", pad(s.multicast, 8), s.multicast);
  p.text("\n");
  p.close();
  p.open("tx");
  p.text("    TX:  bytes packets errors dropped carrier collsns\n    ");
  p.any("bytes", pad(s.txBytes, 10), s.txBytes);
  p.any("packets", pad(s.txPackets, 8), s.txPackets);
  p.any("errors", pad(s.txErrors, 7), s.txErrors);
  p.any("dropped", pad(s.txDropped, 8), s.txDropped);
  p.any("carrier_errors", pad(s.txCarrierErrors, 8), s.txCarrierErrors);
  p.any("collisions", pad(s.collisions, 8), s.collisions);
  p.text("\n");
  p.close();
  p.close();
}
