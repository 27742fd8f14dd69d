// The printer against tcpdump itself: every corpus frame, whole and cut at
// many snap lengths, printed with -n, -nv, -nvv, -nvvv, each with and without
// -e, must come out byte for byte as tcpdump prints it — except that where
// stock tcpdump prints an intact option 222 as `unknown 222`, the printer
// says `pval cpu N, seq M` (the values read by @pval/decode, not by the
// printer).

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pcapFileHeader, pcapRecord, readCaptureFile } from "@pval/decode";
import { PacketPrinter, type PrintOptions } from "@pval/tcpdump-printer";
import { afterAll, describe, expect, it } from "vitest";
import { corpus, SNAPLENS } from "./corpus.js";
import { expectedBlock, haveTcpdump, splitPackets, tcpdump } from "./tcpdump-oracle.js";

const dir = mkdtempSync(join(tmpdir(), "pval-oracle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE_SEC = 1700000000;

interface Case {
  frames: Uint8Array[];
  origlens: number[];
}

function buildCase(snap: number): Case {
  const frames = corpus.map((e) => (snap > 0 ? e.frame.subarray(0, snap) : e.frame));
  return { frames, origlens: corpus.map((e) => e.origlen ?? e.frame.length) };
}

function writePcap(name: string, c: Case): string {
  const parts = [pcapFileHeader()];
  c.frames.forEach((data, i) => {
    parts.push(pcapRecord({ tsSec: BASE_SEC + i, tsNsec: (i * 1000 + 7) * 1000, data, origlen: c.origlens[i] }));
  });
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

function ours(c: Case, options: PrintOptions): string[] {
  const printer = new PacketPrinter(options);
  return c.frames.map((data, i) =>
    printer.format({ tsSec: BASE_SEC + i, tsNsec: (i * 1000 + 7) * 1000, data, origlen: c.origlens[i] }),
  );
}

const VERBOSITY = [0, 1, 2, 3];

describe.runIf(haveTcpdump)("byte-identical to tcpdump", () => {
  for (const snap of [0, ...SNAPLENS]) {
    const c = buildCase(snap);
    const path = writePcap(`snap-${snap}.pcap`, c);
    for (const verbose of VERBOSITY) {
      for (const link of [false, true]) {
        const flags = [`-n${"v".repeat(verbose)}`, ...(link ? ["-e"] : [])];
        it(`${snap ? `snaplen ${snap}` : "whole frames"}, ${flags.join(" ")}`, () => {
          const theirs = splitPackets(tcpdump(path, flags));
          expect(theirs).toHaveLength(c.frames.length);
          const got = ours(c, { verbose, link });
          for (let i = 0; i < c.frames.length; i++) {
            const want = expectedBlock(theirs[i]!, c.frames[i]!);
            expect(got[i], `${corpus[i]!.name} (packet ${i + 1})`).toBe(want);
          }
        });
      }
    }
  }

  // Output options over the frames without option 222 (the substitution
  // above needs the per-packet split, which -t removes).
  const plain: Case = { frames: [], origlens: [] };
  corpus.forEach((e) => {
    if (e.name.includes("pval")) return;
    plain.frames.push(e.frame);
    plain.origlens.push(e.origlen ?? e.frame.length);
  });
  const plainPath = writePcap("plain.pcap", plain);
  it.each([
    [["-x"], { hex: "x" }],
    [["-xx"], { hex: "xx" }],
    [["-X"], { hex: "X" }],
    [["-XX"], { hex: "XX" }],
    [["-v", "-X"], { verbose: 1, hex: "X" }],
    [["-e", "-xx"], { link: true, hex: "xx" }],
    [["-t"], { timestamps: "none" }],
    [["-tt"], { timestamps: "epoch" }],
    [["-ttt"], { timestamps: "delta" }],
    [["-tttt"], { timestamps: "date" }],
    [["-ttttt"], { timestamps: "since-first" }],
    [["--nano"], { precision: "nano" }],
    [["-tt", "--nano"], { timestamps: "epoch", precision: "nano" }],
    [["-ttt", "--nano"], { timestamps: "delta", precision: "nano" }],
    [["-A"], { ascii: 1 }],
    [["-AA"], { ascii: 2 }],
    [["-A", "-x"], { ascii: 1, hex: "x" }],
    [["-e", "-A"], { link: true, ascii: 1 }],
    [["-q"], { quiet: true }],
    [["-q", "-e"], { quiet: true, link: true }],
    [["-qvv"], { quiet: true, verbose: 2 }],
    [["-qvv", "-e"], { quiet: true, verbose: 2, link: true }],
    [["-q", "-X"], { quiet: true, hex: "X" }],
    [["-S"], { absoluteSeq: true }],
    [["-Svv"], { absoluteSeq: true, verbose: 2 }],
  ] as [string[], PrintOptions][])("%j", (flags, options) => {
    expect(ours(plain, options).join("")).toBe(tcpdump(plainPath, ["-n", ...flags]));
  });
});

// Captures of real traffic through a pval0 link, recorded in the VM by
// test/fixtures/vm/record.sh: ARP, ping with option 222 both ways, TCP
// connections whose every segment from pval0 carries the option, IPv6
// neighbour discovery and ping -6.
const VM_DIR = fileURLToPath(new URL("./fixtures/vm/", import.meta.url));
const VM_CAPTURES = ["arp.pcap", "icmp.pcap", "ipv6.pcap", "tcp.pcap"];

describe.runIf(haveTcpdump)("byte-identical to tcpdump on the captures recorded in the VM", () => {
  it("has every capture", () => {
    expect(
      readdirSync(VM_DIR)
        .filter((f) => f.endsWith(".pcap"))
        .sort(),
    ).toEqual(VM_CAPTURES);
  });

  for (const name of VM_CAPTURES) {
    const path = join(VM_DIR, name);
    const packets: { tsSec: number; tsNsec: number; data: Uint8Array; origlen: number }[] = [];
    readCaptureFile(path, (r) => {
      packets.push({ tsSec: r.tsSec, tsNsec: r.tsNsec, data: r.data.slice(), origlen: r.origlen });
      return true;
    });
    for (const [flags, options] of [
      [["-n"], { verbose: 0 }],
      [["-nv"], { verbose: 1 }],
      [["-nvv"], { verbose: 2 }],
      [["-nvvv"], { verbose: 3 }],
      [["-n", "-e"], { link: true }],
      [["-nvvv", "-e"], { verbose: 3, link: true }],
      [["-nq"], { quiet: true }],
      [["-nqvvv", "-e"], { quiet: true, verbose: 3, link: true }],
      [["-nS"], { absoluteSeq: true }],
      [["-nSv"], { absoluteSeq: true, verbose: 1 }],
      [["-nA"], { ascii: 1 }],
      [["-nAA"], { ascii: 2 }],
    ] as [string[], PrintOptions][]) {
      it(`${name}, ${flags.join(" ")}`, () => {
        expect(packets.length).toBeGreaterThan(0);
        const theirs = splitPackets(tcpdump(path, flags));
        expect(theirs).toHaveLength(packets.length);
        const printer = new PacketPrinter(options);
        packets.forEach((packet, i) => {
          expect(printer.format(packet), `${name} packet ${i + 1}`).toBe(expectedBlock(theirs[i]!, packet.data));
        });
      });
    }
  }
});

describe("the walkthrough's reply line", () => {
  it("reads `length 96, options (pval cpu 0, seq 46)` at -vvv", () => {
    const reply = corpus.find((e) => e.name === "icmp echo reply with pval option")!;
    const text = new PacketPrinter({ verbose: 3 }).format({ tsSec: 0, tsNsec: 596071000, data: reply.frame });
    expect(text.split("\n")[0]).toMatch(
      /^\d\d:\d\d:\d\d\.596071 IP \(tos 0x0, ttl 64, id 2758, offset 0, flags \[none\], proto ICMP \(1\), length 96, options \(pval cpu 0, seq 46\)\)$/,
    );
    expect(text.split("\n")[1]).toBe("    10.0.0.3 > 10.0.0.2: ICMP echo reply, id 21554, seq 1636, length 64");
  });
});
