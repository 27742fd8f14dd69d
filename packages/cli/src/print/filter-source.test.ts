// `pval print` with filter expressions on files (pcap and pcapng, Ethernet
// and Linux cooked), Linux cooked captures, and live capture on `any`:
// against tcpdump where it is installed.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  encodeFrame,
  type FrameSpec,
  ipv4FromString,
  pcapFileHeader,
  pcapngFileHeader,
  pcapngRecord,
  pcapRecord,
} from "@pval/decode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCaptured } from "../../test/run-captured.js";
import { runListening, startTcpdump, TCPDUMP } from "../../test/tcpdump-live.js";
import { EXIT_FAILURE, EXIT_OK } from "../command.js";
import { main } from "../commands/print.js";
import { captureStatsText } from "./filter-source.js";

const haveTcpdump = spawnSync(TCPDUMP, ["--version"]).status === 0;
const run = (args: string[]) => runCaptured(main, args);

const SLL_FIXTURES = fileURLToPath(new URL("../../../tcpdump-printer/test/fixtures/sll/", import.meta.url));

const A = ipv4FromString("10.0.0.2");
const B = ipv4FromString("10.0.0.3");
const ether = {
  src: Uint8Array.of(8, 0, 0x27, 0x19, 0x12, 0xa4),
  dst: Uint8Array.of(0xea, 0x51, 0xd7, 0x0c, 0x95, 0x1a),
};
const ping: FrameSpec = {
  ethernet: ether,
  ipv4: { src: A, dst: B, id: 1 },
  icmp: { type: 8, id: 7, sequence: 1 },
  payload: new Uint8Array(16),
};
const udp: FrameSpec = {
  ethernet: ether,
  ipv4: { src: A, dst: B, id: 2 },
  udp: { srcPort: 4000, dstPort: 53 },
  payload: new Uint8Array(8),
};
const frames = [ping, udp, { ...ping, ipv4: { src: B, dst: A, id: 3 } }, udp].map((f) => encodeFrame(f));
const packets = frames.map((data, i) => ({ tsSec: 1700000000 + i, tsNsec: 1000 * i, data }));

/** Behind a Linux cooked v1 header: outgoing, Ethernet address, the frame's ethertype. */
const sll = (f: Uint8Array) =>
  Uint8Array.from([0, 4, 0, 1, 0, 6, ...f.subarray(6, 12), 0, 0, f[12]!, f[13]!, ...f.subarray(14)]);

/** The interface description block of a pcapng header (after the section header). */
function idb(linktype: number): Uint8Array {
  const h = pcapngFileHeader({ linktype });
  return h.subarray(new DataView(h.buffer, h.byteOffset).getUint32(4, true));
}

/** An enhanced packet block for interface `id`. */
function epb(packet: { tsSec: number; tsNsec: number; data: Uint8Array }, id: number): Uint8Array {
  const b = pcapngRecord(packet);
  new DataView(b.buffer, b.byteOffset).setUint32(8, id, true);
  return b;
}

let dir: string;
let pcap: string;
let ng: string;
let mixed: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pval-print-filter-"));
  pcap = join(dir, "e.pcap");
  ng = join(dir, "e.pcapng");
  mixed = join(dir, "mixed.pcapng");
  writeFileSync(pcap, Buffer.concat([pcapFileHeader(), ...packets.map((p) => pcapRecord(p, "micro"))]));
  writeFileSync(ng, Buffer.concat([pcapngFileHeader(), ...packets.map((p) => pcapngRecord(p))]));
  // Interface 0 Ethernet, interface 1 Linux cooked: the same packets on both.
  writeFileSync(
    mixed,
    Buffer.concat([
      pcapngFileHeader(),
      idb(113),
      ...packets.flatMap((p) => [epb(p, 0), epb({ ...p, data: sll(p.data) }, 1)]),
    ]),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pval print -r FILE EXPRESSION", () => {
  it.each(["pcap", "pcapng"])("keeps the packets the filter passes (%s)", async (kind) => {
    const r = await run(["-n", "-r", kind === "pcap" ? pcap : ng, "icmp"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT_OK);
    const lines = r.out.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ IP 10\.0\.0\.2 > 10\.0\.0\.3: ICMP echo request, id 7, seq 1, length 24$/);
    expect(lines[1]).toMatch(/ IP 10\.0\.0\.3 > 10\.0\.0\.2: ICMP echo request/);
    const udpOnly = await run(["-n", "-r", pcap, "udp", "dst", "port", "53"]);
    expect(udpOnly.out.trimEnd().split("\n")).toHaveLength(2);
  });

  it("-c counts the packets that pass the filter", async () => {
    const r = await run(["-n", "-c", "1", "-r", pcap, "udp"]);
    expect(r.out.trimEnd().split("\n")).toHaveLength(1);
    expect(r.out).toMatch(/UDP|domain/);
  });

  it("compiles the filter for each interface's link type in a pcapng file", async () => {
    const all = await run(["-n", "-r", mixed]);
    expect(all.out.trimEnd().split("\n")).toHaveLength(8);
    const r = await run(["-n", "-r", mixed, "icmp", "and", "src", "10.0.0.3"]);
    expect(r.code).toBe(EXIT_OK);
    const lines = r.out.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    // The same packet from the Ethernet interface and from the cooked one.
    expect(lines[0]!.slice(16)).toBe(lines[1]!.slice(16));
    expect(lines[0]).toMatch(/IP 10\.0\.0\.3 > 10\.0\.0\.2: ICMP echo request/);
    // Ethernet addresses compile for interface 0, not for the cooked interface 1: the
    // first packet is printed, then libpcap's message ends the run.
    const ethOnly = await run(["-n", "-r", mixed, "ether", "src", "8:0:27:19:12:a4"]);
    expect(ethOnly.code).toBe(EXIT_FAILURE);
    expect(ethOnly.out.trimEnd().split("\n")).toHaveLength(1);
    expect(ethOnly.err).toMatch(/^print: filter "ether src 8:0:27:19:12:a4": ethernet addresses supported only on /);
  });

  it("names a bad expression with libpcap's message and prints nothing", async () => {
    const r = await run(["-r", pcap, "icmp", "and", "and"]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.out).toBe("");
    expect(r.err).toBe(`print: filter "icmp and and": can't parse filter expression: syntax error\n`);
  });

  it("refuses a link type it cannot print, naming it", async () => {
    const path = join(dir, "wifi.pcap");
    writeFileSync(path, Buffer.concat([pcapFileHeader({ linktype: 105 }), pcapRecord(packets[0]!)]));
    const r = await run(["-r", path]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.err).toBe(
      `print: ${path}: link type 105 cannot be printed: Ethernet (1) and Linux cooked (113, 276) can\n`,
    );
  });

  it("does not write Linux cooked packets as Ethernet", async () => {
    const r = await run(["-r", mixed, "-w", join(dir, "out.pcapng")]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.err).toMatch(/link type 113 cannot be written: only Ethernet \(1\) can/);
  });
});

