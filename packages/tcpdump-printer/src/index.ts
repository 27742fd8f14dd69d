// @pval/tcpdump-printer: tcpdump-compatible text for packets, option 222
// included. Public re-exports only.

export {
  formatPacket,
  formatPackets,
  type HexMode,
  PacketPrinter,
  type PrintablePacket,
  type PrintOptions,
} from "./printer.js";
export * from "./slot-format.js";
export {
  type Precision,
  TimestampFormatter,
  type TimestampMode,
  timestampModeFromCount,
} from "./timestamp.js";
