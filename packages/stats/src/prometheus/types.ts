// What the exporter reads: the analyser's snapshot, typed structurally so the
// exporter depends on the figures it exports and nothing else. Values of a
// distribution are in nanoseconds; the exporter converts them to seconds.

/** A distribution of the analyser (exact count, sum, min, max; buckets from the histogram). */
export interface SnapshotDist {
  readonly count: number;
  /** Sum of the values, ns. */
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** Number of values <= `le` ns (within the histogram's relative error). */
  cumulativeCount(le: number): number;
}

/** One stream of the snapshot: (source address, option cpu), optionally per link. */
export interface SnapshotStream {
  readonly src: string;
  readonly cpu: number;
  /** The link the stream was received on, when several links are analysed. */
  readonly link?: string;
  readonly received: number;
  readonly duplicates: number;
  readonly missing: number;
  readonly reordered: number;
  /** With the sender's TX copies; null without. */
  readonly sent: number | null;
  readonly lost: number | null;
  /** When the stream last got a packet (ms, any monotonic clock): the least recent are dropped first. */
  readonly lastSeenMs: number;
  readonly interval: SnapshotDist | null;
  readonly ipdv: SnapshotDist | null;
  /** The analyser's bounds: what fell outside them (absent: not counted by this analyser). */
  readonly beyond_window?: number;
  readonly join_late?: number;
  readonly join_forced?: number;
  readonly rx_without_tx?: number;
  readonly seq_out_of_range?: number;
}

export interface StatsSnapshotLike {
  readonly streams: readonly SnapshotStream[];
  /** Packets without a well-formed option 222. */
  readonly no_option: number;
  /** Non-IPv4 frames. */
  readonly not_ipv4: number;
  /** Streams the analyser evicted to stay within its stream limit. */
  readonly streams_dropped: number;
  /** The same counts for the TX copies (absent without them). */
  readonly tx_no_option?: number;
  readonly tx_not_ipv4?: number;
  /** Packets later than the reorder horizon, per side. */
  readonly rx_reorder_late?: number;
  readonly tx_reorder_late?: number;
}

/** The pval counters of one link (IFLA_PVAL_STATS); one the module does not report is absent. */
export interface LinkCounters {
  readonly link: string;
  readonly ipoptInserted?: bigint | number;
  readonly ipoptSkipped?: bigint | number;
  readonly txCopyDrops?: bigint | number;
  readonly rxCopyDrops?: bigint | number;
  readonly txtstampBusy?: bigint | number;
}

/** The counters of one character device's ring (PVAL_IOC_RING_STATS). */
export interface RingCounters {
  readonly link: string;
  /** /dev/pval/<link>-<direction>-cpu-<cpu> */
  readonly device: string;
  readonly direction: "tx" | "rx";
  readonly cpu: number;
  readonly copied: number;
  readonly droppedFull: number;
  readonly droppedNomem: number;
  readonly read: number;
}

/** What the kernel says about the links, read at scrape time. */
export interface KernelCounters {
  readonly links: readonly LinkCounters[];
  readonly rings: readonly RingCounters[];
  /** Links whose counters could not be read this time (deleted link, old module), by name. */
  readonly failedLinks?: readonly string[];
}

/** Where the exporter gets its figures at scrape time. */
export interface StatsSource {
  snapshot(): StatsSnapshotLike;
  /** Kernel counters of the analysed links; absent when reading a file. */
  kernelCounters?(): Promise<KernelCounters> | KernelCounters;
}
