import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectedFrame, expectedPacket, frame, packet } from "../test/arbitraries.js";
import { verifyChecksums } from "./checksum.js";
import { encodeFrame, encodePacket, encodePvalOption } from "./encode.js";
import { decodeFrame, decodePacket } from "./frame.js";
import { PvalIpoptLayout } from "./generated/abi.js";

// Share of the property-test budget; robustness.test.ts runs the bulk of it on cheaper inputs.
const RUNS = 5_000;

function isFragment(p: {
  ipv4?: { mf?: boolean; fragmentOffset?: number };
  ipv6?: { extensions?: { kind: string }[] };
}) {
  return (
    Boolean(p.ipv4?.mf) ||
    (p.ipv4?.fragmentOffset ?? 0) !== 0 ||
    Boolean(p.ipv6?.extensions?.some((e) => e.kind === "fragment"))
  );
}

describe("encodeFrame / decodeFrame", () => {
  it("decodes every built frame back to its spec, with correct checksums", () => {
    fc.assert(
      fc.property(frame, (spec) => {
        const bytes = encodeFrame(spec);
        const decoded = decodeFrame(bytes);
        expect(decoded).toMatchObject(expectedFrame(spec));
        const report = verifyChecksums(bytes, decoded);
        if (spec.ipv4) expect(report.ip).toBe(true);
        const transport = spec.tcp || spec.udp || spec.icmp || spec.icmpv6;
        if (transport && !isFragment(spec)) expect(report.transport).toBe(true);
      }),
      { numRuns: RUNS },
    );
  }, 60_000);

  it("decodes every built packet back to its spec", () => {
    fc.assert(
      fc.property(packet(), (spec) => {
        expect(decodePacket(encodePacket(spec))).toMatchObject(expectedPacket(spec));
      }),
      { numRuns: RUNS / 5 },
    );
  }, 60_000);

  it("detects a corrupted checksum", () => {
    const bytes = encodeFrame({
      ethernet: { dst: new Uint8Array(6), src: new Uint8Array(6) },
      ipv4: { src: 1, dst: 2 },
      udp: { srcPort: 1, dstPort: 2 },
      payload: Uint8Array.of(1, 2, 3),
    });
    bytes[bytes.length - 1]! ^= 0xff;
    expect(verifyChecksums(bytes, decodeFrame(bytes))).toEqual({ ip: true, transport: false });
    bytes[14 + 8]! ^= 1; // TTL
    expect(verifyChecksums(bytes, decodeFrame(bytes)).ip).toBe(false);
  });

  it("rejects specs that cannot be encoded, naming the field", () => {
    const ethernet = { dst: new Uint8Array(6), src: new Uint8Array(6) };
    expect(() => encodeFrame({ ethernet, ipv4: { src: 1, dst: 2, ttl: 256 } })).toThrow(/ttl 256/);
    expect(() =>
      encodeFrame({ ethernet, ipv4: { src: 1, dst: 2, options: Array(4).fill({ kind: "pval", cpu: 0, seq: 0n }) } }),
    ).toThrow(/48 bytes/);
    expect(() => encodeFrame({ ethernet })).toThrow(/ethertype/);
    expect(() => encodeFrame({ ethernet, ipv4: { src: 1, dst: 2, fragmentOffset: 5 } })).toThrow(/multiple of 8/);
    expect(() => encodePvalOption(0, -1n)).toThrow(/seq/);
  });
});

describe("encodePvalOption", () => {
  it("writes type 222, length 12, reserved 0, the cpu, and seq little-endian", () => {
    const o = encodePvalOption(3, 0x0102030405060708n);
    expect(o.length).toBe(PvalIpoptLayout.size);
    expect(Array.from(o)).toEqual([222, 12, 0, 3, 8, 7, 6, 5, 4, 3, 2, 1]);
  });
});
