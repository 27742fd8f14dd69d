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
  readCaptureFile,
} from "@pval/decode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CapturedRun, runCaptured } from "../../test/run-captured.js";
import { runListening, startTcpdump } from "../../test/tcpdump-live.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../command.js";
import { listInterfaces } from "../net-interfaces.js";
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
    expect(parseArgs(["-nvvc5", "-r", "f"])).toMatchObject({ count: 5, options: { verbose: 2 } });
    // The walkthrough's `tcpdump -nvvvi enp0s9`, and a filter after it.
    expect(parseArgs(["-nvvvi", "enp0s9", "icmp"])).toMatchObject({
      iface: "enp0s9",
      filter: ["icmp"],
      options: { verbose: 3 },
    });
    expect(parseArgs(["-qSAAlUpnes", "100", "-r", "f"])).toMatchObject({
      snaplen: 100,
      promiscuous: false,
      packetText: true,
      packetBuffered: true,
      options: { quiet: true, absoluteSeq: true, ascii: 2, link: true },
    });
    expect(parseArgs(["-s0", "-r", "f"]).snaplen).toBe(262144);
    expect(parseArgs(["-r", "f"])).toMatchObject({ snaplen: 262144, promiscuous: true, packetText: false });
    expect(parseArgs(["-D"]).listInterfaces).toBe(true);
  });

  it.each([
    [["-r"], /option '-r <file>' argument missing/],
    [["-Q", "-r", "f"], /unknown option '-Q'/],
    [["-r", "a", "-r", "b"], /-r given twice/],
    [["-c", "0", "-r", "f"], /invalid packet count "0"/],
    [["--slots", "pval0", "icmp"], /filter expressions need -r or -i/],
    [["-s", "262145", "-r", "f"], /invalid snaplen "262145"/],
    [["-r", "f", "--slots", "pval0"], /alternatives/],
    [["-r", "f", "--nano", "--micro"], /contradict/],
    [["-D", "-r", "f"], /-D lists the interfaces/],
    [[], /nothing to read/],
  ])("rejects %j with the usage on stderr, exit 2", async (args, message) => {
    expect(() => parseArgs(args)).toThrow(message);
    const r = await run(args);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/Usage: pval print/);
    expect(r.out).toBe("");
  });

  it.each([["help"], ["-h"], ["--help"]])("prints the help on stdout for %s, exit 0", async (word) => {
    const r = await run([word]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^Usage: pval print \[-AenqSlpUvxXD\] \[-c count\] \[-i interface\] .*\[expression\]/);
    // Every option has a description, -i and the filter expression included.
    for (const flag of ["-A", "-c", "-D", "-e", "-i", "-l", "-n", "-p", "-q", "-r", "-s", "-S", "-t", "-U", "-v"]) {
      expect(r.out).toMatch(new RegExp(`^  ${flag}( <[a-z]+>)?  +\\S`, "m"));
    }
    expect(r.out).toMatch(/^ {2}expression +a tcpdump filter expression/m);
  });
});

