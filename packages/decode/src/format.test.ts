import { describe, expect, it } from "vitest";
import { ipv4FromString, ipv4ToString, ipv6ToString, macToString } from "./format.js";

const v6 = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));

describe("address formatting", () => {
  it("prints MAC addresses in lowercase with colons", () => {
    expect(macToString(Uint8Array.of(0xea, 0x51, 0xd7, 0x0c, 0x95, 0x1a))).toBe("ea:51:d7:0c:95:1a");
  });

  it("round-trips dotted quads and rejects anything else", () => {
    expect(ipv4ToString(ipv4FromString("10.0.0.255"))).toBe("10.0.0.255");
    expect(ipv4FromString("255.255.255.255")).toBe(0xffffffff);
    for (const bad of ["10.0.0", "10.0.0.256", "a.b.c.d", "1.2.3.4.5", ""])
      expect(() => ipv4FromString(bad)).toThrow(TypeError);
  });

  it("prints IPv6 the way inet_ntop does", () => {
    const cases: [string, string][] = [
      ["20010db8000000000000000000000001", "2001:db8::1"],
      ["00000000000000000000000000000000", "::"],
      ["00000000000000000000000000000001", "::1"],
      ["fe800000000000000000000000000000", "fe80::"],
      ["20010db8000000010000000000000001", "2001:db8:0:1::1"],
      ["20010db8000100000001000000000001", "2001:db8:1:0:1::1"],
      ["20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"],
      ["00000000000000000000ffffc0000280", "::ffff:192.0.2.128"],
      ["000000000000000000000000c0000280", "::192.0.2.128"],
      ["ff020000000000000000000000000001", "ff02::1"],
    ];
    for (const [bytes, text] of cases) expect(ipv6ToString(v6(bytes))).toBe(text);
    expect(() => ipv6ToString(new Uint8Array(4))).toThrow(/16 bytes/);
  });
});
