// @pval/decode: zero-copy decoding of pval slots and the frames in them.
// Public re-exports only.

export {
  type ChecksumReport,
  internetChecksum,
  onesComplementSum,
  pseudoHeaderSum,
  verifyChecksums,
} from "./checksum.js";
export {
  type ArpSpec,
  type EthernetSpec,
  encodeFrame,
  encodePacket,
  encodePvalOption,
  type FrameSpec,
  type IcmpSpec,
  type Icmpv6Spec,
  type Ipv4OptionSpec,
  type Ipv4Spec,
  type Ipv6ExtensionSpec,
  type Ipv6Spec,
  type PacketSpec,
  type TcpOptionSpec,
  type TcpSpec,
  type UdpSpec,
  type VlanSpec,
} from "./encode.js";
export { DecodeError, type DecodeErrorCode, type Layer, NeedMoreBytesError } from "./errors.js";
export {
  FieldStatus,
  PvalFieldColumns,
  PvalFields,
  readPvalFieldColumns,
  readPvalFields,
  readPvalFieldsFromFrame,
} from "./fields.js";
export { ipv4FromString, ipv4ToString, ipv6ToString, macToString } from "./format.js";
export {
  type ArpPacket,
  type DecodeOptions,
  decodeFrame,
  decodeFrameStrict,
  decodePacket,
  decodeSlot,
  type EthernetHeader,
  EtherType,
  type Frame,
  type IcmpMessage,
  type Icmpv6Message,
  IpProtocol,
  type Ipv4Header,
  type Ipv4Option,
  Ipv4OptionType,
  type Ipv6Extension,
  type Ipv6Header,
  type Ipv6Option,
  type Malformation,
  type Packet,
  TcpFlag,
  type TcpHeader,
  type TcpOption,
  TcpOptionKind,
  type Truncation,
  throwIfFlawed,
  type UdpHeader,
  type VlanTag,
} from "./frame.js";
export {
  PVAL_IPOPT_LEN,
  PVAL_IPOPT_TYPE,
  PVAL_SLOT_PKT_SIZE,
  PvalIpoptLayout,
  PvalSlotLayout,
} from "./generated/abi.js";
export * from "./pcap/index.js";
export { NATIVE_LITTLE_ENDIAN, SLOT_SIZE, SlotBatch, type SlotInit, SlotStatus } from "./slots.js";
