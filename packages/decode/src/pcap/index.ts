export { CaptureFormatError } from "./errors.js";
export {
  type CaptureFormat,
  type CaptureInfo,
  type CaptureInterface,
  CaptureReader,
  type CaptureRecord,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  MAX_CAPLEN,
  type RecordCallback,
  type TimestampPrecision,
} from "./reader.js";
export { type FileRecordCallback, readCaptureFile, readCaptureStream } from "./stream.js";
export { divU64, joinNanoseconds, type SplitTime, splitTimestamp } from "./timestamp.js";
export {
  EPB_FLAG_INBOUND,
  EPB_FLAG_OUTBOUND,
  type PacketDirection,
  type PacketToWrite,
  type PcapHeaderOptions,
  type PcapngHeaderOptions,
  type PcapngInterfaceOptions,
  PcapngWriter,
  pcapFileHeader,
  pcapngFileHeader,
  pcapngInterfaceBlock,
  pcapngRecord,
  pcapngRecordLength,
  pcapngSectionHeader,
  pcapRecord,
  writePcapngRecord,
} from "./writer.js";
