// One pval character device, read from Node without blocking the event loop.
//
// Every read is one readv(2) of up to 1024 slots (IOV_MAX) into a buffer the
// reader allocates once and reuses: a batch is a zero-copy SlotBatch view of
// that buffer, valid until the reader's next read. Whoever keeps slots longer
// copies them (`copyBatch`); the stream form does so itself.
//
// Back-pressure: the reader only reads when its consumer asks (the iterator's
// next(), the end of a callback or of the promise it returned). While the
// consumer is busy the kernel's ring fills and then counts what it cannot
// hold; nothing is buffered in Node beyond the one batch.
//
// With `bufferSize`, a native thread reads the device as soon as slots
// arrive and keeps them, up to that many bytes, until the consumer asks (as
// libpcap's buffer does for tcpdump): the consumer's pauses then cost buffer
// space rather than ring drops. A full buffer leaves the slots in the ring,
// whose drops the kernel counts as before. The thread asks the ring to wake
// it once 64 slots wait (`wakeSlots`) rather than at the module's batch of
// 256: the ring then has room for most of its size in slots while the wakeup
// is on its way, where a late wakeup would otherwise cost drops.

import { Readable } from "node:stream";
import { SlotBatch } from "@pval/decode";
import { checkModuleAbi } from "./abi.js";
import { type DeviceName, type Direction, parseDeviceName } from "./device-name.js";
import { ReaderClosedError } from "./errors.js";
import { PvalSlotLayout } from "./generated/abi.js";
import { type NativeDevice, native, type ReaderStats, type RingStats } from "./native.js";

/** Slots of one read, tagged with where they come from. */
export interface Batch {
  /** The device path, e.g. /dev/pval/pval0-rx-cpu-0. */
  device: string;
  /** The pval link, when the device name says it. */
  link: string | undefined;
  direction: Direction | undefined;
  cpu: number | undefined;
  /** The slots; a view of the reader's buffer, valid until its next read. */
  slots: SlotBatch;
  /**
   * The ring's counters right after this read (one ioctl per batch), or
   * null when the module does not report them or `ringStats` is off.
   */
  ring: RingStats | null;
}

export interface ReaderOptions {
  /** Slots per readv, 1..1024 (IOV_MAX); default 1024. */
  slotsPerRead?: number;
  /** readv calls per event-loop wakeup before yielding to other work; default 16. */
  readsPerWakeup?: number;
  /** Read the ring's counters after every batch (default true). */
  ringStats?: boolean;
  /**
   * Bytes of slots a native reader thread may hold ahead of the consumer
   * (0, the default: no thread; each read is a readv on the consumer's
   * turn). Memory is taken as the backlog grows, 1024 slots at a time.
   */
  bufferSize?: number;
  /**
   * Wake the reader once this many slots wait in the ring (capped at half
   * the ring; 0: the module's `wake_batch`, 256). Default: 64 with
   * `bufferSize`, else the module's. A pval.ko without the ioctl keeps its
   * own and `wakeSlots` reads null.
   */
  wakeSlots?: number;
  /**
   * The file returns bytes from readv, as a FIFO does, instead of slots.
   * For exercising the reader without pval.ko.
   */
  byteStream?: boolean;
}

/** Callback form: return a promise to hold the next read until it settles. */
export type BatchListener = (err: Error | null, batch: Batch | null) => unknown;

const DEFAULT_READS_PER_WAKEUP = 16;
/** Wakeup threshold of a reader thread's ring: a sixteenth of the default ring. */
const THREAD_WAKE_SLOTS = 64;

