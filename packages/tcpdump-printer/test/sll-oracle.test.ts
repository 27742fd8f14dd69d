// Linux cooked captures (DLT_LINUX_SLL 113, DLT_LINUX_SLL2 276) against
// tcpdump: the printer's text must equal tcpdump's byte for byte with -n,
// -nv, -nvv, -nvvv, with and without -e, and with the hex dumps.
//
// Three sources: every frame of the oracle corpus moved behind cooked
// headers of every packet type, address length and interface index, some
// with 802.1Q tags, whole and cut at many snap lengths; the captures that
// test/fixtures/sll/record.sh made with `tcpdump -i any`; and, when
// TCPDUMP_TESTS names a directory of tcpdump's own test captures, those of
// them that are cooked. In the captures, a packet whose payload the printer
// does not print as tcpdump does even behind an Ethernet header is left out
// (the comparison is of the link layer) and counted.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pcapFileHeader, pcapRecord, readCaptureFile } from "@pval/decode";
import {
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  PacketPrinter,
  type PrintOptions,
  sysfsInterfaceNames,
} from "@pval/tcpdump-printer";
import { afterAll, describe, expect, it } from "vitest";
import { corpus, SNAPLENS } from "./corpus.js";
import { expectedBlock, haveTcpdump, splitPackets, tcpdump } from "./tcpdump-oracle.js";

