import type { Link, LinkStats, PvalLink } from "@pval/netlink";
import { describe, expect, it } from "vitest";
import { flagNames, printLink } from "./link.js";
import { Printer } from "./printer.js";

const zeroStats = (): LinkStats =>
  new Proxy({} as LinkStats, { get: (_t, key) => (key === "rxBytes" ? 2n ** 60n + 1n : 0n) });

function pvalLink(overrides: Partial<PvalLink> = {}): PvalLink {
  return {
    index: 25,
    name: "pval0",
    kind: "pval",
    flags: 0x1002 | 0x1 | 0x40 | 0x10000,
    type: 1,
    mtu: 1488,
    minMtu: 68,
    maxMtu: 65535,
    operstate: "UNKNOWN",
    linkmode: 0,
    qdisc: "noqueue",
    group: 0,
    txqlen: 1000,
    address: "92:b7:3a:2d:ff:e1",
    broadcast: "ff:ff:ff:ff:ff:ff",
    promiscuity: 0,
    numTxQueues: 1,
    numRxQueues: 1,
    gsoMaxSize: 65536,
    gsoMaxSegs: 65535,
    link: { index: 3, name: "veth0" },
    stats64: zeroStats(),
    pval: {
      link: { index: 3, name: "veth0" },
      ipopt: true,
      txtstamp: false,
      rxtstamp: false,
      txcopy: false,
      rxcopy: false,
      txbusydrop: true,
      swtstamp: false,
      ringSlots: 1024,
      stats: {
        ipoptInserted: 46n,
        ipoptSkipped: 0n,
        txCopyDrops: 0n,
        rxCopyDrops: 1n,
        txtstampBusy: 0n,
        ipoptSkippedCpu: 0n,
        ipoptSkippedBad: 2n,
        rxTstampFallback: 2n,
      },
    },
    ...overrides,
  };
}

const veth0: Link = { index: 3, name: "veth0", kind: "veth", flags: 0x1003, type: 1, operstate: "UP" };

function render(link: PvalLink, json: boolean, stats = false, lower = veth0): string {
  const p = new Printer({ json, pretty: false });
  printLink(p, link, new Map([[lower.index, lower]]), { stats });
  return p.toString();
}

describe("printLink text", () => {
  it("prints the three lines of ip -d link show with the pval detail line", () => {
    expect(render(pvalLink(), false).split("\n")).toEqual([
      "25: pval0@veth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1488 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000",
      "    link/ether 92:b7:3a:2d:ff:e1 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535",
      "    pval link veth0 ipopt on txtstamp off rxtstamp off txcopy off rxcopy off txbusydrop on swtstamp off ring_slots 1024 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535",
      "",
    ]);
  });
  it("leaves out what the module does not report", () => {
    const link = pvalLink();
    link.pval = { link: { index: 3, name: "veth0" }, ipopt: false, txbusydrop: true };
    expect(render(link, false).split("\n")[2]).toBe(
      "    pval link veth0 ipopt off txbusydrop on numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535",
    );
  });
  it("adds the counters with -s, u64 values exact", () => {
    const lines = render(pvalLink(), false, true).split("\n");
    expect(lines[3]).toBe("    RX:  bytes packets errors dropped  missed   mcast");
    expect(lines[4]?.trim().split(/\s+/)).toEqual(["1152921504606846977", "0", "0", "0", "0", "0"]);
    expect(lines[5]).toBe("    TX:  bytes packets errors dropped carrier collsns");
    expect(lines[7]).toBe(
      "    pval: ipopt_inserted 46 ipopt_skipped 0 tx_copy_drops 0 rx_copy_drops 1 txtstamp_busy 0 ipopt_skipped_cpu 0 ipopt_skipped_bad 2 rx_tstamp_fallback 2",
    );
  });
  it("marks a lower device that is down with M-DOWN", () => {
    expect(render(pvalLink(), false, false, { ...veth0, flags: 0x1002 })).toContain("LOWER_UP,M-DOWN>");
  });
});

describe("printLink JSON", () => {
  it("uses iproute2's keys and raw values", () => {
    const [obj] = JSON.parse(render(pvalLink(), true)) as Record<string, unknown>[];
    expect(obj).toMatchObject({
      ifindex: 25,
      link: "veth0",
      ifname: "pval0",
      flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      mtu: 1488,
      qdisc: "noqueue",
      operstate: "UNKNOWN",
      linkmode: "DEFAULT",
      group: "default",
      txqlen: 1000,
      link_type: "ether",
      address: "92:b7:3a:2d:ff:e1",
      broadcast: "ff:ff:ff:ff:ff:ff",
      min_mtu: 68,
      max_mtu: 65535,
      linkinfo: {
        info_kind: "pval",
        info_data: {
          link: "veth0",
          ipopt: true,
          txtstamp: false,
          rxtstamp: false,
          txcopy: false,
          rxcopy: false,
          txbusydrop: true,
          swtstamp: false,
          ring_slots: 1024,
          stats: { ipopt_inserted: 46, rx_copy_drops: 1 },
        },
      },
      num_tx_queues: 1,
      gso_max_segs: 65535,
    });
    expect(obj).not.toHaveProperty("stats64");
  });
  it("adds stats64 with -s and keeps u64 digits exact", () => {
    const out = render(pvalLink(), true, true);
    expect(out).toContain('"rx":{"bytes":1152921504606846977,');
    const [obj] = JSON.parse(out) as { stats64: { tx: Record<string, number> } }[];
    expect(Object.keys(obj!.stats64.tx)).toEqual([
      "bytes",
      "packets",
      "errors",
      "dropped",
      "carrier_errors",
      "collisions",
    ]);
  });
  it("prints an empty list when there is no link", () => {
    expect(new Printer({ json: true, pretty: false }).toString()).toBe("[]\n");
  });
});

describe("flagNames", () => {
  it("follows iproute2: NO-CARRIER for up without RUNNING, RUNNING never shown", () => {
    expect(flagNames(0x1 | 0x1002, false)).toEqual(["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"]);
    expect(flagNames(0x8 | 0x1 | 0x40 | 0x10000, false)).toEqual(["LOOPBACK", "UP", "LOWER_UP"]);
  });
});
