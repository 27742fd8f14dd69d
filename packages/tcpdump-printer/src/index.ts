// @pval/tcpdump-printer: tcpdump-compatible text for packets, option 222
// included. Public re-exports only.

export { sysfsInterfaceNames } from "./ifname.js";
export {
  formatPacket,
  formatPackets,
  type HexMode,
  isPrintableLinktype,
  LINKTYPE_ETHERNET,
  PacketPrinter,
  PRINTABLE_LINKTYPES,
  type PrintablePacket,
  type PrintOptions,
} from "./printer.js";
export { type InterfaceNameResolver, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from "./sll.js";
export * from "./slot-format.js";
export {
  type Precision,
  TimestampFormatter,
  type TimestampMode,
  timestampModeFromCount,
} from "./timestamp.js";
