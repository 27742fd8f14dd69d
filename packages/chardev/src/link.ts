// All the character devices of one pval link, read together.
//
// openLink("pval0") finds /dev/pval/pval0-{tx,rx}-cpu-N (the link name is
// matched whole, so "pval0" never picks up "pval0-a"'s devices), opens them
// all and merges their batches: each batch says its device, direction and
// CPU. Each device keeps its own buffer and reads only after the consumer
// has taken its previous batch, so back-pressure holds per device.

import { readdirSync } from "node:fs";
import { DEVICE_DIR, type DeviceName, type Direction, parseDeviceName } from "./device-name.js";
import { ReaderClosedError } from "./errors.js";
import type { RingStats } from "./native.js";
import { type Batch, type BatchListener, type ReaderOptions, SlotReader } from "./reader.js";

export interface LinkOptions extends ReaderOptions {
  /** Read the TX devices (default true). */
  tx?: boolean;
  /** Read the RX devices (default true). */
  rx?: boolean;
  /** Only these CPUs (default: every CPU that has a device). */
  cpus?: readonly number[];
  /** Where the devices are (default /dev/pval). */
  dir?: string;
}

/** A device found for a link. */
export interface DeviceEntry extends DeviceName {
  path: string;
}

function notFound(message: string, path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`ENOENT: ${message}`);
  err.code = "ENOENT";
  err.errno = -2;
  err.syscall = "scandir";
  err.path = path;
  return err;
}

/** Lists a link's devices, TX before RX, by CPU. Throws ENOENT when there are none. */
export function discoverDevices(link: string, options: LinkOptions = {}): DeviceEntry[] {
  if (typeof link !== "string" || link === "") throw new TypeError("link name must be a non-empty string");
  const dir = options.dir ?? DEVICE_DIR;
  const want: Direction[] = [];
  if (options.tx ?? true) want.push("tx");
  if (options.rx ?? true) want.push("rx");
  if (want.length === 0) throw new RangeError("tx and rx are both off: nothing to read");
  const cpus = options.cpus;
  if (cpus) {
    for (const cpu of cpus) {
      if (!Number.isInteger(cpu) || cpu < 0) throw new RangeError(`cpu must be a non-negative integer, got ${cpu}`);
    }
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw notFound(`no pval devices: ${dir} does not exist (is pval.ko loaded?)`, dir);
    }
    throw err;
  }
  const all: DeviceEntry[] = [];
  for (const name of names) {
    const parsed = parseDeviceName(name);
    if (!parsed || parsed.link !== link || !want.includes(parsed.direction)) continue;
    all.push({ ...parsed, path: `${dir}/${name}` });
  }
  if (all.length === 0) {
    throw notFound(`no such pval link devices: ${link} has no ${want.join("/")} device in ${dir}`, dir);
  }
  const found = cpus ? all.filter((d) => cpus.includes(d.cpu)) : all;
  if (cpus) {
    const missing = cpus.filter((cpu) => !found.some((d) => d.cpu === cpu));
    if (missing.length > 0) throw notFound(`${link} has no device for CPU ${missing.join(", ")} in ${dir}`, dir);
  }
  found.sort((a, b) => (a.direction === b.direction ? a.cpu - b.cpu : a.direction === "tx" ? -1 : 1));
  return found;
}

/** Opens every device of `link` (see {@link LinkOptions}). */
export function openLink(link: string, options: LinkOptions = {}): LinkReader {
  const entries = discoverDevices(link, options);
  return new LinkReader(
    link,
    entries.map((e) => e.path),
    options,
    entries,
  );
}

/** Opens several devices as one reader (the devices may belong to different links). */
export function openDevices(paths: readonly string[], options: ReaderOptions = {}): LinkReader {
  if (paths.length === 0) throw new RangeError("no device to open");
  return new LinkReader(paths.join(","), paths, options);
}

type Settled = { reader: SlotReader; result: IteratorResult<Batch> } | { reader: SlotReader; error: unknown };

export class LinkReader implements AsyncIterable<Batch> {
  /** The link name (or the joined paths for openDevices). */
  readonly name: string;
  readonly readers: readonly SlotReader[];
  #closed = false;

  constructor(name: string, paths: readonly string[], options: ReaderOptions, entries?: readonly DeviceEntry[]) {
    this.name = name;
    const readers: SlotReader[] = [];
    try {
      paths.forEach((path, i) => {
        readers.push(new SlotReader(path, options, entries?.[i]));
      });
    } catch (err) {
      for (const r of readers) r.close();
      throw err;
    }
    this.readers = readers;
  }

  get open(): boolean {
    return !this.#closed;
  }

  /** Slots read so far, all devices. */
  get slotsRead(): number {
    return this.readers.reduce((sum, r) => sum + r.slotsRead, 0);
  }

  /** Each device's ring counters, by path. */
  stats(): Map<string, RingStats> {
    return new Map(this.readers.map((r) => [r.path, r.stats()]));
  }

  /** One non-blocking read of every device; the non-empty batches. */
  readBatches(): Batch[] {
    if (this.#closed) throw new ReaderClosedError(this.name);
    const out: Batch[] = [];
    for (const r of this.readers) {
      const b = r.readBatch();
      if (b) out.push(b);
    }
    return out;
  }

  /** Callback form over every device; see {@link SlotReader.start}. */
  start(listener: BatchListener): this {
    if (this.#closed) throw new ReaderClosedError(this.name);
    for (const r of this.readers) {
      r.start((err, batch) => {
        if (err) this.close();
        return listener(err, batch);
      });
    }
    return this;
  }

  stop(): void {
    for (const r of this.readers) r.stop();
  }

  /** {@link SlotReader.endCapture} for every device. */
  endCapture(): void {
    for (const r of this.readers) r.endCapture();
  }

  /**
   * Batches of all devices as they come. A device's next read waits until
   * its previous batch was taken by the consumer. The first error (ENODEV
   * when the link is deleted) closes every device and ends the iteration.
   */
  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    const iterators = new Map(this.readers.map((r) => [r, r[Symbol.asyncIterator]()]));
    const ready: Settled[] = [];
    let wake: (() => void) | null = null;
    let last: SlotReader | null = null;
    let active = this.readers.length;
    const request = (reader: SlotReader): void => {
      iterators
        .get(reader)!
        .next()
        .then(
          (result) => ready.push({ reader, result }),
          (error: unknown) => ready.push({ reader, error }),
        )
        .finally(() => {
          const w = wake;
          wake = null;
          w?.();
        });
    };
    const next = async (): Promise<IteratorResult<Batch>> => {
      if (last) {
        const r = last;
        last = null;
        if (!this.#closed) request(r);
      }
      for (;;) {
        if (this.#closed) return { done: true, value: undefined };
        const settled = ready.shift();
        if (settled) {
          if ("error" in settled) {
            this.close();
            throw settled.error;
          }
          if (settled.result.done) {
            active--;
            continue;
          }
          last = settled.reader;
          return settled.result;
        }
        if (active === 0) return { done: true, value: undefined };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        // Closed while this read was pending: cancel it recognisably.
        if (this.#closed) throw new ReaderClosedError(this.name);
      }
    };
    for (const r of this.readers) request(r);
    return {
      next,
      return: async () => {
        this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /** Closes every device. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Each pending device read rejects, which wakes a pending next().
    for (const r of this.readers) r.close();
  }
}
