// The codec against bytes captured from real kernels running pval.ko
// (test/capture.sh writes test/fixtures/<kernel release>/). Each file holds
// the datagrams of one exchange, each prefixed by its u32 LE length.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  decodeAttrs,
  encodeAttrs,
  IFINFOMSG_LEN,
  IFLA_INFO_DATA,
  IFLA_LINKINFO,
  NLMSG_DONE,
  NLMSG_ERROR,
  type Nlmsg,
  PVAL_ATTRS,
  parseAttributes,
  parseMessages,
  parseNlmsgErr,
  RTM_NEWLINK,
} from "./codec.js";
import { AbiMismatchError } from "./errors.js";
import { PVAL_ABI_VERSION, PVAL_RING_SLOTS_DEFAULT } from "./generated/abi.js";
import { checkLinkAbi, decodeLinkMessage, isPvalLink, type PvalLink, resolvePeers } from "./link.js";

const fixtureRoot = join(import.meta.dirname, "../test/fixtures");
const releases = existsSync(fixtureRoot)
  ? readdirSync(fixtureRoot).filter((d) => existsSync(join(fixtureRoot, d, "manifest-module.json")))
  : [];

function datagrams(release: string, name: string): Buffer[] {
  const buf = readFileSync(join(fixtureRoot, release, `${name}.bin`));
  const out: Buffer[] = [];
  for (let off = 0; off < buf.byteLength; ) {
    const len = buf.readUInt32LE(off);
    out.push(buf.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}
const messages = (release: string, name: string): Nlmsg[] => datagrams(release, name).flatMap((d) => parseMessages(d));

function errorOf(release: string, name: string) {
  const msgs = messages(release, name);
  expect(msgs).toHaveLength(1);
  expect(msgs[0]!.type).toBe(NLMSG_ERROR);
  return parseNlmsgErr(msgs[0]!);
}

it("has fixtures for both kernel lines", () => {
  expect(
    releases.some((r) => r.startsWith("6.1.")),
    releases.join(", "),
  ).toBe(true);
  expect(
    releases.some((r) => r.startsWith("6.12.")),
    releases.join(", "),
  ).toBe(true);
});

describe.each(releases)("captured from %s", (release) => {
  const manifest = JSON.parse(readFileSync(join(fixtureRoot, release, "manifest-module.json"), "utf8")) as {
    veth0: number;
    pval0: number;
  };

  it("unknown kind: EOPNOTSUPP with the kernel's text", () => {
    const err = errorOf(release, "create-unknown-kind");
    expect(err.error).toBe(-95);
    expect(err.extack).toBe("Unknown device type");
  });

  it("refusals carry errno and an extack message", () => {
    for (const name of ["create-bad-ring-slots", "create-no-lower", "setlink-pval0-lower"]) {
      const err = errorOf(release, name);
      expect(err.error, name).toBeLessThan(0);
      expect(err.extack, name).toMatch(/\w/);
    }
    expect(errorOf(release, "create-bad-ring-slots").extack).toMatch(/power of two/);
  });

  it("acks carry error 0", () => {
    expect(errorOf(release, "create-pval0").error).toBe(0);
    expect(errorOf(release, "setlink-pval0").error).toBe(0);
  });

  const linkOf = (name: string) => {
    const [reply, ack] = messages(release, name);
    expect(reply!.type).toBe(RTM_NEWLINK);
    expect(parseNlmsgErr(ack!).error).toBe(0);
    return { msg: reply!, link: decodeLinkMessage(reply!) };
  };

  it("decodes a new link with the creation defaults", () => {
    const { link } = linkOf("getlink-pval0-defaults");
    expect(isPvalLink(link)).toBe(true);
    expect(link).toMatchObject({ index: manifest.pval0, name: "pval0", kind: "pval", link: { index: manifest.veth0 } });
    expect(link.pval).toEqual({
      link: { index: manifest.veth0 },
      ipopt: false,
      txtstamp: false,
      rxtstamp: false,
      txcopy: false,
      rxcopy: false,
      txbusydrop: true,
      swtstamp: false,
      ringSlots: PVAL_RING_SLOTS_DEFAULT,
      stats: { ipoptInserted: 0n, ipoptSkipped: 0n, txCopyDrops: 0n, rxCopyDrops: 0n, txtstampBusy: 0n },
    });
    expect(link.stats64?.txPackets).toBe(0n);
  });

  it("refuses the module of these captures: it reports no ABI version, so it speaks ABI 1", () => {
    const { link } = linkOf("getlink-pval0-defaults");
    expect(link.pval?.abiVersion).toBeUndefined();
    expect(() => checkLinkAbi(link as PvalLink)).toThrow(AbiMismatchError);
    expect(() => checkLinkAbi(link as PvalLink, "get link pval0")).toThrow(
      `get link pval0: pval.ko speaks ABI 1, @pval/netlink speaks ABI ${PVAL_ABI_VERSION}: load the pval.ko of the same release`,
    );
  });

  it("accepts a link whose module reports this package's ABI version", () => {
    const { link } = linkOf("getlink-pval0-defaults");
    const current = { ...link, pval: { ...link.pval!, abiVersion: PVAL_ABI_VERSION } } as PvalLink;
    expect(() => checkLinkAbi(current)).not.toThrow();
    expect(() => checkLinkAbi({ ...current, pval: { ...current.pval, abiVersion: PVAL_ABI_VERSION + 1 } })).toThrow(
      `pval.ko speaks ABI ${PVAL_ABI_VERSION + 1}, @pval/netlink speaks ABI ${PVAL_ABI_VERSION}`,
    );
  });

  it("decodes the switches after a change", () => {
    const { link } = linkOf("getlink-pval0-changed");
    expect(link.pval).toMatchObject({ ipopt: true, txcopy: true, rxcopy: true, txbusydrop: false, txtstamp: false });
  });

  it("encodes the settable attributes byte for byte as the kernel reports them", () => {
    const { msg, link } = linkOf("getlink-pval0-changed");
    const linkinfo = parseAttributes(msg.payload.subarray(IFINFOMSG_LEN)).find((a) => a.type === IFLA_LINKINFO)!;
    const data = parseAttributes(linkinfo.payload).find((a) => a.type === IFLA_INFO_DATA)!.payload;
    const { stats: _stats, pad: _pad, ...settable } = decodeAttrs(PVAL_ATTRS, data);
    const ours = encodeAttrs(PVAL_ATTRS, settable);
    expect(Buffer.from(data.subarray(0, ours.byteLength)).equals(ours)).toBe(true);
    expect(settable.link).toBe(link.pval?.link.index);
  });

  it("decodes a whole dump, names resolved, ending in NLMSG_DONE", () => {
    const msgs = messages(release, "dump-links");
    expect(msgs.at(-1)!.type).toBe(NLMSG_DONE);
    const links = msgs.filter((m) => m.type === RTM_NEWLINK).map(decodeLinkMessage);
    resolvePeers(links);
    expect(links.map((l) => l.name).sort()).toEqual(["lo", "pval0", "veth0", "veth1"]);
    const pval0 = links.find((l) => l.name === "pval0")!;
    expect(pval0.pval?.link).toEqual({ index: manifest.veth0, name: "veth0" });
    expect(pval0.link).toEqual({ index: manifest.veth0, name: "veth0" });
  });
});
