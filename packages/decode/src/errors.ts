// Typed errors of @pval/decode.
//
// Two kinds, as callers need to tell them apart: `NeedMoreBytesError` (a
// `RangeError`) says the input stopped before a structure was complete — more
// bytes, or a longer capture, would fix it; `DecodeError` says the bytes that
// are there are wrong (a length field below its minimum, a version that is not
// the one the ethertype promised). Both carry the layer and the byte offset.

/** The protocol layers this package decodes, named as a printer would show them. */
export type Layer =
  | "slot"
  | "ethernet"
  | "vlan"
  | "arp"
  | "ipv4"
  | "ipv6"
  | "ipv6-hop-by-hop"
  | "ipv6-routing"
  | "ipv6-fragment"
  | "ipv6-destination"
  | "icmp"
  | "icmpv6"
  | "tcp"
  | "udp";

/** Why a structure is malformed: stable codes to branch on. */
export type DecodeErrorCode =
  | "SLOT_LEN_TOO_LARGE"
  | "SLOT_LEN_EXCEEDS_PKTLEN"
  | "BAD_VERSION"
  | "BAD_HEADER_LENGTH"
  | "BAD_TOTAL_LENGTH"
  | "BAD_OPTION_LENGTH"
  | "BAD_ADDRESS_LENGTH";

/** The bytes are there but wrong. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
  readonly code: DecodeErrorCode;
  readonly layer: Layer;
  readonly offset: number;

  constructor(code: DecodeErrorCode, layer: Layer, offset: number, message: string) {
    super(`${layer} at offset ${offset}: ${message}`);
    this.code = code;
    this.layer = layer;
    this.offset = offset;
  }
}

/** The input ended before a structure was complete. */
export class NeedMoreBytesError extends RangeError {
  override readonly name = "NeedMoreBytesError";
  readonly layer: Layer;
  readonly offset: number;
  /** Bytes the structure needs from `offset`. */
  readonly needed: number;
  /** Bytes that were available from `offset`. */
  readonly available: number;

  constructor(layer: Layer, offset: number, needed: number, available: number) {
    super(`${layer} at offset ${offset}: need ${needed} bytes, have ${Math.max(available, 0)}`);
    this.layer = layer;
    this.offset = offset;
    this.needed = needed;
    this.available = Math.max(available, 0);
  }
}
