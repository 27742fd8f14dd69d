import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mac } from "../test/arbitraries.js";
import { internetChecksum, onesComplementSum } from "./checksum.js";
import { encodeFrame, type FrameSpec } from "./encode.js";

describe("Internet checksum", () => {
  it("matches the worked example of RFC 1071", () => {
    // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
    const bytes = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(onesComplementSum(bytes)).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });

  it("pads an odd length with a zero byte", () => {
    expect(onesComplementSum(Uint8Array.of(0x12, 0x34, 0x56))).toBe(0x1234 + 0x5600);
  });
});

// An independent check of the builders' checksums and layouts: tcpdump reads
// the frames from a pcap file and must find every checksum correct.
const TCPDUMP = "/usr/bin/tcpdump";

function pcap(frames: Uint8Array[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const parts: Buffer[] = [header];
  frames.forEach((frame, i) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(i, 0);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    parts.push(record, Buffer.from(frame));
  });
  return Buffer.concat(parts);
}

describe.skipIf(!existsSync(TCPDUMP))("built frames read by tcpdump", () => {
  it("has every checksum correct", () => {
    const port = fc.integer({ min: 40000, max: 60000 });
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const spec = fc
      .record({
        dst: mac,
        src: mac,
        v6: fc.boolean(),
        a: u32,
        b: u32,
        a6: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        b6: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        pval: fc.boolean(),
        kind: fc.constantFrom("tcp", "udp", "icmp"),
        sp: port,
        dp: port,
        payload: fc.uint8Array({ maxLength: 64 }),
      })
      .map((r): FrameSpec => {
        const l4 =
          r.kind === "tcp"
            ? {
                tcp: {
                  srcPort: r.sp,
                  dstPort: r.dp,
                  seq: r.a,
                  flags: 0x18,
                  options: [{ kind: "timestamp" as const, value: r.a, echo: r.b }],
                },
              }
            : r.kind === "udp"
              ? { udp: { srcPort: r.sp, dstPort: r.dp } }
              : r.v6
                ? { icmpv6: { type: 128, id: r.sp, sequence: r.dp } }
                : { icmp: { type: 8, id: r.sp, sequence: r.dp } };
        const ip = r.v6
          ? {
              ipv6: {
                src: Uint8Array.of(0x20, 0x01, ...r.a6.subarray(2)),
                dst: Uint8Array.of(0x20, 0x01, ...r.b6.subarray(2)),
              },
            }
          : {
              ipv4: {
                src: r.a,
                dst: r.b,
                df: true,
                options: r.pval ? [{ kind: "pval" as const, cpu: 1, seq: 2n }] : [],
              },
            };
        return { ethernet: { dst: r.dst, src: r.src }, ...ip, ...l4, payload: r.payload };
      });
    const specs = fc.sample(spec, { numRuns: 300, seed: 42 });
    const dir = mkdtempSync(join(tmpdir(), "pval-decode-"));
    try {
      const file = join(dir, "frames.pcap");
      writeFileSync(file, pcap(specs.map(encodeFrame)));
      const text = execFileSync(TCPDUMP, ["-nn", "-vvv", "-r", file], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      expect(text).not.toMatch(/bad cksum|incorrect|wrong|\[\|/);
      const verdicts = text.match(/cksum 0x[0-9a-f]{4} \(correct\)|udp sum ok/g) ?? [];
      const tcpUdp = specs.filter((s) => s.tcp || s.udp).length;
      expect(verdicts.length).toBe(tcpUdp);
      expect(text.match(/ICMP6? echo request|ICMP6, echo request/g)?.length).toBe(specs.length - tcpUdp);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
