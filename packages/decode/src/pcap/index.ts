export { CaptureFormatError } from "./errors.js";
export {
  type CaptureFormat,
  type CaptureInfo,
  type CaptureInterface,
  CaptureReader,
  type CaptureRecord,
  LINKTYPE_ETHERNET,
  MAX_CAPLEN,
  type RecordCallback,
  type TimestampPrecision,
} from "./reader.js";
export { type FileRecordCallback, readCaptureFile, readCaptureStream } from "./stream.js";
export { divU64, joinNanoseconds, type SplitTime, splitTimestamp } from "./timestamp.js";
export {
  type PacketToWrite,
  type PcapHeaderOptions,
  type PcapngHeaderOptions,
  pcapFileHeader,
  pcapngFileHeader,
  pcapngRecord,
  pcapRecord,
} from "./writer.js";
