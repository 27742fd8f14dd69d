import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pvalFrame } from "../test/arbitraries.js";
import { encodeFrame } from "./encode.js";
import {
  FieldStatus,
  PvalFieldColumns,
  PvalFields,
  readPvalFieldColumns,
  readPvalFields,
  readPvalFieldsFromFrame,
} from "./fields.js";
import { decodeFrame } from "./frame.js";
import { PvalSlotLayout } from "./generated/abi.js";
import { NATIVE_LITTLE_ENDIAN, SLOT_SIZE, SlotBatch } from "./slots.js";

const ethernet = {
  dst: Uint8Array.of(8, 0, 0x27, 0x19, 0x12, 0xa4),
  src: Uint8Array.of(0xea, 0x51, 0xd7, 0x0c, 0x95, 0x1a),
};
const src = 0x0a000003;
const dst = 0x0a000002;

function batchOf(frames: Uint8Array[], tstamp = 0n): SlotBatch {
  const batch = SlotBatch.allocate(frames.length);
  frames.forEach((frame, i) => {
    batch.write(i, { frame, tstamp: tstamp + BigInt(i) });
  });
  return batch;
}

describe("readPvalFields", () => {
  it("reads ethertype, addresses, option 222 and the timestamp", () => {
    const frame = encodeFrame({
      ethernet,
      ipv4: { src, dst, options: [{ kind: "pval", cpu: 7, seq: 0x1_0000_0002n }] },
      icmp: { type: 0, id: 1, sequence: 2 },
    });
    const out = new PvalFields();
    const status = readPvalFields(batchOf([frame], 1_700_000_000_123_456_789n), 0, out);
    expect(status).toBe(FieldStatus.IPV4 | FieldStatus.PVAL);
    expect(out).toMatchObject({ status, ethertype: 0x0800, vlanCount: 0, l3Offset: 14, protocol: 1, src, dst, cpu: 7 });
    expect(out.seqHi).toBe(1);
    expect(out.seqLo).toBe(2);
    expect(out.seq).toBe(0x1_0000_0002n);
    expect(out.tstamp).toBe(1_700_000_000_123_456_789n);
    expect(out.len).toBe(frame.length);
  });

  it("finds option 222 after other options and through VLAN tags", () => {
    const frame = encodeFrame({
      ethernet,
      vlans: [{ tpid: 0x88a8, vid: 10 }, { vid: 20 }],
      ipv4: { src, dst, options: [{ kind: "nop" }, { kind: "ra", value: 0 }, { kind: "pval", cpu: 1, seq: 99n }] },
    });
    const out = new PvalFields();
    expect(readPvalFieldsFromFrame(frame, out)).toBe(FieldStatus.IPV4 | FieldStatus.PVAL);
    expect(out).toMatchObject({ ethertype: 0x0800, vlanCount: 2, l3Offset: 22, cpu: 1, seqLo: 99 });
  });

  it("reports IPv4 without the option, and other ethertypes, and clears old values", () => {
    const out = new PvalFields();
    const withOption = encodeFrame({ ethernet, ipv4: { src, dst, options: [{ kind: "pval", cpu: 3, seq: 5n }] } });
    const plain = encodeFrame({ ethernet, ipv4: { src, dst } });
    const arp = encodeFrame({
      ethernet,
      arp: {
        op: 1,
        sha: ethernet.src,
        spa: Uint8Array.of(10, 0, 0, 3),
        tha: new Uint8Array(6),
        tpa: Uint8Array.of(10, 0, 0, 2),
      },
    });
    const batch = batchOf([withOption, plain, arp]);
    readPvalFields(batch, 0, out);
    expect(readPvalFields(batch, 1, out)).toBe(FieldStatus.IPV4);
    expect(out).toMatchObject({ src, dst, cpu: 0, seqLo: 0, seqHi: 0 });
    expect(readPvalFields(batch, 2, out)).toBe(0);
    expect(out).toMatchObject({ ethertype: 0x0806, src: 0, dst: 0, protocol: 0 });
  });

  it("says TRUNCATED when the stored bytes end early, at every length", () => {
    const frame = encodeFrame({
      ethernet,
      vlans: [{ vid: 1 }],
      ipv4: { src, dst, options: [{ kind: "nop" }, { kind: "pval", cpu: 2, seq: 3n }] },
    });
    const out = new PvalFields();
    const full = 18 + 20 + 1 + 12; // through the end of option 222
    for (let cut = 0; cut < full; cut++) {
      const status = readPvalFieldsFromFrame(frame.subarray(0, cut), out);
      expect(status & FieldStatus.TRUNCATED, `cut ${cut}`).toBe(FieldStatus.TRUNCATED);
      expect(status & FieldStatus.PVAL).toBe(0);
      if (cut >= 38) expect(out.src).toBe(src);
    }
    expect(readPvalFieldsFromFrame(frame.subarray(0, full), out)).toBe(FieldStatus.IPV4 | FieldStatus.PVAL);
  });

  it("says MALFORMED for a bad version, header length or option length", () => {
    const frame = encodeFrame({ ethernet, ipv4: { src, dst, options: [{ kind: "pval", cpu: 2, seq: 3n }] } });
    const out = new PvalFields();
    const bad = (edit: (f: Uint8Array) => void) => {
      const f = frame.slice();
      edit(f);
      return readPvalFieldsFromFrame(f, out);
    };
    expect(bad((f) => (f[14] = 0x68))).toBe(FieldStatus.MALFORMED); // version 6
    expect(bad((f) => (f[14] = 0x44))).toBe(FieldStatus.MALFORMED); // IHL 16 bytes
    expect(bad((f) => (f[35] = 11))).toBe(FieldStatus.IPV4 | FieldStatus.MALFORMED); // option 222 of length 11
    expect(bad((f) => (f[35] = 1))).toBe(FieldStatus.IPV4 | FieldStatus.MALFORMED); // length < 2
    expect(bad((f) => (f[35] = 40))).toBe(FieldStatus.IPV4 | FieldStatus.MALFORMED); // past the header
  });

  it("says BAD_SLOT, and reads nothing else, for an invalid slot", () => {
    const batch = batchOf([encodeFrame({ ethernet, ipv4: { src, dst } })]);
    batch.view.setUint32(PvalSlotLayout.fields.pktlen.offset, 10, NATIVE_LITTLE_ENDIAN);
    const out = new PvalFields();
    expect(readPvalFields(batch, 0, out)).toBe(FieldStatus.BAD_SLOT);
    expect(out).toMatchObject({ ethertype: 0, src: 0, pktlen: 10 });
    expect(() => readPvalFields(batch, 1, out)).toThrow(RangeError);
  });

  it("gives the same result on an unaligned batch (DataView path)", () => {
    const frames = [
      encodeFrame({ ethernet, ipv4: { src, dst, options: [{ kind: "pval", cpu: 9, seq: 2n ** 63n + 5n }] } }),
      encodeFrame({ ethernet, vlans: [{ vid: 4 }], ipv4: { src, dst } }),
    ];
    const aligned = batchOf(frames, 2n ** 62n);
    const backing = new Uint8Array(aligned.bytes.length + 1);
    backing.set(aligned.bytes, 1);
    const unaligned = new SlotBatch(backing.subarray(1));
    expect(unaligned.words).toBeUndefined();
    const a = new PvalFields();
    const b = new PvalFields();
    for (let i = 0; i < frames.length; i++) {
      readPvalFields(aligned, i, a);
      readPvalFields(unaligned, i, b);
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
      if (i === 0) expect(b.seq).toBe(2n ** 63n + 5n);
      expect(b.tstamp).toBe(2n ** 62n + BigInt(i));
    }
  });

  it("reads len apart from gso_segs, aligned or not: a merged packet's slot is valid", () => {
    const frame = encodeFrame({ ethernet, ipv4: { src, dst } });
    const batch = SlotBatch.allocate(1);
    batch.write(0, { frame, pktlen: 20_000, gsoSegs: 14 });
    const backing = new Uint8Array(SLOT_SIZE + 1);
    backing.set(batch.bytes, 1);
    const out = new PvalFields();
    for (const b of [batch, new SlotBatch(backing.subarray(1))]) {
      expect(readPvalFields(b, 0, out)).toBe(FieldStatus.IPV4);
      expect(out).toMatchObject({ len: frame.length, pktlen: 20_000, src, dst });
    }
  });

  it("agrees with the full decoder on generated pval frames", () => {
    const out = new PvalFields();
    fc.assert(
      fc.property(pvalFrame, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (spec, tstamp) => {
        const frame = encodeFrame(spec);
        const batch = SlotBatch.allocate(1);
        batch.write(0, { frame, tstamp });
        // Headers and options end well within the 256 stored bytes.
        expect(readPvalFields(batch, 0, out)).toBe(FieldStatus.IPV4 | FieldStatus.PVAL);
        const decoded = decodeFrame(frame);
        const option = decoded.ipv4!.options.find((o) => o.kind === "pval");
        expect(option).toMatchObject({ cpu: out.cpu, seq: out.seq });
        expect(out.ethertype).toBe(decoded.ethertype);
        expect(out.vlanCount).toBe(decoded.vlans.length);
        expect(out.src).toBe(decoded.ipv4!.src);
        expect(out.dst).toBe(decoded.ipv4!.dst);
        expect(out.tstamp).toBe(tstamp);
        expect(out.pktlen).toBe(frame.length);
      }),
      { numRuns: 4_000 },
    );
  }, 60_000);

  it("data holds one u32 per field", () => {
    expect(new PvalFields().data.length * 4).toBeLessThan(SLOT_SIZE);
  });
});

