// @pval/capture: live capture on a network interface through libpcap, so
// tcpdump's filter expressions work, and the same filters compiled for
// packets read from files. The addon (native/capture.cc) waits on libpcap's
// descriptor with libuv and hands each wakeup's packets over in one buffer;
// this wrapper turns them into packets, as callbacks or an async iterator. Batch layout (native byte order): per packet u32 sec_hi,
// u32 sec_lo, u32 nsec, u32 caplen, u32 origlen, then the bytes padded to 4.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** One captured packet. `data` is a view into the batch: copy what you keep. */
export interface LivePacket {
  /** libpcap's DLT_ value of the capture (the packet's link-layer header). */
  linktype: number;
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
  /**
   * The link type to capture with (tcpdump's -y), e.g. {@link DLT_LINUX_SLL2}
   * on `any`; default: the device's own.
   */
  linktype?: number;
  /**
   * Packets the async iterator holds for a consumer that has not asked for
   * them yet (default 8192); more are dropped and counted in
   * {@link CaptureStats.queueDropped}.
   */
  queueLimit?: number;
}

export interface CaptureStats {
  /** libpcap's ps_recv: packets that passed the filter, as tcpdump's "received by filter". */
  received: number;
  /** libpcap's ps_drop: dropped for lack of buffer space ("dropped by kernel"). */
  dropped: number;
  /** libpcap's ps_ifdrop: dropped by the interface or its driver ("dropped by interface"). */
  ifDropped: number;
  /** Packets the async iterator dropped because its queue was full. */
  queueDropped: number;
}

/** libpcap's DLT_ values of the link types pval prints. */
export const DLT_EN10MB = 1;
export const DLT_LINUX_SLL = 113;
export const DLT_LINUX_SLL2 = 276;

interface NativeStats {
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
  stats(): NativeStats;
}

interface NativeFilter {
  matches(bytes: Uint8Array, offset: number, caplen: number, wireLength: number): boolean;
}

interface Binding {
  Capture: new (device: string, snaplen: number, promisc: boolean, linktype: number) => NativeCapture;
  Filter: new (expression: string, linktype: number, snaplen: number, netmask: number) => NativeFilter;
  interfaceName(index: number): string | null;
  linktypeName(linktype: number): { name: string; description: string } | null;
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

/** A filter expression libpcap cannot compile; `reason` is libpcap's message. */
export class FilterError extends Error {
  override readonly name = "FilterError";
  readonly code = "EFILTER";
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`filter "${expression}": ${reason}`);
  }
}

function checkSnaplen(snaplen: number): void {
  if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 262144) {
    throw new RangeError(`snaplen ${snaplen} is not an integer in 1..262144`);
  }
}

/**
 * A tcpdump filter compiled for one link type, applied to packets that did
 * not come from a live capture (a file's records): libpcap's
 * pcap_open_dead, pcap_compile and pcap_offline_filter.
 */
export class OfflineFilter {
  readonly #native: NativeFilter;

  constructor(
    readonly expression: string,
    readonly linktype: number,
    readonly snaplen: number,
    netmask: number,
  ) {
    this.#native = new (native().Filter)(expression, linktype, snaplen, netmask);
  }

  /** True when the packet (its captured bytes, and its length on the wire) passes the filter. */
  matches(packet: Uint8Array, wireLength: number = packet.length): boolean {
    return this.#native.matches(packet, 0, packet.length, wireLength);
  }

  /** {@link matches} on `bytes[offset, offset + caplen)`, without making a view. */
  matchesAt(bytes: Uint8Array, offset: number, caplen: number, wireLength: number): boolean {
    return this.#native.matches(bytes, offset, caplen, wireLength);
  }
}

export interface CompileOptions {
  /** The network mask for `ip broadcast` (default 0, as tcpdump). */
  netmask?: number;
}

/**
 * Compiles a tcpdump filter expression for packets of link type `linktype`
 * (DLT_ value: 1 Ethernet, 113 Linux cooked, 276 Linux cooked v2) cut at
 * `snaplen` bytes. Throws FilterError with libpcap's message when the
 * expression is bad or does not apply to the link type.
 */
export function compileFilter(
  expression: string,
  linktype: number,
  snaplen = 262144,
  options: CompileOptions = {},
): OfflineFilter {
  if (typeof expression !== "string") throw new TypeError("filter expression must be a string");
  if (!Number.isInteger(linktype) || linktype < 0 || linktype > 0xffff) {
    throw new RangeError(`link type ${linktype} is not an integer in 0..65535`);
  }
  checkSnaplen(snaplen);
  const netmask = options.netmask ?? 0;
  try {
    return new OfflineFilter(expression, linktype, snaplen, netmask);
  } catch (err) {
    if (err instanceof Error && !(err instanceof TypeError)) throw new FilterError(expression, err.message);
    throw err;
  }
}

/** The name of interface `index` in this process's network namespace (if_indextoname), or undefined. */
export function interfaceName(index: number): string | undefined {
  return native().interfaceName(index) ?? undefined;
}

/** libpcap's name and description of a link type (`LINUX_SLL2`, `Linux cooked v2`), or undefined. */
export function linktypeName(linktype: number): { name: string; description: string } | undefined {
  return native().linktypeName(linktype) ?? undefined;
}

const LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Splits one batch from the addon into packets of link type `linktype`. */
export function* batchPackets(batch: Uint8Array, linktype = DLT_EN10MB): Generator<LivePacket> {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  let at = 0;
  while (at + 20 <= batch.length) {
    const secHi = view.getUint32(at, LE);
    const secLo = view.getUint32(at + 4, LE);
    const nsec = view.getUint32(at + 8, LE);
    const caplen = view.getUint32(at + 12, LE);
    const origlen = view.getUint32(at + 16, LE);
    if (at + 20 + caplen > batch.length) throw new RangeError(`capture batch: packet at ${at} overruns the batch`);
    yield {
      linktype,
      tsSec: secHi * 4294967296 + secLo,
      tsNsec: nsec,
      data: batch.subarray(at + 20, at + 20 + caplen),
      origlen,
    };
    at += 20 + ((caplen + 3) & ~3);
  }
}

type Waiter = { resolve: (v: IteratorResult<LivePacket>) => void; reject: (e: unknown) => void };

/** A live capture on one interface. */
export class LiveCapture {
  readonly device: string;
  /** libpcap's DLT_ value of the capture (1 Ethernet, 113 or 276 Linux cooked on `any`); kept after close(). */
  readonly linktype: number;
  readonly queueLimit: number;
  readonly #native: NativeCapture;
  #open = true;
  #waiters: Waiter[] = [];
  #queue: LivePacket[] = [];
  /** Index of the next packet to hand out of #queue (it is compacted when drained). */
  #head = 0;
  #queueDropped = 0;
  #failure: Error | null = null;
  #iterating = false;
  #final: NativeStats | undefined;

  constructor(device: string, options: CaptureOptions = {}) {
    if (typeof device !== "string" || device === "") throw new TypeError("device must be a non-empty string");
    const snaplen = options.snaplen ?? 262144;
    checkSnaplen(snaplen);
    const limit = options.queueLimit ?? 8192;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`queueLimit ${limit} is not a positive integer`);
    this.device = device;
    this.queueLimit = limit;
    this.#native = new (native().Capture)(device, snaplen, options.promiscuous ?? true, options.linktype ?? -1);
    try {
      this.linktype = this.#native.datalink();
      const filter = options.filter;
      if (filter !== undefined && filter.trim() !== "") {
        try {
          this.#native.setFilter(filter);
        } catch (err) {
          throw err instanceof Error && !(err instanceof TypeError) ? new FilterError(filter, err.message) : err;
        }
      }
    } catch (err) {
      this.#native.close();
      throw err;
    }
  }

  /** The counters; after close(), their values at the close. */
  stats(): CaptureStats {
    const s = this.#open ? this.#native.stats() : (this.#final ?? { received: 0, dropped: 0, ifDropped: 0 });
    return { ...s, queueDropped: this.#queueDropped };
  }

  /** Calls `onPackets` for each wakeup's packets; `onError` once on failure. */
  start(onPackets: (packets: LivePacket[]) => void, onError: (err: Error) => void = () => {}): void {
    this.#native.start((err, batch) => {
      if (err) {
        onError(err);
        return;
      }
      if (batch) onPackets([...batchPackets(batch, this.linktype)]);
    });
  }

  #push(packets: LivePacket[]): void {
    for (const p of packets) {
      const w = this.#waiters.shift();
      if (w) {
        w.resolve({ value: { ...p, data: p.data.slice() }, done: false });
      } else if (this.#queue.length - this.#head < this.queueLimit) {
        this.#queue.push({ ...p, data: p.data.slice() });
      } else {
        this.#queueDropped++;
      }
    }
  }

  #next(): Promise<IteratorResult<LivePacket>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head++]!;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#failure) {
      const failure = this.#failure;
      this.#failure = null;
      return Promise.reject(failure);
    }
    if (!this.#open) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * Packets as an async iterator, until close(). Leaving a `for await` loop
   * (break, return, throw) closes the capture; a failure of the capture
   * closes it and rejects the next read. Packets the loop has not taken yet
   * wait in a queue of `queueLimit` packets; beyond it they are dropped and
   * counted (stats().queueDropped).
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<LivePacket> {
    if (this.#iterating) throw new Error("capture is already being iterated");
    this.#iterating = true;
    if (this.#open) {
      this.start(
        (packets) => this.#push(packets),
        (err) => {
          const waiters = this.#waiters.splice(0);
          if (waiters.length > 0) for (const w of waiters) w.reject(err);
          else this.#failure = err;
          this.close();
        },
      );
    }
    const iterator: AsyncIterableIterator<LivePacket> = {
      next: () => this.#next(),
      return: (value?: unknown) => {
        this.close();
        return Promise.resolve({ value: value as LivePacket, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Stops and releases the capture; idempotent. Pending iterator reads end; queued packets are still handed out. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      this.#final = this.#native.stats();
    } catch {
      // Some devices keep no counters: the stats stay at zero.
    }
    this.#native.close();
    for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }
}

/** Opens a live capture on `device` (needs CAP_NET_RAW, as tcpdump). */
export function openCapture(device: string, options: CaptureOptions = {}): LiveCapture {
  return new LiveCapture(device, options);
}
