// @pval/stats/prometheus: the Prometheus exporter of an analysis. A subpath of
// its own, so users of the analyser alone never load prom-client.

export { INTERVAL_BUCKETS_NS, IPDV_BUCKETS_NS } from "./buckets.js";
export {
  boundStreams,
  CONTENT_TYPES,
  DEFAULT_CACHE_MS,
  DEFAULT_MAX_STREAMS,
  type ExporterOptions,
  type MetricsFormat,
  StatsExporter,
} from "./exporter.js";
export {
  formatAddress,
  type ListenAddress,
  ListenAddressError,
  type MetricsServer,
  negotiateFormat,
  parseListenAddress,
  serveMetrics,
} from "./server.js";
export type {
  KernelCounters,
  LinkCounters,
  RingCounters,
  SnapshotDist,
  SnapshotStream,
  StatsSnapshotLike,
  StatsSource,
} from "./types.js";
