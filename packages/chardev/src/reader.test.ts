// The reader's event-loop mechanics, on a FIFO standing in for a pval device
// (readv on a FIFO returns bytes; `byteStream` makes the addon count slots).
// What needs pval.ko (slot counts from readv, EBUSY, ENODEV, the ring
// counters) is tested in the VM: test/integration/dump-*.sh.

import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SlotBatch } from "@pval/decode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isReaderClosedError, ReaderClosedError } from "./errors.js";
import { openDevices } from "./link.js";
import { type Batch, copyBatch, openDevice, SlotReader } from "./reader.js";

let dir: string;
let fifo: string;
let writer: number;

function slots(count: number, first = 0): Uint8Array {
  const batch = SlotBatch.allocate(count);
  for (let i = 0; i < count; i++) {
    const frame = new Uint8Array(60);
    frame[0] = (first + i) & 0xff;
    frame[1] = ((first + i) >> 8) & 0xff;
    batch.write(i, { frame, pktlen: 60, tstamp: BigInt(first + i) });
  }
  return batch.bytes;
}

function firstIndex(batch: Batch, i: number): number {
  const pkt = batch.slots.pkt(i);
  return pkt[0]! | (pkt[1]! << 8);
}

function makeFifo(name: string): { path: string; fd: number } {
  const path = join(dir, name);
  execFileSync("mkfifo", [path]);
  // O_RDWR: the writer end exists from the start and never blocks opening.
  return { path, fd: openSync(path, constants.O_RDWR | constants.O_NONBLOCK) };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pval-chardev-"));
  ({ path: fifo, fd: writer } = makeFifo("pval0-rx-cpu-0"));
});

afterEach(() => {
  closeSync(writer);
  rmSync(dir, { recursive: true, force: true });
});

