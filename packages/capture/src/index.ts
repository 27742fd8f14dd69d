// @pval/capture: live capture on a network interface through libpcap, so
// tcpdump's filter expressions work. The addon (native/capture.cc) waits on
// libpcap's descriptor with libuv and hands each wakeup's packets over in one
// buffer; this wrapper turns them into packets, as callbacks or an async
// iterator. Batch layout (native byte order): per packet u32 sec_hi,
// u32 sec_lo, u32 nsec, u32 caplen, u32 origlen, then the bytes padded to 4.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** One captured packet. `data` is a view into the batch: copy what you keep. */
export interface LivePacket {
  tsSec: number;
  /** Fraction of the second in nanoseconds (microsecond precision when the kernel gives no more). */
  tsNsec: number;
  data: Uint8Array;
  origlen: number;
}

export interface CaptureOptions {
  /** Bytes kept of each packet (default 262144, as tcpdump). */
  snaplen?: number;
  /** Put the interface in promiscuous mode (default true, as tcpdump). */
  promiscuous?: boolean;
  /** A tcpdump filter expression, e.g. `icmp or arp`. */
  filter?: string;
}

export interface CaptureStats {
  received: number;
  dropped: number;
  ifDropped: number;
}

interface NativeCapture {
  setFilter(expression: string): void;
  start(callback: (err: Error | null, batch: Buffer | null, count: number) => void): void;
  stop(): void;
  close(): void;
  datalink(): number;
  stats(): CaptureStats;
}

interface Binding {
  Capture: new (device: string, snaplen: number, promisc: boolean) => NativeCapture;
}

let binding: Binding | undefined;

function native(): Binding {
  if (binding) return binding;
  const require = createRequire(import.meta.url);
  const load = require("node-gyp-build") as (dir: string) => unknown;
  try {
    binding = load(fileURLToPath(new URL("..", import.meta.url))) as Binding;
  } catch (err) {
    // node-gyp-build's "No native build was found for platform=… libc=…", on one line.
    const why = String(err instanceof Error ? err.message : err)
      .trim()
      .replace(/\s*\n\s*/g, "; ");
    throw new Error(
      `@pval/capture: ${why}; \`npm rebuild @pval/capture\` compiles it (python3, make, g++, libpcap-dev)`,
      {
        cause: err,
      },
    );
  }
  return binding;
}

/** Thrown to a pending iterator read when the capture is closed. */
export class CaptureClosedError extends Error {
  override readonly name = "CaptureClosedError";
  readonly code = "ECAPTURECLOSED";
  constructor() {
    super("capture closed");
  }
}

const LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Splits one batch from the addon into packets. */
export function* batchPackets(batch: Uint8Array): Generator<LivePacket> {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  let at = 0;
  while (at + 20 <= batch.length) {
    const secHi = view.getUint32(at, LE);
    const secLo = view.getUint32(at + 4, LE);
    const nsec = view.getUint32(at + 8, LE);
    const caplen = view.getUint32(at + 12, LE);
    const origlen = view.getUint32(at + 16, LE);
    if (at + 20 + caplen > batch.length) throw new RangeError(`capture batch: packet at ${at} overruns the batch`);
    yield { tsSec: secHi * 4294967296 + secLo, tsNsec: nsec, data: batch.subarray(at + 20, at + 20 + caplen), origlen };
    at += 20 + ((caplen + 3) & ~3);
  }
}

/** A live capture on one interface. */
export class LiveCapture {
  readonly device: string;
  readonly #native: NativeCapture;
  #open = true;
  #waiters: { resolve: (v: IteratorResult<LivePacket>) => void; reject: (e: unknown) => void }[] = [];
  #queue: LivePacket[] = [];
  #failure: Error | null = null;
  #iterating = false;

  constructor(device: string, options: CaptureOptions = {}) {
    if (typeof device !== "string" || device === "") throw new TypeError("device must be a non-empty string");
    this.device = device;
    this.#native = new (native().Capture)(device, options.snaplen ?? 262144, options.promiscuous ?? true);
    try {
      if (options.filter !== undefined && options.filter.trim() !== "") this.#native.setFilter(options.filter);
    } catch (err) {
      this.#native.close();
      throw err;
    }
  }

  /** libpcap's DLT_ value of the interface (1 for Ethernet). */
  get linktype(): number {
    return this.#native.datalink();
  }

  stats(): CaptureStats {
    return this.#native.stats();
  }

  /** Calls `onPackets` for each wakeup's packets; `onError` once on failure. */
  start(onPackets: (packets: LivePacket[]) => void, onError: (err: Error) => void = () => {}): void {
    this.#native.start((err, batch) => {
      if (err) {
        onError(err);
        return;
      }
      if (batch) onPackets([...batchPackets(batch)]);
    });
  }

  /** Packets as an async iterator; ends with CaptureClosedError being swallowed on close(). */
  async *[Symbol.asyncIterator](): AsyncGenerator<LivePacket> {
    if (this.#iterating) throw new Error("capture is already being iterated");
    this.#iterating = true;
    this.start(
      (packets) => {
        for (const p of packets) {
          const copy = { ...p, data: p.data.slice() };
          const w = this.#waiters.shift();
          if (w) w.resolve({ value: copy, done: false });
          else this.#queue.push(copy);
        }
      },
      (err) => {
        this.#failure = err;
        for (const w of this.#waiters.splice(0)) w.reject(err);
      },
    );
    for (;;) {
      const next = this.#queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#failure) throw this.#failure;
      if (!this.#open) return;
      try {
        const r = await new Promise<IteratorResult<LivePacket>>((resolve, reject) =>
          this.#waiters.push({ resolve, reject }),
        );
        if (r.done) return;
        yield r.value;
      } catch (err) {
        if (err instanceof CaptureClosedError) return;
        throw err;
      }
    }
  }

  /** Stops and releases the capture; idempotent. A pending iterator read ends. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#native.close();
    for (const w of this.#waiters.splice(0)) w.reject(new CaptureClosedError());
  }
}

/** Opens a live capture on `device` (needs CAP_NET_RAW, as tcpdump). */
export function openCapture(device: string, options: CaptureOptions = {}): LiveCapture {
  return new LiveCapture(device, options);
}
