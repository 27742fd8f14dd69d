// @pval/stats: per-stream measurement of pval traffic. Public re-exports only.
export { type LostRow, type MatchRow, type SideCounters, StatsAnalyser, type StatsOptions } from "./analyser.js";
export { type CaptureSideResult, type ReadCapturesOptions, readCaptures } from "./capture.js";
export { type Dist, type DistSummary, HISTOGRAM_RELATIVE_ERROR, Histogram } from "./histogram.js";
export { plotSvg } from "./plot.js";
export { ReorderBuffer } from "./reorder-buffer.js";
export {
  captureClock,
  clockLine,
  commonClock,
  formatNs,
  formatText,
  type ReportClock,
  type StatsReport,
  type StatsSnapshot,
  type StreamReport,
  type StreamStats,
  toReport,
} from "./report.js";
export {
  type RingDropOptions,
  type RingDropsReport,
  RingDropTracker,
  type RingDropWindow,
  type RingSide,
  realtimeNs,
} from "./ring-drops.js";
export {
  type PcapngRingDrops,
  readPcapngRingDrops,
  ringDropStatisticsBlock,
  sideOfDevice,
} from "./ring-drops-pcapng.js";
export { type SeriesBin, TimeSeries } from "./series.js";