describe("opening", () => {
  it("names a missing device in a Node-shaped ENOENT", () => {
    const path = join(dir, "pval9-rx-cpu-0");
    let caught: NodeJS.ErrnoException | undefined;
    try {
      openDevice(path);
    } catch (err) {
      caught = err as NodeJS.ErrnoException;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(caught?.code).toBe("ENOENT");
    expect(caught?.errno).toBe(-2);
    expect(caught?.syscall).toBe("open");
    expect(caught?.path).toBe(path);
    expect(caught?.message).toBe(`ENOENT: no such pval device, open '${path}'`);
  });

  it("rejects bad options at the boundary", () => {
    expect(() => openDevice(fifo, { slotsPerRead: 0 })).toThrow(RangeError);
    expect(() => openDevice(fifo, { slotsPerRead: 1025 })).toThrow(RangeError);
    expect(() => openDevice(fifo, { readsPerWakeup: 1.5 })).toThrow(RangeError);
    expect(() => openDevice(fifo, { byteStream: true, wakeSlots: -1 })).toThrow(RangeError);
    expect(() => openDevice(fifo, { byteStream: true, wakeSlots: 2.5 })).toThrow(RangeError);
    expect(() => openDevice("")).toThrow(TypeError);
  });

  it("tags the reader with link, direction and CPU from the name", () => {
    const r = openDevice(fifo, { byteStream: true });
    expect([r.link, r.direction, r.cpu]).toEqual(["pval0", "rx", 0]);
    r.close();
  });
});

describe("readBatch", () => {
  it("returns null on an empty device, then the slots written", () => {
    const r = openDevice(fifo, { byteStream: true });
    expect(r.readBatch()).toBeNull();
    writeSync(writer, slots(3));
    const b = r.readBatch()!;
    expect(b.slots.count).toBe(3);
    expect([0, 1, 2].map((i) => firstIndex(b, i))).toEqual([0, 1, 2]);
    expect(b.slots.tstamp(2)).toBe(2n);
    expect(b.ring).toBeNull();
    expect(r.slotsRead).toBe(3);
    expect(r.readBatch()).toBeNull();
    r.close();
  });

  it("reads at most slotsPerRead slots per call", () => {
    const r = openDevice(fifo, { byteStream: true, slotsPerRead: 4 });
    writeSync(writer, slots(10));
    expect([r.readBatch()?.slots.count, r.readBatch()?.slots.count, r.readBatch()?.slots.count]).toEqual([4, 4, 2]);
    r.close();
  });

  it("throws a ReaderClosedError after close, and close is idempotent", () => {
    const r = openDevice(fifo, { byteStream: true });
    r.close();
    r.close();
    expect(() => r.readBatch()).toThrow(ReaderClosedError);
    expect(r.open).toBe(false);
  });

  it("reuses its buffer: copyBatch keeps slots past the next read", () => {
    const r = openDevice(fifo, { byteStream: true, slotsPerRead: 2 });
    writeSync(writer, slots(4));
    const first = r.readBatch()!;
    const kept = copyBatch(first);
    r.readBatch();
    expect(firstIndex(first, 0)).toBe(2);
    expect(firstIndex(kept, 0)).toBe(0);
    r.close();
  });
});

describe("async iterator", () => {
  it("waits on the event loop for slots and yields them in order", async () => {
    const r = openDevice(fifo, { byteStream: true, slotsPerRead: 16 });
    const seen: number[] = [];
    const done = (async () => {
      for await (const b of r) {
        for (let i = 0; i < b.slots.count; i++) seen.push(firstIndex(b, i));
        if (seen.length >= 40) break;
      }
    })();
    let sent = 0;
    for (const n of [5, 1, 20, 14]) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      writeSync(writer, slots(n, sent));
      sent += n;
    }
    await done;
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(r.open).toBe(false); // break closed it
  });

  it("close() cancels a pending read with a recognisable error", async () => {
    const r = openDevice(fifo, { byteStream: true });
    const it = r[Symbol.asyncIterator]();
    const pending = it.next();
    setTimeout(() => r.close(), 5);
    const err = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isReaderClosedError(err)).toBe(true);
    expect((err as ReaderClosedError).code).toBe("ERR_PVAL_READER_CLOSED");
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("does not read ahead of a slow consumer", async () => {
    const r = openDevice(fifo, { byteStream: true, slotsPerRead: 2 });
    writeSync(writer, slots(6));
    const it = r[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    // The consumer sits on its batch: nothing else may leave the FIFO.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.slotsRead).toBe(2);
    const probe = openDevice(fifo, { byteStream: true, slotsPerRead: 16 });
    expect(probe.readBatch()?.slots.count).toBe(4);
    probe.close();
    r.close();
  });

  it("yields to timers while the device never runs dry", async () => {
    const r = openDevice(fifo, { byteStream: true, slotsPerRead: 1, readsPerWakeup: 4 });
    let timerFired = false;
    setTimeout(() => {
      timerFired = true;
    }, 0);
    let batches = 0;
    writeSync(writer, slots(200));
    for await (const _ of r) {
      batches++;
      if (timerFired || batches === 200) break;
      // Keep it full: write one slot for each one read.
      writeSync(writer, slots(1));
    }
    expect(timerFired).toBe(true);
    expect(batches).toBeLessThan(200);
  });
});

describe("callback form", () => {
  it("delivers every batch and holds reads while a returned promise is pending", async () => {
    const r = openDevice(fifo, { byteStream: true, slotsPerRead: 3 });
    const counts: number[] = [];
    let release: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      r.start((err, batch) => {
        expect(err).toBeNull();
        counts.push(batch!.slots.count);
        if (counts.length === 1) {
          // Hold the reader: its next read waits for this promise.
          return new Promise<void>((res) => {
            release = res;
          });
        }
        if (counts.reduce((a, b) => a + b, 0) === 7) resolve();
        return undefined;
      });
    });
    writeSync(writer, slots(7));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(counts).toEqual([3]);
    expect(r.slotsRead).toBe(3);
    release();
    await finished;
    expect(counts).toEqual([3, 3, 1]);
    r.close();
  });

  it("refuses a second reading form", () => {
    const r = openDevice(fifo, { byteStream: true });
    r.start(() => undefined);
    expect(() => r.readBatch()).toThrow(/already|while/);
    r.stop();
    expect(r.readBatch()).toBeNull();
    r.close();
  });
});

