import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  encodeFrame,
  type FrameSpec,
  ipv4FromString,
  pcapFileHeader,
  pcapngFileHeader,
  pcapngRecord,
  pcapRecord,
} from "@pval/decode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CapturedRun, runCaptured } from "../../test/run-captured.js";
import { runListening, startTcpdump } from "../../test/tcpdump-live.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../command.js";
import { main, parseArgs } from "./print.js";

const mac = (s: string): Uint8Array => Uint8Array.from(s.split(":").map((h) => Number.parseInt(h, 16)));
const PEER = mac("08:00:27:19:12:a4");
const PVAL0 = mac("ea:51:d7:0c:95:1a");
const echoData = Uint8Array.from({ length: 56 }, (_, i) => i + 0x10);
const request: FrameSpec = {
  ethernet: { src: PEER, dst: PVAL0 },
  ipv4: { src: ipv4FromString("10.0.0.2"), dst: ipv4FromString("10.0.0.3"), id: 48565, df: true },
  icmp: { type: 8, id: 21554, sequence: 1636 },
  payload: echoData,
};
const reply: FrameSpec = {
  ethernet: { src: PVAL0, dst: PEER },
  ipv4: {
    src: ipv4FromString("10.0.0.3"),
    dst: ipv4FromString("10.0.0.2"),
    id: 2758,
    options: [{ kind: "pval", cpu: 0, seq: 46n }],
  },
  icmp: { type: 0, id: 21554, sequence: 1636 },
  payload: echoData,
};
const frames = [request, reply, request, reply].map((f) => encodeFrame(f));
const times = [
  [1700000000, 596047123],
  [1700000000, 596071456],
  [1700000001, 621014789],
  [1700000001, 621036012],
];

const TCPDUMP = "/usr/bin/tcpdump";
const haveTcpdump = spawnSync(TCPDUMP, ["--version"]).status === 0;

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

const run = (args: string[]): Promise<CapturedRun> => runCaptured(main, args);

let dir: string;
let micro: string;
let nano: string;
let ng: string;
const prevTz = process.env.TZ;

beforeEach(() => {
  process.env.TZ = "UTC";
  dir = mkdtempSync(join(tmpdir(), "pval-print-"));
  const packets = frames.map((data, i) => ({ tsSec: times[i]![0]!, tsNsec: times[i]![1]!, data }));
  micro = join(dir, "micro.pcap");
  nano = join(dir, "nano.pcap");
  ng = join(dir, "walk.pcapng");
  writeFileSync(micro, concat([pcapFileHeader(), ...packets.map((p) => pcapRecord(p, "micro"))]));
  writeFileSync(nano, concat([pcapFileHeader({ precision: "nano" }), ...packets.map((p) => pcapRecord(p, "nano"))]));
  writeFileSync(ng, concat([pcapngFileHeader(), ...packets.map((p) => pcapngRecord(p))]));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.env.TZ = prevTz;
});

const WALKTHROUGH = [
  "22:13:20.596047 IP (tos 0x0, ttl 64, id 48565, offset 0, flags [DF], proto ICMP (1), length 84)",
  "    10.0.0.2 > 10.0.0.3: ICMP echo request, id 21554, seq 1636, length 64",
  "22:13:20.596071 IP (tos 0x0, ttl 64, id 2758, offset 0, flags [none], proto ICMP (1), length 96, options (pval cpu 0, seq 46))",
  "    10.0.0.3 > 10.0.0.2: ICMP echo reply, id 21554, seq 1636, length 64",
];

