import { describe, expect, it } from "vitest";
import { corpus } from "../test/corpus.js";
import { formatPacket, formatPackets, PacketPrinter } from "./printer.js";

const packets = corpus.map((e, i) => ({ tsSec: 1700000000 + i, tsNsec: i * 1001, data: e.frame }));

describe("PacketPrinter", () => {
  it("gives the same text through format, formatBytes and append/drain", () => {
    const a = new PacketPrinter({ verbose: 2, link: true });
    const b = new PacketPrinter({ verbose: 2, link: true });
    const c = new PacketPrinter({ verbose: 2, link: true });
    let viaAppend = "";
    for (const p of packets) {
      c.append(p);
      if (p.tsSec % 7 === 0) viaAppend += Buffer.from(c.drain()).toString("latin1");
    }
    viaAppend += Buffer.from(c.drain()).toString("latin1");
    const viaFormat = packets.map((p) => a.format(p)).join("");
    const viaBytes = packets.map((p) => Buffer.from(b.formatBytes(p)).toString("latin1")).join("");
    expect(viaBytes).toBe(viaFormat);
    expect(viaAppend).toBe(viaFormat);
    expect(viaFormat.split("\n").length).toBeGreaterThan(packets.length);
  });

  it("prints a zero-copy packet like a plain one", () => {
    const frame = corpus[1]!.frame;
    const buffer = new Uint8Array(frame.length + 10);
    buffer.set(frame, 7);
    const plain = formatPacket({ tsSec: 1, tsNsec: 2, data: frame }, { verbose: 1, hex: "xx" });
    const view = formatPacket(
      { tsSec: 1, tsNsec: 2, data: new Uint8Array(0), buffer, dataOffset: 7, caplen: frame.length },
      { verbose: 1, hex: "xx" },
    );
    expect(view).toBe(plain);
  });

  it("streams with formatPackets, keeping TCP state across packets", async () => {
    const out: string[] = [];
    for await (const text of formatPackets(packets, { verbose: 1 })) out.push(text);
    const printer = new PacketPrinter({ verbose: 1 });
    expect(out).toEqual(packets.map((p) => printer.format(p)));
  });

  it("grows its output buffer for a large hex dump", () => {
    const big = new Uint8Array(200_000);
    big.set(corpus[0]!.frame);
    const text = formatPacket({ tsSec: 0, tsNsec: 0, data: big }, { hex: "XX" });
    expect(text.split("\n")).toHaveLength(1 + 200_000 / 16 + 1);
  });
});