const dir = mkdtempSync(join(tmpdir(), "pval-sll-oracle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE_SEC = 1700000000;

interface Packet {
  data: Uint8Array;
  origlen: number;
  /** The same packet behind an Ethernet header (for option 222 and the payload check). */
  ether: Uint8Array;
  etherOriglen: number;
}

/** A v1 cooked header: packet type, ARPHRD type, address (length `halen`, padded to 8), protocol. */
function sllHeader(pkttype: number, hatype: number, addr: number[], protocol: number): number[] {
  const a = [...addr, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8);
  return [
    pkttype >> 8,
    pkttype & 0xff,
    hatype >> 8,
    hatype & 0xff,
    0,
    addr.length,
    ...a,
    protocol >> 8,
    protocol & 0xff,
  ];
}

/** A v2 cooked header: protocol, reserved, interface index, ARPHRD type, packet type, address. */
function sll2Header(pkttype: number, hatype: number, addr: number[], protocol: number, ifindex: number): number[] {
  const a = [...addr, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8);
  return [
    protocol >> 8,
    protocol & 0xff,
    0,
    0,
    (ifindex >>> 24) & 0xff,
    (ifindex >> 16) & 0xff,
    (ifindex >> 8) & 0xff,
    ifindex & 0xff,
    hatype >> 8,
    hatype & 0xff,
    pkttype,
    addr.length,
    ...a,
  ];
}

const MAC = [0x08, 0x00, 0x27, 0x19, 0x12, 0xa4];
const ADDRS = [MAC, [], [0xc0, 0xa8, 0, 1]];
/** 1 is lo on every Linux host; 999999 names no interface (`?`). */
const IFINDEXES = [1, 999999];

/**
 * The corpus behind cooked headers: packet i gets packet type i mod 6 (5 is
 * not a type: `?`), the i-th address length of 6, 0 and 4, and every third
 * packet an 802.1Q tag; plus frames of a protocol without a printer.
 */
function cookedCorpus(v2: boolean): Packet[] {
  const out: Packet[] = [];
  const add = (i: number, protocol: number, payload: Uint8Array, etherFrame: Uint8Array, origExtra: number) => {
    const pkttype = i % 6 === 5 ? 7 : i % 6;
    const addr = ADDRS[i % 3]!;
    const hatype = i % 2 ? 772 : 1;
    let type = protocol;
    let body = payload;
    if (i % 3 === 2) {
      const tci = ((i % 8) << 13) | (i % 4 === 0 ? 0x1000 : 0) | (100 + i);
      body = Uint8Array.from([tci >> 8, tci & 0xff, protocol >> 8, protocol & 0xff, ...payload]);
      type = 0x8100;
    }
    const header = v2
      ? sll2Header(pkttype, hatype, addr, type, IFINDEXES[i % 2]!)
      : sllHeader(pkttype, hatype, addr, type);
    const data = Uint8Array.from([...header, ...body]);
    out.push({
      data,
      origlen: data.length + origExtra,
      ether: etherFrame,
      etherOriglen: etherFrame.length + origExtra,
    });
  };
  corpus.forEach((e, i) => {
    const f = e.frame;
    const protocol = (f[12]! << 8) | f[13]!;
    // Frames tagged or with an 802.3 length are Ethernet's own cases.
    if (protocol <= 1500 || protocol === 0x8100 || protocol === 0x88a8) return;
    add(i, protocol, f.subarray(14), f, (e.origlen ?? f.length) - f.length);
  });
  const unknown = Uint8Array.from({ length: 40 }, (_, k) => (k * 7 + 3) & 0xff);
  for (const [k, protocol] of [0x1234, 0x88b5, 0x9999].entries()) {
    const ether = Uint8Array.from([...MAC, ...MAC, protocol >> 8, protocol & 0xff, ...unknown]);
    add(k, protocol, unknown, ether, 0);
  }
  return out;
}

/**
 * The cooked packet's payload behind an Ethernet header with its protocol
 * (after one 802.1Q tag), to find option 222 in it; empty when the cooked
 * header itself was cut.
 */
function asEther(linktype: number, d: Uint8Array): Uint8Array {
  let at = linktype === LINKTYPE_LINUX_SLL2 ? 20 : 16;
  if (d.length < at) return new Uint8Array(0);
  let protocol = linktype === LINKTYPE_LINUX_SLL2 ? (d[0]! << 8) | d[1]! : (d[14]! << 8) | d[15]!;
  if (protocol === 0x8100) {
    if (d.length < at + 4) return new Uint8Array(0);
    protocol = (d[at + 2]! << 8) | d[at + 3]!;
    at += 4;
  }
  return Uint8Array.from([...MAC, ...MAC, protocol >> 8, protocol & 0xff, ...d.subarray(at)]);
}

function writePcap(name: string, linktype: number, packets: Packet[], snap: number): string {
  const parts = [pcapFileHeader({ linktype })];
  packets.forEach((p, i) => {
    const data = snap > 0 ? p.data.subarray(0, snap) : p.data;
    parts.push(pcapRecord({ tsSec: BASE_SEC + i, tsNsec: (i * 1000 + 7) * 1000, data, origlen: p.origlen }));
  });
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

function ours(linktype: number, packets: Packet[], snap: number, options: PrintOptions): string[] {
  const printer = new PacketPrinter({ interfaceName: sysfsInterfaceNames(), ...options });
  return packets.map((p, i) =>
    printer.format({
      linktype,
      tsSec: BASE_SEC + i,
      tsNsec: (i * 1000 + 7) * 1000,
      data: snap > 0 ? p.data.subarray(0, snap) : p.data,
      origlen: p.origlen,
    }),
  );
}

const FLAGS: [string[], PrintOptions][] = [
  [["-n"], {}],
  [["-nv"], { verbose: 1 }],
  [["-nvv"], { verbose: 2 }],
  [["-nvvv"], { verbose: 3 }],
  [["-n", "-e"], { link: true }],
  [["-nv", "-e"], { verbose: 1, link: true }],
  [["-nvvv", "-e"], { verbose: 3, link: true }],
];

const KINDS = [
  ["SLL", LINKTYPE_LINUX_SLL],
  ["SLL2", LINKTYPE_LINUX_SLL2],
] as const;

describe.runIf(haveTcpdump)("cooked corpus byte-identical to tcpdump", () => {
  for (const [kind, linktype] of KINDS) {
    const packets = cookedCorpus(linktype === LINKTYPE_LINUX_SLL2);
    // Cut inside the cooked header too (6, 13, 15).
    for (const snap of [0, ...SNAPLENS.map((s) => s + (linktype === LINKTYPE_LINUX_SLL2 ? 6 : 2))]) {
      const path = writePcap(`${kind}-${snap}.pcap`, linktype, packets, snap);
      for (const [flags, options] of FLAGS) {
        it(`${kind}, ${snap ? `snaplen ${snap}` : "whole"}, ${flags.join(" ")}`, () => {
          const theirs = splitPackets(tcpdump(path, flags));
          expect(theirs).toHaveLength(packets.length);
          const got = ours(linktype, packets, snap, options);
          packets.forEach((p, i) => {
            const cut = asEther(linktype, snap > 0 ? p.data.subarray(0, snap) : p.data);
            expect(got[i], `packet ${i + 1}`).toBe(expectedBlock(theirs[i]!, cut));
          });
        });
      }
    }
    // Hex dumps start after the link header; cut inside the cooked header, the whole frame is dumped.
    // (Cut inside the IP header, whether tcpdump dumps after the link header or all of it depends
    // on the IP printers, which the Ethernet oracle covers.)
    const hexFiles = [0, 10].map(
      (snap) => [writePcap(`${kind}-hex-${snap}.pcap`, linktype, packets, snap), snap] as const,
    );
    it.each([
      [["-x"], { hex: "x" }],
      [["-xx"], { hex: "xx" }],
      [["-X"], { hex: "X" }],
      [["-XX"], { hex: "XX" }],
      [["-e", "-x"], { link: true, hex: "x" }],
    ] as [string[], PrintOptions][])(`${kind} %j`, (flags, options) => {
      for (const [path, snap] of hexFiles) {
        const theirs = splitPackets(tcpdump(path, ["-n", ...flags]));
        const got = ours(linktype, packets, snap, options);
        packets.forEach((p, i) => {
          const cut = asEther(linktype, snap > 0 ? p.data.subarray(0, snap) : p.data);
          expect(got[i], `snaplen ${snap} packet ${i + 1}`).toBe(expectedBlock(theirs[i]!, cut));
        });
      }
    });
  }
});

/** Records of a capture file, each also behind an Ethernet header (see asEther). */
function readCooked(path: string): { linktype: number; packets: Packet[] } {
  const packets: Packet[] = [];
  let linktype = 0;
  readCaptureFile(path, (r) => {
    linktype = r.linktype;
    const d = r.data.slice();
    const ether = asEther(r.linktype, d);
    packets.push({ data: d, origlen: r.origlen, ether, etherOriglen: r.origlen - (d.length - ether.length) });
    return true;
  });
  return { linktype, packets };
}

/**
 * Compares a cooked capture with tcpdump under each flag set; returns how
 * many packets were compared and how many were left out because their
 * payload differs behind Ethernet as well.
 */
function compareCapture(path: string, name: string): { compared: number; left: number } {
  const { linktype, packets } = readCooked(path);
  const etherPath = join(dir, `${name}.ether.pcap`);
  writeFileSync(
    etherPath,
    Buffer.concat([
      pcapFileHeader(),
      ...packets.map((p, i) => pcapRecord({ tsSec: BASE_SEC + i, tsNsec: 0, data: p.ether, origlen: p.etherOriglen })),
    ]),
  );
  const readTimes: { tsSec: number; tsNsec: number }[] = [];
  readCaptureFile(path, (r) => {
    readTimes.push({ tsSec: r.tsSec, tsNsec: r.tsNsec });
    return true;
  });
  let compared = 0;
  let left = 0;
  for (const [flags, options] of FLAGS) {
    const theirs = splitPackets(tcpdump(path, flags));
    const theirsEther = splitPackets(tcpdump(etherPath, flags));
    expect(theirs, `${name} ${flags.join(" ")}`).toHaveLength(packets.length);
    const printer = new PacketPrinter({ interfaceName: sysfsInterfaceNames(), ...options });
    const etherPrinter = new PacketPrinter(options);
    packets.forEach((p, i) => {
      const etherOurs = etherPrinter.format({ tsSec: BASE_SEC + i, tsNsec: 0, data: p.ether, origlen: p.etherOriglen });
      const got = printer.format({ linktype, ...readTimes[i]!, data: p.data, origlen: p.origlen });
      if (etherOurs !== expectedBlock(theirsEther[i]!, p.ether)) {
        left++;
        return;
      }
      compared++;
      expect(got, `${name} ${flags.join(" ")} packet ${i + 1}`).toBe(expectedBlock(theirs[i]!, p.ether));
    });
  }
  return { compared, left };
}

const FIXTURES = fileURLToPath(new URL("./fixtures/sll/", import.meta.url));

describe.runIf(haveTcpdump)("captures of `tcpdump -i any` byte-identical to tcpdump", () => {
  it.each(["sll.pcap", "sll2.pcap"])("%s", (name) => {
    const { compared, left } = compareCapture(join(FIXTURES, name), name);
    console.log(`${name}: ${compared} packet prints compared, ${left} left out (payload printer)`);
    expect(compared).toBeGreaterThan(200);
  });
});

const TESTS_DIR = process.env.TCPDUMP_TESTS;

describe.runIf(haveTcpdump && TESTS_DIR !== undefined)("tcpdump's own cooked test captures (TCPDUMP_TESTS)", () => {
  it("prints every cooked capture's link layer as tcpdump", () => {
    let compared = 0;
    let left = 0;
    let files = 0;
    for (const name of readdirSync(TESTS_DIR!).sort()) {
      if (!/\.(pcap|pcapng)$/.test(name)) continue;
      const path = join(TESTS_DIR!, name);
      let linktype = -1;
      try {
        readCaptureFile(path, (r) => {
          linktype = r.linktype;
          return false;
        });
      } catch {
        continue;
      }
      if (linktype !== LINKTYPE_LINUX_SLL && linktype !== LINKTYPE_LINUX_SLL2) continue;
      files++;
      const r = compareCapture(path, name);
      compared += r.compared;
      left += r.left;
    }
    console.log(`tcpdump's tests: ${files} cooked captures, ${compared} packet prints compared, ${left} left out`);
    expect(files).toBeGreaterThan(0);
  });
});