describe("pval print -r", () => {
  it.each([
    ["µs pcap", () => micro],
    ["ns pcap", () => nano],
    ["pcapng", () => ng],
  ])("prints the walkthrough lines from a %s file", async (_kind, file) => {
    const r = await run(["-nvvv", "-r", file(), "-c", "2"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toBe(`${WALKTHROUGH.join("\n")}\n`);
  });

  it("prints nanoseconds with --nano", async () => {
    const r = await run(["-r", nano, "--nano", "-c1"]);
    expect(r.out).toBe("22:13:20.596047123 IP 10.0.0.2 > 10.0.0.3: ICMP echo request, id 21554, seq 1636, length 64\n");
  });

  it.runIf(haveTcpdump)("matches tcpdump for -e -x and -tt, option 222 aside", async () => {
    const r = await run(["-e", "-x", "-tt", "-v", "-r", ng]);
    const theirs = execFileSync(TCPDUMP, ["-n", "-e", "-x", "-tt", "-v", "-r", ng], {
      encoding: "latin1",
      stdio: ["ignore", "pipe", "ignore"],
    });
    expect(r.out).toBe(theirs.replaceAll("unknown 222", "pval cpu 0, seq 46"));
  });

  it("reports a corrupt file header at offset 0 and prints nothing", async () => {
    const bad = join(dir, "bad.pcap");
    writeFileSync(bad, Buffer.from("this is not a capture file at all"));
    const r = await run(["-r", bad]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.out).toBe("");
    expect(r.err).toMatch(
      /^print: .*bad\.pcap: not a pcap or pcapng file: unknown magic number 0x74686973 \(at file offset 0\)\n$/,
    );
  });

  it("prints every packet before a truncated record, then the record's offset", async () => {
    const whole = readFileSync(micro);
    const cut = join(dir, "cut.pcap");
    writeFileSync(cut, whole.subarray(0, whole.length - 10));
    const r = await run(["-r", cut]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.out.split("\n")).toHaveLength(4);
    const lastRecord = 24 + 16 + 98 + 16 + 110 + 16 + 98;
    expect(r.err).toBe(
      `print: ${cut}: truncated record: caplen 110, but the file ends after 100 bytes of packet data (at file offset ${lastRecord})\n`,
    );
  });

  it("stops at an absurd caplen with its offset, after the packets before it", async () => {
    const bytes = Buffer.from(readFileSync(ng));
    // The second enhanced packet block: header blocks, then one block of 32 + 100 bytes.
    const headers = pcapngFileHeader().length;
    const second = headers + 32 + 100;
    bytes.writeUInt32LE(0x7fffffff, second + 20);
    const bad = join(dir, "caplen.pcapng");
    writeFileSync(bad, bytes);
    const r = await run(["-r", bad]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.out.split("\n")).toHaveLength(2);
    expect(r.err).toMatch(/caplen 2147483647 is larger than the maximum of 262144 \(at file offset \d+\)/);
    expect(r.err).toContain(`(at file offset ${second})`);
  });

  it("names a missing file", async () => {
    const r = await run(["-r", join(dir, "nope.pcap")]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.err).toBe(`print: ${join(dir, "nope.pcap")}: no such file\n`);
  });

  it("writes pcapng with ns timestamps that tcpdump reads back", async () => {
    const out = join(dir, "copy.pcapng");
    const r = await run(["-r", micro, "-w", out]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toBe("");
    const again = await run(["-r", out, "--nano", "-c", "1"]);
    expect(again.out).toBe(
      "22:13:20.596047000 IP 10.0.0.2 > 10.0.0.3: ICMP echo request, id 21554, seq 1636, length 64\n",
    );
    if (haveTcpdump) {
      const theirs = execFileSync(TCPDUMP, ["-n", "--nano", "-r", out], {
        encoding: "latin1",
        env: { ...process.env, TZ: "UTC" },
        stdio: ["ignore", "pipe", "ignore"],
      });
      expect(theirs.split("\n")[0]).toBe(again.out.trimEnd());
    }
  });
});

describe("parseArgs", () => {
  it("combines short flags as tcpdump does", () => {
    const a = parseArgs(["-nvvvec5", "-rfile", "-xx", "-ttt"]);
    expect(a).toMatchObject({
      read: "file",
      count: 5,
      options: { verbose: 3, link: true, hex: "xx", timestamps: "delta", precision: "micro" },
    });
  });

  it.each([
    [["-r"], /-r needs an argument/],
    [["-q", "-r", "f"], /unknown option -q/],
    [["-r", "a", "-r", "b"], /-r given twice/],
    [["-c", "0", "-r", "f"], /invalid packet count "0"/],
    [["--slots", "pval0", "icmp"], /filter expressions need -r or -i/],
    [["-r", "f", "--slots", "pval0"], /alternatives/],
    [[], /nothing to read/],
  ])("rejects %j", async (args, message) => {
    expect(() => parseArgs(args)).toThrow(message);
    const r = await run(args);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toMatch(/Usage: pval print/);
  });

  it("prints the usage for help with exit 0", async () => {
    const r = await run(["help"]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.err).toMatch(/^Usage: pval print -r FILE/);
  });
});

// Live capture needs root (a veth pair, CAP_NET_RAW), like tcpdump itself.
const isRoot = process.getuid?.() === 0 && spawnSync("ip", ["-V"]).status === 0 && haveTcpdump;

describe.runIf(isRoot)("pval print -i", () => {
  const A = `pvpr${process.pid % 10000}a`;
  const B = `pvpr${process.pid % 10000}b`;

  it("prints the same lines as tcpdump on the same interface and filter", async () => {
    execFileSync("ip", ["link", "add", A, "type", "veth", "peer", "name", B]);
    try {
      execFileSync("ip", ["link", "set", A, "up"]);
      execFileSync("ip", ["link", "set", B, "up"]);
      execFileSync("ip", ["addr", "add", "10.99.9.1/24", "dev", A]);
      const tcpdump = await startTcpdump(["-n", "-e", "-tt", "-v", "-c", "2", "-i", B, "arp"]);
      const ours = runListening(main, ["-nevtt", "-c", "2", "-i", B, "arp"]);
      await ours.listens;
      const ping = spawn("ping", ["-c", "30", "-i", "0.3", "-W", "1", "-I", A, "10.99.9.2"], { stdio: "ignore" });
      const r = await ours.done;
      await tcpdump.exited;
      ping.kill();
      expect(r.code).toBe(EXIT_OK);
      expect(r.err).toMatch(new RegExp(`^print: listening on ${B}, link-type EN10MB \\(Ethernet\\)`));
      expect(r.out).toMatch(
        /ARP \(0x0806\), length 42: Ethernet \(len 6\), IPv4 \(len 4\), Request who-has 10\.99\.9\.2 tell 10\.99\.9\.1, length 28\n/,
      );
      expect(r.out).toBe(tcpdump.output());
    } finally {
      spawnSync("ip", ["link", "del", A]);
    }
  }, 60_000);

  it("names a bad filter expression", async () => {
    const r = await run(["-i", "lo", "tcp", "and", "and"]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.err).toMatch(/^print: filter "tcp and and": /);
  });
});