/** The same slots in a batch that starts one byte off a word boundary (no Uint32Array, no word fast path). */
function unalignedCopy(batch: SlotBatch): SlotBatch {
  const backing = new Uint8Array(batch.bytes.length + 1);
  backing.set(batch.bytes, 1);
  return new SlotBatch(backing.subarray(1));
}

const PVAL_COLUMNS = ["status", "tstampLo", "tstampHi", "ethertype", "src", "dst", "cpu", "seqLo", "seqHi"] as const;
const DETAIL_COLUMNS = ["len", "pktlen", "vlanCount", "l3Offset", "protocol"] as const;

describe("readPvalFieldColumns", () => {
  it("fills one row per slot, as many as fit, from any start", () => {
    const frames = Array.from({ length: 5 }, (_, i) =>
      encodeFrame({
        ethernet,
        ipv4: { src: src + i, dst, options: [{ kind: "pval", cpu: i, seq: BigInt(i) << 40n }] },
      }),
    );
    const batch = batchOf(frames, 1000n);
    const cols = new PvalFieldColumns(3);
    expect(readPvalFieldColumns(batch, 0, cols)).toBe(3);
    expect(cols.count).toBe(3);
    expect(Array.from(cols.src)).toEqual([src, src + 1, src + 2]);
    expect(readPvalFieldColumns(batch, 3, cols)).toBe(2);
    expect(Array.from(cols.cpu.subarray(0, 2))).toEqual([3, 4]);
    expect(cols.seq(1)).toBe(4n << 40n);
    expect(cols.tstamp(0)).toBe(1003n);
    expect(() => cols.seq(2)).toThrow(RangeError);
    expect(readPvalFieldColumns(batch, 5, cols)).toBe(0);
    expect(() => readPvalFieldColumns(batch, 6, cols)).toThrow(RangeError);
    expect(cols.len).toBeUndefined();
    expect(() => new PvalFieldColumns(0)).toThrow(RangeError);
  });

  it("agrees with readPvalFields and with the byte-wise path on generated and mutated slots", () => {
    const slot = fc.record({
      spec: pvalFrame,
      edits: fc.array(fc.tuple(fc.nat(80), fc.nat(255)), { maxLength: 3 }),
      cut: fc.nat(300),
      extra: fc.nat(3),
      tstamp: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    });
    fc.assert(
      fc.property(fc.array(slot, { minLength: 1, maxLength: 8 }), (slots) => {
        const batch = SlotBatch.allocate(slots.length);
        slots.forEach(({ spec, edits, cut, extra, tstamp }, i) => {
          const frame = encodeFrame(spec);
          for (const [at, value] of edits) if (at < frame.length) frame[at] = value;
          const stored = frame.subarray(0, Math.min(frame.length, cut));
          batch.write(i, { frame: stored, pktlen: frame.length, tstamp });
          // Now and then an invalid slot: len beyond pktlen.
          if (extra === 0)
            batch.view.setUint32(PvalSlotLayout.fields.pktlen.offset + i * SLOT_SIZE, 1, NATIVE_LITTLE_ENDIAN);
        });
        const fast = new PvalFieldColumns(8, { detail: true });
        const slow = new PvalFieldColumns(8, { detail: true });
        readPvalFieldColumns(batch, 0, fast);
        readPvalFieldColumns(unalignedCopy(batch), 0, slow);
        const one = new PvalFields();
        for (let k = 0; k < slots.length; k++) {
          readPvalFields(batch, k, one);
          for (const name of [...PVAL_COLUMNS, ...DETAIL_COLUMNS]) {
            expect({ k, name, value: fast[name]![k] }).toEqual({ k, name, value: slow[name]![k] });
            expect({ k, name, value: one[name] }).toEqual({ k, name, value: fast[name]![k] });
          }
        }
      }),
      { numRuns: 1_500 },
    );
  }, 120_000);
});
