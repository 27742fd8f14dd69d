import { describe, expect, it } from "vitest";
import { CaptureFormatError } from "./errors.js";
import { CaptureReader, type CaptureRecord } from "./reader.js";
import { pcapFileHeader, pcapngFileHeader, pcapngRecord, pcapRecord } from "./writer.js";

const packets = [
  { tsSec: 1700000000, tsNsec: 123456789, data: Uint8Array.from([1, 2, 3, 4, 5]) },
  { tsSec: 1700000001, tsNsec: 999999000, data: new Uint8Array(60).fill(7), origlen: 1514 },
  { tsSec: 4294967295, tsNsec: 1000, data: new Uint8Array(0) },
];

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

type Copied = Pick<CaptureRecord, "linktype" | "tsSec" | "tsNsec" | "origlen" | "offset" | "data">;

/** The record's values (the reader reuses the object and its bytes). */
function copy(r: CaptureRecord): Copied {
  return {
    linktype: r.linktype,
    tsSec: r.tsSec,
    tsNsec: r.tsNsec,
    origlen: r.origlen,
    offset: r.offset,
    data: r.data.slice(),
  };
}

function readAll(file: Uint8Array, chunkSize = file.length): Copied[] {
  const reader = new CaptureReader();
  const got: Copied[] = [];
  for (let i = 0; i < file.length; i += chunkSize) {
    reader.feed(file.subarray(i, i + chunkSize), (r) => got.push(copy(r)));
  }
  reader.end();
  return got;
}

function swapPcapHeader(file: Uint8Array): Uint8Array {
  // Rewrite a little-endian pcap as big-endian, field by field.
  const out = file.slice();
  const src = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const dst = new DataView(out.buffer);
  dst.setUint32(0, src.getUint32(0, true), false);
  dst.setUint16(4, 2, false);
  dst.setUint16(6, 4, false);
  dst.setUint32(16, src.getUint32(16, true), false);
  dst.setUint32(20, src.getUint32(20, true), false);
  let pos = 24;
  while (pos < file.length) {
    for (let f = 0; f < 16; f += 4) dst.setUint32(pos + f, src.getUint32(pos + f, true), false);
    pos += 16 + src.getUint32(pos + 8, true);
  }
  return out;
}