function checkCount(value: number, name: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer between 1 and ${max}, got ${value}`);
  }
  return value;
}

/** Copies a batch out of the reader's buffer so it outlives the next read. */
export function copyBatch(batch: Batch): Batch {
  const { bytes, count } = batch.slots;
  const copy = bytes.slice(0, count * PvalSlotLayout.size);
  return { ...batch, slots: new SlotBatch(copy.buffer, count), ring: batch.ring ? { ...batch.ring } : null };
}

/** Opens one device: `openDevice("/dev/pval/pval0-rx-cpu-0")`. */
export function openDevice(path: string, options: ReaderOptions = {}): SlotReader {
  return new SlotReader(path, options);
}

export class SlotReader implements AsyncIterable<Batch> {
  readonly path: string;
  readonly link: string | undefined;
  readonly direction: Direction | undefined;
  readonly cpu: number | undefined;

  readonly #device: NativeDevice;
  readonly #buffer: ArrayBuffer;
  readonly #slotsPerRead: number;
  readonly #readsPerWakeup: number;
  #ringStats: boolean;
  #closed = false;
  #busy: "iterator" | "listener" | null = null;
  #pending: { resolve: (r: IteratorResult<Batch>) => void; reject: (e: Error) => void } | null = null;
  #streak = 0;
  #slotsRead = 0;
  #wakeSlots: number | null = null;

  /** Use {@link openDevice}. Throws ENOENT, EBUSY, EACCES... as Node-shaped errors naming the device. */
  constructor(path: string, options: ReaderOptions = {}, name: DeviceName | undefined = parseDeviceName(path)) {
    if (typeof path !== "string" || path === "") throw new TypeError("device path must be a non-empty string");
    checkModuleAbi();
    const binding = native();
    this.#slotsPerRead = checkCount(options.slotsPerRead ?? binding.MAX_SLOTS_PER_READ, "slotsPerRead", 1024);
    this.#readsPerWakeup = checkCount(options.readsPerWakeup ?? DEFAULT_READS_PER_WAKEUP, "readsPerWakeup", 1 << 20);
    this.#ringStats = options.ringStats ?? !options.byteStream;
    this.path = path;
    this.link = name?.link;
    this.direction = name?.direction;
    this.cpu = name?.cpu;
    const bufferSize = options.bufferSize ?? 0;
    if (!Number.isInteger(bufferSize) || bufferSize < 0 || bufferSize > 0xffffffff) {
      throw new RangeError(`bufferSize must be an integer between 0 and ${0xffffffff}, got ${bufferSize}`);
    }
    this.#buffer = new ArrayBuffer(this.#slotsPerRead * binding.SLOT_SIZE);
    const wakeSlots = options.wakeSlots ?? (bufferSize > 0 ? THREAD_WAKE_SLOTS : undefined);
    if (wakeSlots !== undefined && (!Number.isInteger(wakeSlots) || wakeSlots < 0 || wakeSlots > 0xffffffff)) {
      throw new RangeError(`wakeSlots must be an integer between 0 and ${0xffffffff}, got ${wakeSlots}`);
    }
    this.#device = new binding.Device(path, options.byteStream ? binding.FLAG_BYTE_STREAM : 0, bufferSize);
    if (wakeSlots !== undefined && !options.byteStream) {
      try {
        this.#wakeSlots = this.#device.wakeSlots(wakeSlots);
      } catch (err) {
        // A pval.ko from before the ioctl: its own threshold stays.
        if ((err as NodeJS.ErrnoException).code !== "ENOTTY") {
          this.#device.close();
          throw err;
        }
      }
    }
  }

  /**
   * The ring's wakeup threshold in slots as the module reports it for this
   * reader, or null when it was left to the module (or the module cannot say).
   */
  get wakeSlots(): number | null {
    return this.#wakeSlots;
  }

  /** Slots read so far. */
  get slotsRead(): number {
    return this.#slotsRead;
  }

  /** False once closed. */
  get open(): boolean {
    return !this.#closed;
  }

  /** Slots the reader thread holds that the consumer has not taken (0 without `bufferSize`). */
  get buffered(): number {
    return this.#closed ? 0 : this.#device.buffered;
  }

  /**
   * How the reader thread is scheduled ("SCHED_FIFO 1", "nice -10", or
   * "default (…why…)"): it asks for a real-time priority and falls back
   * quietly. null without `bufferSize` (no thread).
   */
  get scheduling(): string | null {
    return this.#closed ? null : this.#device.scheduling;
  }

  /**
   * How the reader thread kept up with the device: the chunks it had to
   * allocate itself (0 while its helper prepares them in time), its reads,
   * the most slots one read returned, the longest gap between reads and the
   * longest wait for a wakeup after emptying the ring. For telling where ring drops come
   * from; null without `bufferSize`.
   */
  get readerStats(): ReaderStats | null {
    return this.#closed ? null : this.#device.readerStats;
  }

  /**
   * With `bufferSize`: stops reading the device and keeps what the buffer
   * holds, for `readBatch()` to take until it returns null (stop() the
   * callback form first). The ring's counters are final from here on.
   * Without a buffer, nothing happens. Idempotent.
   */
  endCapture(): void {
    if (!this.#closed) this.#device.halt();
  }

  /** The ring's counters. Throws ENOTTY when the module has none. */
  stats(): RingStats {
    if (this.#closed) throw new ReaderClosedError(this.path);
    return this.#device.stats();
  }

  /**
   * One non-blocking read for tools that run their own loop: a batch, or
   * null when the ring is empty. Throws ENODEV once the link is deleted.
   */
  readBatch(): Batch | null {
    if (this.#closed) throw new ReaderClosedError(this.path);
    if (this.#busy) throw new Error(`${this.path}: readBatch() while the ${this.#busy} form is reading`);
    const n = this.#device.read(this.#buffer, this.#slotsPerRead);
    return n === 0 ? null : this.#batch(n);
  }

  #batch(count: number): Batch {
    this.#slotsRead += count;
    let ring: RingStats | null = null;
    if (this.#ringStats) {
      try {
        ring = this.#device.stats();
      } catch (err) {
        // A module without the ioctl: say so once by reporting null from now on.
        if ((err as NodeJS.ErrnoException).code !== "ENOTTY") throw err;
        this.#ringStats = false;
      }
    }
    return {
      device: this.path,
      link: this.link,
      direction: this.direction,
      cpu: this.cpu,
      slots: new SlotBatch(this.#buffer, count),
      ring,
    };
  }

  /**
   * The async iterator: one batch per next(). A busy ring is read
   * synchronously up to `readsPerWakeup` times in a row, then the reader waits
   * for libuv to report it readable, so timers and other I/O get their turn.
   * Ends with the error when the link is deleted (ENODEV); `break` closes the
   * reader.
   */
  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return {
      next: () => this.#next(),
      return: async () => {
        this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /** Same as iterating the reader. */
  batches(): AsyncIterableIterator<Batch> {
    const it = this[Symbol.asyncIterator]();
    return Object.assign(it, { [Symbol.asyncIterator]: () => it }) as AsyncIterableIterator<Batch>;
  }

  #next(): Promise<IteratorResult<Batch>> {
    if (this.#closed) return Promise.resolve({ done: true, value: undefined });
    if (this.#pending) return Promise.reject(new Error(`${this.path}: next() called before the previous one settled`));
    if (this.#busy === "listener") return Promise.reject(new Error(`${this.path}: already reading with start()`));
    this.#busy = "iterator";
    if (this.#streak < this.#readsPerWakeup) {
      let n: number;
      try {
        n = this.#device.read(this.#buffer, this.#slotsPerRead);
      } catch (err) {
        this.#busy = null;
        this.close();
        return Promise.reject(err);
      }
      if (n > 0) {
        this.#streak++;
        this.#busy = null;
        return Promise.resolve({ done: false, value: this.#batch(n) });
      }
    }
    this.#streak = 0;
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#device.start(this.#buffer, this.#slotsPerRead, 1, (err, n) => {
        this.#device.stop();
        const pending = this.#pending;
        this.#pending = null;
        this.#busy = null;
        if (!pending) return;
        if (err) {
          this.close();
          pending.reject(err);
          return;
        }
        this.#streak = 1;
        pending.resolve({ done: false, value: this.#batch(n) });
      });
    });
  }

  /**
   * Callback form: `listener(null, batch)` for every batch until close(), or
   * `listener(error, null)` once when reading fails (the reader is then
   * closed). A listener that returns a promise holds the next read until the
   * promise settles. The batch is valid until the listener returns (or its
   * promise settles).
   */
  start(listener: BatchListener): this {
    if (this.#closed) throw new ReaderClosedError(this.path);
    if (this.#busy) throw new Error(`${this.path}: already reading with the ${this.#busy} form`);
    this.#busy = "listener";
    const resume = (): void => {
      if (this.#closed || this.#busy !== "listener") return;
      this.#device.start(this.#buffer, this.#slotsPerRead, this.#readsPerWakeup, onRead);
    };
    const onRead = (err: NodeJS.ErrnoException | null, n: number): void => {
      if (err) {
        this.close();
        listener(err, null);
        return;
      }
      const result = listener(null, this.#batch(n));
      if (result && typeof (result as Promise<unknown>).then === "function") {
        this.#device.stop();
        (result as Promise<unknown>).then(resume, (e: unknown) => {
          this.close();
          listener(e instanceof Error ? e : new Error(String(e)), null);
        });
      }
    };
    resume();
    return this;
  }

  /** Ends the callback form; the reader stays open. */
  stop(): void {
    if (this.#busy !== "listener") return;
    this.#busy = null;
    if (!this.#closed) this.#device.stop();
  }

  /**
   * A Readable in object mode. Batches are copied out of the reader's buffer
   * (a stream may hold several); `highWaterMark` bounds how many.
   */
  stream(options: { highWaterMark?: number } = {}): Readable {
    const it = this[Symbol.asyncIterator]();
    let reading = false;
    const readable = new Readable({
      objectMode: true,
      highWaterMark: options.highWaterMark ?? 4,
      read: () => {
        if (reading) return;
        reading = true;
        it.next().then(
          (r) => {
            reading = false;
            readable.push(r.done ? null : copyBatch(r.value));
          },
          (err: unknown) => {
            reading = false;
            // close() ends the stream; any other error destroys it.
            if (err instanceof ReaderClosedError) readable.push(null);
            else readable.destroy(err as Error);
          },
        );
      },
      destroy: (err, callback) => {
        this.close();
        callback(err);
      },
    });
    return readable;
  }

  /**
   * Closes the device. Idempotent. A pending next() rejects with a
   * {@link ReaderClosedError}.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#busy = null;
    this.#device.close();
    const pending = this.#pending;
    this.#pending = null;
    pending?.reject(new ReaderClosedError(this.path));
  }
}