const TCPDUMP_CASES: [string, string[]][] = [
  ["sll.pcap", ["icmp"]],
  ["sll.pcap", ["-e", "arp", "or", "ip6"]],
  ["sll.pcap", ["-v", "tcp", "and", "inbound"]],
  ["sll2.pcap", ["icmp", "or", "udp"]],
  ["sll2.pcap", ["-e", "outbound"]],
  ["sll2.pcap", ["-v", "-e", "tcp[tcpflags]", "&", "tcp-syn", "!=", "0"]],
];

describe.runIf(haveTcpdump)("pval print -r on Linux cooked captures, as tcpdump", () => {
  it.each(TCPDUMP_CASES)("%s %j", async (file, words) => {
    const path = join(SLL_FIXTURES, file);
    const flags = words.filter((w) => w.startsWith("-"));
    const expr = words.filter((w) => !w.startsWith("-"));
    const theirs = execFileSync(TCPDUMP, ["-n", ...flags, "-r", path, ...expr], {
      encoding: "latin1",
      env: { ...process.env, TZ: "UTC" },
      stdio: ["ignore", "pipe", "ignore"],
    });
    const prevTz = process.env.TZ;
    process.env.TZ = "UTC";
    try {
      const r = await run(["-n", ...flags, "-r", path, ...expr]);
      expect(r.err).toBe("");
      expect(r.code).toBe(EXIT_OK);
      expect(theirs.length).toBeGreaterThan(0);
      expect(r.out).toBe(theirs);
    } finally {
      process.env.TZ = prevTz;
    }
  });

  it("a filter that fits no packet prints nothing", async () => {
    const r = await run(["-r", join(SLL_FIXTURES, "sll.pcap"), "udp", "port", "1"]);
    expect(r).toEqual({ code: EXIT_OK, out: "", err: "" });
  });
});

describe("captureStatsText", () => {
  it("is tcpdump's closing figures, drops of the interface and the queue only when there are any", () => {
    expect(captureStatsText(1, { received: 2, dropped: 0, ifDropped: 0, queueDropped: 0 })).toBe(
      "1 packet captured\n2 packets received by filter\n0 packets dropped by kernel\n",
    );
    expect(captureStatsText(5, { received: 9, dropped: 1, ifDropped: 3, queueDropped: 4 })).toBe(
      "5 packets captured\n9 packets received by filter\n1 packet dropped by kernel\n3 packets dropped by interface\n" +
        "4 packets dropped by pval print (its queue was full)\n",
    );
  });
});

// Live capture on `any` needs root, like tcpdump itself; the pings go to an
// address of lo that nothing else uses.
const isRoot = process.getuid?.() === 0 && haveTcpdump;

describe.runIf(isRoot)("pval print -i any", () => {
  it("prints Linux cooked v2 lines equal to tcpdump's, and its figures", async () => {
    const filter = ["icmp", "and", "host", "127.0.0.95"];
    const tcpdump = await startTcpdump(["-n", "-e", "-tt", "-v", "-c", "4", "-i", "any", ...filter]);
    // The pings start once both listen.
    const ours = runListening(main, ["-nevtt", "-c", "4", "-i", "any", ...filter]);
    await ours.listens;
    const ping = spawn("ping", ["-c", "20", "-i", "0.2", "-W", "1", "127.0.0.95"], { stdio: "ignore" });
    const r = await ours.done;
    await tcpdump.exited;
    ping.kill();
    expect(r.code).toBe(EXIT_OK);
    expect(r.err).toMatch(
      /^print: listening on any, link-type LINUX_SLL2 \(Linux cooked v2\), snapshot length 262144 bytes\n4 packets captured\n\d+ packets received by filter\n0 packets dropped by kernel\n$/,
    );
    expect(r.out).toMatch(
      /^\d+\.\d{6} lo {4}In {2}ifindex 1 00:00:00:00:00:00 ethertype IPv4 \(0x0800\), length 104: /,
    );
    expect(r.out).toMatch(/127\.0\.0\.1 > 127\.0\.0\.95: ICMP echo request/);
    expect(r.out).toBe(tcpdump.output());
  }, 60_000);
});