describe("stream form", () => {
  it("emits copies that stay valid", async () => {
    const r = openDevice(fifo, { byteStream: true, slotsPerRead: 2 });
    writeSync(writer, slots(6));
    const stream = r.stream({ highWaterMark: 8 });
    const got: Batch[] = [];
    for await (const b of stream) {
      got.push(b as Batch);
      if (got.length === 3) break;
    }
    expect(got.map((b) => firstIndex(b, 0))).toEqual([0, 2, 4]);
    if (!stream.closed) await once(stream, "close");
    expect(r.open).toBe(false);
  });
});

describe("several devices", () => {
  it("merges batches and tags each with its device", async () => {
    const tx = makeFifo("my-link-tx-cpu-1");
    try {
      const link = openDevices([fifo, tx.path], { byteStream: true });
      writeSync(writer, slots(2, 100));
      writeSync(tx.fd, slots(3, 200));
      const seen = new Map<string, number>();
      for await (const b of link) {
        seen.set(`${b.link}/${b.direction}/${b.cpu}`, firstIndex(b, 0));
        if (seen.size === 2) break;
      }
      expect(seen).toEqual(
        new Map([
          ["pval0/rx/0", 100],
          ["my-link/tx/1", 200],
        ]),
      );
      expect(link.open).toBe(false);
      expect(link.readers.every((x) => !x.open)).toBe(true);
    } finally {
      closeSync(tx.fd);
    }
  });

  it("cancels a pending merged read on close", async () => {
    const link = openDevices([fifo], { byteStream: true });
    const it = link[Symbol.asyncIterator]();
    const pending = it.next();
    setTimeout(() => link.close(), 5);
    await expect(pending).rejects.toBeInstanceOf(ReaderClosedError);
  });

  it("closes what it opened when one device fails", () => {
    const missing = join(dir, "pval0-tx-cpu-9");
    expect(() => openDevices([fifo, missing], { byteStream: true })).toThrow(/no such pval device/);
  });
});