describe("tcpdump's flags on -r", () => {
  // A TCP conversation and a UDP datagram, so -q and -S show.
  const A = ipv4FromString("10.0.0.2");
  const B = ipv4FromString("10.0.0.3");
  const tcp = (seq: number, ack: number, flags: number, payload: string): Uint8Array =>
    encodeFrame({
      ethernet: { src: PEER, dst: PVAL0 },
      ipv4: { src: A, dst: B },
      tcp: { srcPort: 40000, dstPort: 8765, seq, ack, flags },
      payload: Buffer.from(payload),
    });
  let conv: string;
  beforeEach(() => {
    const frames = [
      tcp(1000, 0, 0x02, ""),
      tcp(1001, 5000, 0x10, ""),
      tcp(1001, 5000, 0x18, "GET / HTTP/1.0\r\n\r\nline two\tx\u0001"),
      encodeFrame({
        ethernet: { src: PEER, dst: PVAL0 },
        ipv4: { src: A, dst: B },
        udp: { srcPort: 5353, dstPort: 53 },
        payload: new Uint8Array(12),
      }),
    ];
    conv = join(dir, "conv.pcap");
    writeFileSync(
      conv,
      concat([pcapFileHeader(), ...frames.map((data, i) => pcapRecord({ tsSec: 1700000000 + i, tsNsec: 0, data }))]),
    );
  });

  it.runIf(haveTcpdump).each([["-A"], ["-AA"], ["-q"], ["-qe"], ["-S"], ["-Sv"], ["-qvv"], ["-nA", "-c", "3"]])(
    "prints %j as tcpdump -r does",
    async (...flags) => {
      const r = await run([...flags, "-r", conv]);
      const theirs = execFileSync(TCPDUMP, ["-n", ...flags, "-r", conv], {
        encoding: "latin1",
        env: { ...process.env, TZ: "UTC" },
        stdio: ["ignore", "pipe", "ignore"],
      });
      expect(r.code).toBe(EXIT_OK);
      expect(r.out).toBe(theirs);
    },
  );

  it("-q shortens TCP and UDP, -S keeps sequence numbers absolute", async () => {
    const q = await run(["-q", "-r", conv]);
    expect(q.out.split("\n")[2]).toBe("22:13:22.000000 IP 10.0.0.2.40000 > 10.0.0.3.8765: tcp 29");
    expect(q.out.split("\n")[3]).toBe("22:13:23.000000 IP 10.0.0.2.5353 > 10.0.0.3.53: UDP, length 12");
    const rel = await run(["-r", conv, "-c", "3"]);
    expect(rel.out.split("\n")[2]).toMatch(/Flags \[P\.\], seq 0:29, ack 1, win/);
    const abs = await run(["-S", "-r", conv, "-c", "3"]);
    expect(abs.out.split("\n")[2]).toMatch(/Flags \[P\.\], seq 1001:1030, ack 5000, win/);
  });

  it("-A prints the payload as text, a CR before LF left out", async () => {
    const r = await run(["-A", "-r", conv]);
    expect(r.out).toContain("GET / HTTP/1.0\n\nline two\tx.\n");
  });

  it("-s has no effect on -r, as in tcpdump", async () => {
    const whole = await run(["-x", "-r", conv]);
    const cut = await run(["-x", "-s", "40", "-r", conv]);
    expect(cut.out).toBe(whole.out);
  });

  it("-l and -U write the text of each packet as it is printed", async () => {
    const chunks: string[] = [];
    const code = await main(["-l", "-r", conv], { out: (s) => void chunks.push(s), err: () => {} });
    expect(code).toBe(EXIT_OK);
    expect(chunks.length).toBe(4);
    const buffered: string[] = [];
    await main(["-r", conv], { out: (s) => void buffered.push(s), err: () => {} });
    expect(buffered.length).toBe(1);
  });
});

describe("pval print -w", () => {
  it("keeps the input's snaplen and the packets' direction", async () => {
    const data = frames[0]!;
    const src = join(dir, "dir.pcapng");
    writeFileSync(
      src,
      concat([
        pcapngFileHeader({ snaplen: 256 }),
        pcapngRecord({ tsSec: 1, tsNsec: 0, data, direction: "in" }),
        pcapngRecord({ tsSec: 2, tsNsec: 0, data, direction: "out" }),
        pcapngRecord({ tsSec: 3, tsNsec: 0, data }),
      ]),
    );
    const copy = join(dir, "copy.pcapng");
    const r = await run(["-r", src, "-w", copy]);
    expect(r.code).toBe(EXIT_OK);
    const directions: (string | undefined)[] = [];
    const info = readCaptureFile(copy, (rec) => {
      directions.push(rec.direction);
      return true;
    });
    expect(directions).toEqual(["in", "out", undefined]);
    expect(info.snaplen).toBe(256);
    // And it prints like any other capture.
    const printed = await run(["-r", copy]);
    expect(printed.out.split("\n")).toHaveLength(4);
  });

  it("declares the snaplen of a pcap input, not 262144", async () => {
    const src = join(dir, "s100.pcap");
    writeFileSync(
      src,
      concat([pcapFileHeader({ snaplen: 100 }), pcapRecord({ tsSec: 1, tsNsec: 0, data: frames[0]! })]),
    );
    const copy = join(dir, "s100.pcapng");
    expect((await run(["-r", src, "-w", copy])).code).toBe(EXIT_OK);
    expect(readCaptureFile(copy, () => true).snaplen).toBe(100);
  });
});

describe("pval print -D", () => {
  it("lists interfaces as tcpdump -D does", async () => {
    const r = await run(["-D"]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toMatch(/^1\.\S+ \[[A-Za-z, ]+\]\n/);
    expect(r.out).toMatch(/^\d+\.lo \[Up, Running, Loopback\]$/m);
  });

  it("orders and describes interfaces as libpcap does", () => {
    const list = listInterfaces([
      { name: "ifb0", ifindex: 3, flags: 0x82, operstate: "down" },
      { name: "lo", ifindex: 1, flags: 0x9, operstate: "unknown" },
      { name: "eth0", ifindex: 2, flags: 0x1003, operstate: "up" },
      { name: "eth1", ifindex: 4, flags: 0x1003, operstate: "down" },
    ]);
    expect(list).toBe(
      "1.eth0 [Up, Running, Connected]\n2.lo [Up, Running, Loopback]\n3.ifb0 [none]\n4.eth1 [Up, Disconnected]\n",
    );
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
