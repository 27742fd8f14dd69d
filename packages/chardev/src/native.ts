// Loads the compiled addon (native/*.cc) and checks it against the ABI the
// TypeScript side was generated from.
//
// node-gyp-build takes build/Release/ when a local compile put a binary there,
// else the prebuilt one in prebuilds/<platform>-<arch>/ whose tags (N-API,
// glibc or musl) fit this process; a package installed without running its
// install script therefore still finds its addon.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { PvalSlotLayout } from "./generated/abi.js";

/** Counters of one ring, from the PVAL_IOC_RING_STATS ioctl. */
export interface RingStats {
  /** Slots written into the ring. */
  copied: number;
  /** Copies lost because the ring was full. */
  droppedFull: number;
  /** Copies lost for lack of memory. */
  droppedNomem: number;
  /** Slots handed to readers. */
  read: number;
}

/** The native Device class (native/poller.h). */
/** How a reader thread kept up with its device (for diagnosing ring drops). */
export interface ReaderStats {
  /** Buffer chunks the thread allocated itself because no spare was ready, each a pause in reading. */
  allocations: number;
  /** Reads that returned slots. */
  reads: number;
  /** The most slots one read returned: how full the ring got. */
  maxReadSlots: number;
  /** The longest time, ns, from the end of a read that returned slots to the next read. */
  maxGapNs: number;
  /** The longest wait, ns, for the ring's next wakeup after a read that emptied it. */
  maxWaitNs: number;
  /** In the longest gap: page faults the thread took. */
  gapFaults: number;
  /** In the longest gap: times the thread gave up the CPU (a lock, memory). */
  gapWaits: number;
  /** In the longest gap: times the thread was preempted. */
  gapPreemptions: number;
  /** The longest read(2), ns. */
  maxReadNs: number;
  /** The longest time, ns, from the ring's wakeup to the read that followed. */
  maxWokeToReadNs: number;
}

export interface NativeDevice {
  readonly fd: number;
  readonly path: string;
  readonly polling: boolean;
  /** Slots the reader thread holds (0 without a buffer). */
  readonly buffered: number;
  /** How the reader thread is scheduled; null without one. */
  readonly scheduling: string | null;
  /** How the reader thread kept up; null without one. */
  readonly readerStats: ReaderStats | null;
  read(buffer: ArrayBuffer, maxSlots: number): number;
  start(
    buffer: ArrayBuffer,
    maxSlots: number,
    budget: number,
    onBatch: (err: NodeJS.ErrnoException | null, slots: number) => void,
  ): void;
  stop(): void;
  /** Ends the reader thread, keeping what it read. */
  halt(): void;
  /** Sets this file's wakeup threshold (0: the module's); returns the one in effect. ENOTTY from an older pval.ko. */
  wakeSlots(slots: number): number;
  close(): void;
  stats(): RingStats;
}

export interface NativeBinding {
  Device: new (path: string, flags?: number, bufferBytes?: number) => NativeDevice;
  SLOT_SIZE: number;
  MAX_SLOTS_PER_READ: number;
  RING_STATS_IOCTL: number;
  SET_WAKE_SLOTS_IOCTL: number;
  GET_WAKE_SLOTS_IOCTL: number;
  FLAG_BYTE_STREAM: number;
}

let binding: NativeBinding | undefined;

/** The addon, loaded on first use. */
export function native(): NativeBinding {
  if (binding) return binding;
  const require = createRequire(import.meta.url);
  const load = require("node-gyp-build") as (dir: string) => unknown;
  // src/native.ts and dist/index.js both sit one level below the package root.
  const root = fileURLToPath(new URL("..", import.meta.url));
  let loaded: NativeBinding;
  try {
    loaded = load(root) as NativeBinding;
  } catch (err) {
    // node-gyp-build's "No native build was found for platform=… libc=…", on one line.
    const why = String(err instanceof Error ? err.message : err)
      .trim()
      .replace(/\s*\n\s*/g, "; ");
    throw new Error(`@pval/chardev: ${why}; \`npm rebuild @pval/chardev\` compiles it (python3, make, g++)`, {
      cause: err,
    });
  }
  if (loaded.SLOT_SIZE !== PvalSlotLayout.size) {
    throw new Error(
      `@pval/chardev: the addon was built for ${loaded.SLOT_SIZE}-byte slots, this package for ${PvalSlotLayout.size}; rebuild it`,
    );
  }
  binding = loaded;
  return binding;
}