describe("reader thread (bufferSize)", () => {
  const SLOT = slots(1).length;
  const until = async (what: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !what(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(what()).toBe(true);
  };

  it("takes slots off the device before the consumer asks, up to the buffer size", async () => {
    const r = openDevice(fifo, { byteStream: true, slotsPerRead: 16, bufferSize: 10 * SLOT });
    writeSync(writer, slots(25));
    await until(() => r.buffered === 10);
    // The buffer is full: the rest stays in the device.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.buffered).toBe(10);
    const seen: number[] = [];
    for (let b = r.readBatch(); b || seen.length < 25; b = r.readBatch()) {
      if (!b) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        continue;
      }
      for (let i = 0; i < b.slots.count; i++) seen.push(firstIndex(b, i));
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(r.slotsRead).toBe(25);
    r.close();
  });

  it("joins slots that arrive in pieces", async () => {
    const r = openDevice(fifo, { byteStream: true, bufferSize: 64 * SLOT });
    const bytes = slots(3);
    writeSync(writer, bytes.subarray(0, SLOT + 7));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(r.readBatch()?.slots.count).toBe(1);
    writeSync(writer, bytes.subarray(SLOT + 7));
    await until(() => r.buffered === 2);
    const b = r.readBatch()!;
    expect([firstIndex(b, 0), firstIndex(b, 1)]).toEqual([1, 2]);
    r.close();
  });

  it("delivers through the callback form and the iterator, in order", async () => {
    const r = openDevice(fifo, { byteStream: true, slotsPerRead: 8, bufferSize: 1 << 20 });
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => {
      r.start((err, batch) => {
        expect(err).toBeNull();
        for (let i = 0; i < batch!.slots.count; i++) seen.push(firstIndex(batch!, i));
        if (seen.length === 100) resolve();
      });
    });
    writeSync(writer, slots(60));
    await new Promise((resolve) => setTimeout(resolve, 5));
    writeSync(writer, slots(40, 60));
    await done;
    r.stop();
    writeSync(writer, slots(5, 100));
    for await (const b of r) {
      for (let i = 0; i < b.slots.count; i++) seen.push(firstIndex(b, i));
      if (seen.length === 105) break;
    }
    expect(seen).toEqual(Array.from({ length: 105 }, (_, i) => i));
  });

  it("endCapture keeps what the buffer holds and reads nothing more", async () => {
    const r = openDevice(fifo, { byteStream: true, bufferSize: 1 << 20 });
    writeSync(writer, slots(7));
    await until(() => r.buffered === 7);
    r.endCapture();
    r.endCapture();
    writeSync(writer, slots(3, 7));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.readBatch()?.slots.count).toBe(7);
    expect(r.readBatch()).toBeNull();
    r.close();
    // The 3 later slots stayed in the device.
    const probe = openDevice(fifo, { byteStream: true });
    expect(probe.readBatch()?.slots.count).toBe(3);
    probe.close();
  });

  it("says how its thread is scheduled, and nothing without a thread", () => {
    const r = openDevice(fifo, { byteStream: true, bufferSize: 64 * SLOT });
    // Root may take SCHED_FIFO; anyone else gets a reason for the fallback.
    expect(r.scheduling).toMatch(
      /^(SCHED_FIFO 1|nice -10|default \(SCHED_FIFO: .+, nice -10: .+\)|default \(PVAL_READER_SCHED=default\))$/,
    );
    if (process.env.PVAL_READER_SCHED !== "default") expect(r.scheduling).not.toMatch(/PVAL_READER_SCHED/);
    r.close();
    expect(r.scheduling).toBeNull();
    const plain = openDevice(fifo, { byteStream: true });
    expect(plain.scheduling).toBeNull();
    // A FIFO has no ring to ask for a wakeup threshold (the VM suites see pval.ko's answer).
    expect(plain.wakeSlots).toBeNull();
    expect(plain.readerStats).toBeNull();
    plain.close();
  });

  it("keeps a backlog larger than its prepared chunks in order, and reuses chunks", async () => {
    const r = openDevice(fifo, { byteStream: true, bufferSize: 1 << 24 });
    // 6 chunks of 1024 slots (4 are prepared), written in pieces a pipe holds.
    const total = 6 * 1024 + 100;
    for (let at = 0; at < total; at += 200) {
      const n = Math.min(200, total - at);
      writeSync(writer, slots(n, at));
      await until(() => r.buffered === at + n);
    }
    const seen: number[] = [];
    for (let b = r.readBatch(); b; b = r.readBatch()) {
      for (let i = 0; i < b.slots.count; i++) seen.push(firstIndex(b, i));
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i & 0xffff));
    // Chunks beyond the prepared ones came from the keeper, not the reader.
    expect(r.readerStats).toMatchObject({ allocations: 0, reads: expect.any(Number) });
    expect(r.readerStats!.maxReadSlots).toBeGreaterThan(0);
    // The drained chunks serve the next backlog.
    writeSync(writer, slots(50, 7));
    await until(() => r.buffered === 50);
    expect(firstIndex(r.readBatch()!, 0)).toBe(7);
    r.close();
  });

  it("closes while the thread waits, and refuses a bad size", () => {
    const r = openDevice(fifo, { byteStream: true, bufferSize: 1 << 20 });
    r.close();
    expect(r.buffered).toBe(0);
    expect(() => openDevice(fifo, { byteStream: true, bufferSize: -1 })).toThrow(RangeError);
  });
});

it("SlotReader is what openDevice returns", () => {
  const r = openDevice(fifo, { byteStream: true });
  expect(r).toBeInstanceOf(SlotReader);
  r.close();
});