describe("CaptureReader", () => {
  const micro = concat([pcapFileHeader(), ...packets.map((p) => pcapRecord(p, "micro"))]);
  const nano = concat([pcapFileHeader({ precision: "nano" }), ...packets.map((p) => pcapRecord(p, "nano"))]);
  const ng = concat([pcapngFileHeader(), ...packets.map((p) => pcapngRecord(p))]);

  it("reads microsecond pcap, truncating the fraction to µs", () => {
    const got = readAll(micro);
    expect(got.map((r) => [r.tsSec, r.tsNsec, r.origlen, r.data.length])).toEqual([
      [1700000000, 123456000, 5, 5],
      [1700000001, 999999000, 1514, 60],
      [4294967295, 1000, 0, 0],
    ]);
    expect(got[0]!.offset).toBe(24);
    expect(got[1]!.offset).toBe(24 + 16 + 5);
  });

  it("reads nanosecond pcap", () => {
    expect(readAll(nano).map((r) => r.tsNsec)).toEqual([123456789, 999999000, 1000]);
  });

  it("reads big-endian pcap", () => {
    const got = readAll(swapPcapHeader(nano));
    expect(got.map((r) => [r.tsSec, r.tsNsec, r.data.length])).toEqual([
      [1700000000, 123456789, 5],
      [1700000001, 999999000, 60],
      [4294967295, 1000, 0],
    ]);
    expect(Array.from(got[0]!.data)).toEqual([1, 2, 3, 4, 5]);
  });

  it("hands out one reused record, with a zero-copy view of the bytes", () => {
    const reader = new CaptureReader();
    const seen: CaptureRecord[] = [];
    reader.feed(micro, (r) => {
      seen.push(r);
      expect(r.buffer.subarray(r.dataOffset, r.dataOffset + r.caplen)).toEqual(r.data);
    });
    expect(seen).toHaveLength(3);
    expect(seen[0]).toBe(seen[2]);
  });

  it("reads pcapng with nanosecond resolution", () => {
    const reader = new CaptureReader();
    const got: Copied[] = [];
    reader.feed(ng, (r) => got.push(copy(r)));
    reader.end();
    expect(reader.info).toEqual({ format: "pcapng", precision: "nano", linktype: 1, snaplen: 262144 });
    expect(got.map((r) => [r.tsSec, r.tsNsec, r.origlen])).toEqual([
      [1700000000, 123456789, 5],
      [1700000001, 999999000, 1514],
      [4294967295, 1000, 0],
    ]);
    expect(Array.from(got[1]!.data)).toEqual(Array.from(packets[1]!.data));
  });

  it.each([
    ["pcap", micro],
    ["pcapng", ng],
  ])("gives the same records for every chunk size (%s)", (_name, file) => {
    const whole = readAll(file);
    for (let size = 1; size <= file.length; size++) {
      expect(readAll(file, size)).toEqual(whole);
    }
  });

  it("rejects an unknown magic number at offset 0", () => {
    const bad = micro.slice();
    bad[0] = 0;
    expect(() => readAll(bad)).toThrow(/unknown magic number 0x00c3b2a1 \(at file offset 0\)/);
  });

  it("reports a truncated record after delivering the packets before it", () => {
    const cut = micro.subarray(0, micro.length - 3);
    const reader = new CaptureReader();
    const got: number[] = [];
    reader.feed(cut, (r) => got.push(r.offset));
    expect(got).toEqual([24, 45]);
    expect(() => reader.end()).toThrow(CaptureFormatError);
    try {
      reader.end();
    } catch (err) {
      expect((err as CaptureFormatError).offset).toBe(24 + 21 + 76);
    }
  });

  it("rejects an absurd caplen with the record's offset", () => {
    const bad = micro.slice();
    new DataView(bad.buffer).setUint32(24 + 21 + 8, 0xffffffff, true);
    const got: number[] = [];
    const reader = new CaptureReader();
    expect(() => reader.feed(bad, (r) => got.push(r.offset))).toThrow(
      /caplen 4294967295 is larger than the maximum of 262144 \(at file offset 45\)/,
    );
    expect(got).toEqual([24]);
  });

  it("rejects a pcapng block whose trailing length differs", () => {
    const bad = ng.slice();
    bad[bad.length - 1] = 0x7f;
    expect(() => readAll(bad)).toThrow(/leading length 32 and trailing length/);
  });

  it("rejects an empty file and a short header", () => {
    expect(() => readAll(new Uint8Array(0))).toThrow(/empty file/);
    expect(() => readAll(micro.subarray(0, 10))).toThrow(/truncated file header: only 10 bytes/);
  });

  it("exposes each interface block's name, description and comments, of every section", () => {
    const enc = new TextEncoder();
    /** An interface block with text options (code, value), little-endian. */
    const idb = (options: [number, string][]): Uint8Array => {
      const values = options.map(([code, text]) => [code, enc.encode(text)] as const);
      const total = 16 + values.reduce((n, [, b]) => n + 4 + ((b.length + 3) & ~3), 0) + 4 + 4;
      const out = new Uint8Array(total);
      const v = new DataView(out.buffer);
      v.setUint32(0, 1, true);
      v.setUint32(4, total, true);
      v.setUint16(8, 1, true);
      v.setUint32(12, 65535, true);
      let at = 16;
      for (const [code, bytes] of values) {
        v.setUint16(at, code, true);
        v.setUint16(at + 2, bytes.length, true);
        out.set(bytes, at + 4);
        at += 4 + ((bytes.length + 3) & ~3);
      }
      v.setUint32(total - 4, total, true);
      return out;
    };
    const header = pcapngFileHeader();
    const shb = header.subarray(0, new DataView(header.buffer).getUint32(4, true));
    const file = concat([
      header,
      idb([
        [2, "/dev/pval/pval0-rx-cpu-0"],
        [3, "timestamps: CLOCK_REALTIME"],
        [1, "clock=software-rx-stack"],
        [1, "second comment é"],
      ]),
      pcapngRecord(packets[0]!),
      shb,
      idb([]),
    ]);
    // Byte by byte: the options are read whatever the chunking.
    const reader = new CaptureReader();
    let n = 0;
    for (let i = 0; i < file.length; i++) reader.feed(file.subarray(i, i + 1), () => n++);
    reader.end();
    expect(n).toBe(1);
    expect(reader.interfaces).toEqual([
      { linktype: 1, snaplen: 262144, comments: [] },
      {
        linktype: 1,
        snaplen: 65535,
        name: "/dev/pval/pval0-rx-cpu-0",
        description: "timestamps: CLOCK_REALTIME",
        comments: ["clock=software-rx-stack", "second comment é"],
      },
      { linktype: 1, snaplen: 65535, comments: [] },
    ]);
  });

  it("has no interfaces for a pcap file", () => {
    const reader = new CaptureReader();
    reader.feed(micro, () => {});
    reader.end();
    expect(reader.interfaces).toEqual([]);
  });
});
