import { describe, expect, it } from "vitest";
import { catchError } from "../test/catch-error.js";
import { DecodeError, NeedMoreBytesError } from "./errors.js";
import { PVAL_SLOT_PKT_SIZE, PvalSlotLayout } from "./generated/abi.js";
import { NATIVE_LITTLE_ENDIAN, SLOT_SIZE, SlotBatch, SlotStatus } from "./slots.js";

const F = PvalSlotLayout.fields;

/** Writes a slot header by hand, in native order, the way the kernel does. */
function rawSlot(view: DataView, at: number, len: number, pktlen: number, tstamp: bigint, gsoSegs = 0): void {
  view.setUint16(at + F.len.offset, len, NATIVE_LITTLE_ENDIAN);
  view.setUint16(at + F.gso_segs.offset, gsoSegs, NATIVE_LITTLE_ENDIAN);
  view.setUint32(at + F.pktlen.offset, pktlen, NATIVE_LITTLE_ENDIAN);
  view.setBigUint64(at + F.tstamp.offset, tstamp, NATIVE_LITTLE_ENDIAN);
}

describe("SlotBatch", () => {
  it("uses the ABI slot size", () => {
    expect(SLOT_SIZE).toBe(PvalSlotLayout.size);
  });

  it("reads len, pktlen, tstamp and pkt without copying", () => {
    const buf = new ArrayBuffer(2 * SLOT_SIZE);
    const view = new DataView(buf);
    rawSlot(view, SLOT_SIZE, 3, 60, 0x1122334455667788n);
    new Uint8Array(buf).set([7, 8, 9], SLOT_SIZE + F.pkt.offset);
    const batch = new SlotBatch(buf);
    expect(batch.count).toBe(2);
    expect(batch.len(1)).toBe(3);
    expect(batch.pktlen(1)).toBe(60);
    expect(batch.tstamp(1)).toBe(0x1122334455667788n);
    expect(batch.tstampHi(1)).toBe(0x11223344);
    expect(batch.tstampLo(1)).toBe(0x55667788);
    const pkt = batch.pkt(1);
    expect(Array.from(pkt)).toEqual([7, 8, 9]);
    expect(pkt.buffer).toBe(buf);
    new Uint8Array(buf)[SLOT_SIZE + F.pkt.offset] = 42;
    expect(pkt[0]).toBe(42);
  });

  it("reads gso_segs of a merged packet apart from len; 0 for an ordinary one", () => {
    const batch = SlotBatch.allocate(2);
    rawSlot(batch.view, 0, 256, 23_200, 1n, 16);
    rawSlot(batch.view, SLOT_SIZE, 60, 60, 2n);
    expect([batch.len(0), batch.gsoSegs(0), batch.pktlen(0)]).toEqual([256, 16, 23_200]);
    expect([batch.len(1), batch.gsoSegs(1)]).toEqual([60, 0]);
    expect(batch.check(0)).toBe(SlotStatus.OK);
  });

  it("lays an ordinary slot out as ABI 1 did: len as a u32 with gso_segs 0", () => {
    const batch = SlotBatch.allocate(1);
    batch.write(0, { frame: new Uint8Array(200), pktlen: 1514 });
    expect(batch.view.getUint32(F.len.offset, NATIVE_LITTLE_ENDIAN)).toBe(200);
    batch.write(0, { frame: new Uint8Array(200), pktlen: 30_000, gsoSegs: 21 });
    expect(batch.gsoSegs(0)).toBe(21);
    expect(batch.len(0)).toBe(200);
    expect(() => batch.write(0, { frame: new Uint8Array(1), gsoSegs: 65_536 })).toThrow(/gsoSegs 65536/);
  });

  it("keeps 64-bit timestamps exact beyond 2^53", () => {
    const batch = SlotBatch.allocate(1);
    const t = 2n ** 64n - 3n;
    batch.write(0, { frame: new Uint8Array(14), tstamp: t });
    expect(batch.tstamp(0)).toBe(t);
    expect((BigInt(batch.tstampHi(0)) << 32n) | BigInt(batch.tstampLo(0))).toBe(t);
  });

  it("wraps a Buffer from Node's shared pool at its own offset", () => {
    // Small Buffers share one pooled ArrayBuffer: the view must honour byteOffset.
    const pad = Buffer.from("x");
    const buf = Buffer.alloc(SLOT_SIZE + 4);
    expect(pad.buffer === buf.buffer || buf.byteOffset === 0).toBe(true);
    const slice = buf.subarray(4);
    const source = SlotBatch.allocate(1);
    source.write(0, { frame: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14), pktlen: 99, tstamp: 5n });
    slice.set(source.bytes);
    const batch = new SlotBatch(slice);
    expect(batch.bytes.byteOffset).toBe(slice.byteOffset);
    expect(batch.pktlen(0)).toBe(99);
    expect(batch.tstamp(0)).toBe(5n);
    expect(batch.pkt(0)[13]).toBe(14);
  });

  it("works without the u32 view on an unaligned buffer", () => {
    const backing = new Uint8Array(SLOT_SIZE + 1);
    const source = SlotBatch.allocate(1);
    source.write(0, { frame: new Uint8Array(20).fill(3), pktlen: 1500, tstamp: 77n });
    backing.set(source.bytes, 1);
    const batch = new SlotBatch(backing.subarray(1));
    expect(batch.words).toBeUndefined();
    expect(batch.len(0)).toBe(20);
    expect(batch.pktlen(0)).toBe(1500);
    expect(batch.tstamp(0)).toBe(77n);
  });

  it("takes a count for a partly filled buffer, as readv returns", () => {
    const batch = new SlotBatch(new ArrayBuffer(4 * SLOT_SIZE), 3);
    expect(batch.count).toBe(3);
    expect(() => batch.len(3)).toThrow(RangeError);
  });

  it("rejects a partial slot or a count the bytes cannot hold", () => {
    expect(() => new SlotBatch(new ArrayBuffer(SLOT_SIZE + 10))).toThrow(NeedMoreBytesError);
    expect(() => new SlotBatch(new ArrayBuffer(SLOT_SIZE), 2)).toThrow(/need 544 bytes, have 272/);
    expect(() => new SlotBatch(new ArrayBuffer(SLOT_SIZE), -1)).toThrow(TypeError);
    expect(() => new SlotBatch(new ArrayBuffer(SLOT_SIZE), 0.5)).toThrow(TypeError);
  });

  it("rejects indices outside the batch", () => {
    const batch = SlotBatch.allocate(2);
    for (const i of [-1, 2, 0.5, Number.NaN]) expect(() => batch.pktlen(i)).toThrow(RangeError);
  });

  it("validates len against the packet area and pktlen with typed errors", () => {
    const batch = SlotBatch.allocate(3);
    rawSlot(batch.view, 0, PVAL_SLOT_PKT_SIZE, PVAL_SLOT_PKT_SIZE, 0n);
    rawSlot(batch.view, SLOT_SIZE, PVAL_SLOT_PKT_SIZE + 1, 2000, 0n);
    rawSlot(batch.view, 2 * SLOT_SIZE, 100, 99, 0n);
    expect(batch.check(0)).toBe(SlotStatus.OK);
    expect(batch.pkt(0).length).toBe(PVAL_SLOT_PKT_SIZE);
    expect(batch.check(1)).toBe(SlotStatus.LEN_TOO_LARGE);
    expect(batch.check(2)).toBe(SlotStatus.LEN_EXCEEDS_PKTLEN);
    const tooLarge = catchError(() => batch.pkt(1));
    expect(tooLarge).toBeInstanceOf(DecodeError);
    expect(tooLarge).toMatchObject({ code: "SLOT_LEN_TOO_LARGE", layer: "slot", offset: SLOT_SIZE });
    expect((tooLarge as Error).message).toMatch(/len 257 exceeds the 256-byte packet area/);
    expect(catchError(() => batch.validate(2))).toMatchObject({ code: "SLOT_LEN_EXCEEDS_PKTLEN" });
    expect((catchError(() => batch.validate(2)) as Error).message).toMatch(/len 100 exceeds pktlen 99/);
  });

  it("write stores at most 256 bytes and zeroes the rest of the slot", () => {
    const batch = SlotBatch.allocate(1);
    batch.write(0, { frame: new Uint8Array(300).fill(0xee) });
    expect(batch.len(0)).toBe(PVAL_SLOT_PKT_SIZE);
    expect(batch.pktlen(0)).toBe(300);
    batch.write(0, { frame: Uint8Array.of(1, 2) });
    expect(batch.len(0)).toBe(2);
    expect(batch.bytes[F.pkt.offset + 2]).toBe(0);
    expect(() => batch.write(0, { frame: new Uint8Array(10), pktlen: 5 })).toThrow(/pktlen 5/);
  });
});
