import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DecodeError,
  decodeAttrs,
  encodeAttribute,
  encodeAttrs,
  encodeIfInfoMsg,
  encodeMessage,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  LINK_ATTRS,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLMSG_ERROR,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
  PVAL_ATTRS,
  parseAttribute,
  parseAttributes,
  parseIfInfoMsg,
  parseMessages,
  parseNlmsgErr,
  RTM_NEWLINK,
} from "./codec.js";
import {
  IFLA_PVAL_ABI_VERSION,
  IFLA_PVAL_IPOPT,
  IFLA_PVAL_LINK,
  IFLA_PVAL_RING_SLOTS,
  IFLA_PVAL_STATS,
} from "./generated/abi.js";

const le = (n: number, bytes: number): number[] =>
  Array.from({ length: bytes }, (_, i) => Number((BigInt.asUintN(64, BigInt(n)) >> BigInt(8 * i)) & 0xffn));

describe("attributes", () => {
  it("encodes header, payload and padding to 4 bytes", () => {
    expect([...encodeAttribute(IFLA_PVAL_IPOPT, Buffer.from([1]))]).toEqual([5, 0, IFLA_PVAL_IPOPT, 0, 1, 0, 0, 0]);
    expect([...encodeAttribute(2, Buffer.alloc(0), true)]).toEqual([4, 0, 2, 0x80]);
  });

  it("encodes the pval table in attribute order, skipping undefined fields", () => {
    const buf = encodeAttrs(PVAL_ATTRS, { ringSlots: 256, ipopt: true, link: 7, txcopy: undefined });
    expect([...buf]).toEqual([
      ...[8, 0, IFLA_PVAL_LINK, 0, ...le(7, 4)],
      ...[5, 0, IFLA_PVAL_IPOPT, 0, 1, 0, 0, 0],
      ...[8, 0, IFLA_PVAL_RING_SLOTS, 0, ...le(256, 4)],
    ]);
  });

  it("round-trips every settable pval field", () => {
    const settable = fc.record(
      {
        link: fc.integer({ min: 1, max: 0xffffffff }),
        ipopt: fc.boolean(),
        txtstamp: fc.boolean(),
        rxtstamp: fc.boolean(),
        txcopy: fc.boolean(),
        rxcopy: fc.boolean(),
        txbusydrop: fc.boolean(),
        swtstamp: fc.boolean(),
        ringSlots: fc.integer({ min: 0, max: 0xffffffff }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(settable, (values) => {
        expect(decodeAttrs(PVAL_ATTRS, encodeAttrs(PVAL_ATTRS, values))).toEqual(values);
      }),
    );
  });

  it("decodes the nested counters as u64, exactly", () => {
    const stats = Buffer.concat([
      encodeAttribute(1, Buffer.alloc(0)),
      encodeAttribute(2, Buffer.from(le(46, 8))),
      encodeAttribute(6, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
    ]);
    const decoded = decodeAttrs(PVAL_ATTRS, encodeAttribute(IFLA_PVAL_STATS, stats, true));
    expect(decoded.stats).toEqual({ ipoptInserted: 46n, txtstampBusy: 2n ** 64n - 1n });
  });

  it("decodes the module's ABI version (IFLA_PVAL_ABI_VERSION, u32)", () => {
    const decoded = decodeAttrs(PVAL_ATTRS, encodeAttribute(IFLA_PVAL_ABI_VERSION, Buffer.from(le(2, 4))));
    expect(decoded).toEqual({ abiVersion: 2 });
  });

  it("keeps unknown attributes by number instead of dropping them", () => {
    const decoded = decodeAttrs(PVAL_ATTRS, encodeAttribute(200, Buffer.from([9, 9])));
    expect(Array.from((decoded.unknown as Record<number, Uint8Array>)[200]!)).toEqual([9, 9]);
  });

  it("rejects a switch value other than 0 or 1 and a payload of the wrong size", () => {
    expect(() => decodeAttrs(PVAL_ATTRS, encodeAttribute(IFLA_PVAL_IPOPT, Buffer.from([2])))).toThrow(
      "ipopt: value 2, expected 0 or 1",
    );
    expect(() => decodeAttrs(PVAL_ATTRS, encodeAttribute(IFLA_PVAL_LINK, Buffer.from([1, 0])))).toThrow(
      "link: payload is 2 bytes, expected 4",
    );
  });

  it("throws DecodeError at every truncation of a stream", () => {
    const buf = encodeAttrs(PVAL_ATTRS, { link: 3, ipopt: true, ringSlots: 64 });
    // Cuts inside an attribute fail; a cut at an attribute's end (before or
    // after its padding) leaves a shorter, valid stream, as the kernel's nla_ok() accepts.
    const boundaries = new Set([0, 8, 13, 14, 15, 16, 24]);
    for (let n = 0; n < buf.byteLength; n++) {
      if (boundaries.has(n)) expect(() => parseAttributes(buf.subarray(0, n))).not.toThrow();
      else expect(() => parseAttributes(buf.subarray(0, n))).toThrow(DecodeError);
    }
  });

  it("hands out payloads as views of the input", () => {
    const buf = encodeAttribute(IFLA_PVAL_IPOPT, Buffer.from([1]));
    const { value, consumed } = parseAttribute(buf, 0);
    expect(consumed).toBe(8);
    expect(value.payload.buffer).toBe(buf.buffer);
  });

  it("refuses to encode fields the table does not know or the kernel only reports", () => {
    expect(() => encodeAttrs(PVAL_ATTRS, { bogus: 1 })).toThrow('unknown attribute field "bogus"');
    expect(() => encodeAttrs(PVAL_ATTRS, { ipopt: 1 })).toThrow("ipopt: expected a boolean");
    expect(() => encodeAttrs(PVAL_ATTRS, { link: -1 })).toThrow(RangeError);
  });
});

describe("messages", () => {
  it("round-trips a link message with nested linkinfo", () => {
    const linkinfo = encodeAttribute(
      18,
      Buffer.concat([
        encodeAttribute(IFLA_INFO_KIND, Buffer.from("pval\0")),
        encodeAttribute(IFLA_INFO_DATA, encodeAttrs(PVAL_ATTRS, { link: 2, ipopt: false }), true),
      ]),
      true,
    );
    const msg = encodeMessage(
      { type: RTM_NEWLINK, flags: 0, seq: 9, pid: 0 },
      encodeIfInfoMsg({ index: 25, flags: 0x1003 }),
      encodeAttribute(3, Buffer.from("pval0\0")),
      linkinfo,
    );
    const [parsed] = parseMessages(Buffer.concat([msg, msg]));
    expect(parsed).toMatchObject({ type: RTM_NEWLINK, seq: 9 });
    const { value: ifi, consumed } = parseIfInfoMsg(parsed!.payload);
    expect(ifi).toEqual({ family: 0, type: 0, index: 25, flags: 0x1003, change: 0 });
    const attrs = decodeAttrs(LINK_ATTRS, parsed!.payload.subarray(consumed));
    expect(attrs.ifname).toBe("pval0");
    const info = attrs.linkinfo as { kind: string; data: Uint8Array };
    expect(info.kind).toBe("pval");
    expect(decodeAttrs(PVAL_ATTRS, info.data)).toEqual({ link: 2, ipopt: false });
  });

  it("rejects a message whose length runs past the datagram", () => {
    const msg = encodeMessage({ type: RTM_NEWLINK, flags: 0, seq: 1, pid: 0 }, Buffer.alloc(16));
    expect(() => parseMessages(msg.subarray(0, msg.byteLength - 1))).toThrow(DecodeError);
    expect(() => parseMessages(msg.subarray(0, 10))).toThrow(DecodeError);
  });

  it("reads errno, extack text and offset from a capped extended ack", () => {
    const request = encodeMessage({ type: RTM_NEWLINK, flags: 0x605, seq: 77, pid: 0 }, Buffer.alloc(16));
    const tlvs = Buffer.concat([
      encodeAttribute(NLMSGERR_ATTR_MSG, Buffer.from("Unknown device type\0")),
      encodeAttribute(NLMSGERR_ATTR_OFFS, Buffer.from(le(36, 4))),
    ]);
    const body = Buffer.concat([Buffer.from(le(-95, 4)), request.subarray(0, 16), tlvs]);
    const [msg] = parseMessages(
      encodeMessage({ type: NLMSG_ERROR, flags: NLM_F_CAPPED | NLM_F_ACK_TLVS, seq: 77, pid: 0 }, body),
    );
    expect(parseNlmsgErr(msg!)).toEqual({
      error: -95,
      request: { type: RTM_NEWLINK, flags: 0x605, seq: 77, pid: 0 },
      extack: "Unknown device type",
      badAttrOffset: 36,
    });
  });
});
