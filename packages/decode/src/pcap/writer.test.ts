import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CaptureReader } from "./reader.js";
import { readCaptureStream } from "./stream.js";
import {
  EPB_FLAG_INBOUND,
  EPB_FLAG_OUTBOUND,
  PcapngWriter,
  pcapngFileHeader,
  pcapngInterfaceBlock,
  pcapngRecord,
  pcapngRecordLength,
} from "./writer.js";

const TCPDUMP = "/usr/bin/tcpdump";
const haveTcpdump = spawnSync(TCPDUMP, ["--version"]).status === 0;

const le = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The options of a block whose fixed part ends at `from`: [code, value] in order. */
function options(blockBytes: Uint8Array, from: number): [number, Uint8Array][] {
  const v = le(blockBytes);
  const end = v.getUint32(4, true) - 4;
  const out: [number, Uint8Array][] = [];
  for (let at = from; at + 4 <= end; ) {
    const code = v.getUint16(at, true);
    const len = v.getUint16(at + 2, true);
    if (code === 0) break;
    out.push([code, blockBytes.slice(at + 4, at + 4 + len)]);
    at += 4 + ((len + 3) & ~3);
  }
  return out;
}

describe("enhanced packet blocks", () => {
  const data = Uint8Array.from({ length: 61 }, (_, i) => i);

  it.each([
    ["in", EPB_FLAG_INBOUND],
    ["out", EPB_FLAG_OUTBOUND],
  ] as const)("carry epb_flags (code 2) with direction bits %s = %d", (direction, bits) => {
    const b = pcapngRecord({ tsSec: 1, tsNsec: 2, data, direction, interfaceId: 3 });
    expect(b.length).toBe(pcapngRecordLength({ tsSec: 1, tsNsec: 2, data, direction }));
    expect(le(b).getUint32(8, true)).toBe(3);
    const opts = options(b, 28 + 64);
    expect(opts).toHaveLength(1);
    expect(opts[0]![0]).toBe(2);
    expect(le(opts[0]![1]).getUint32(0, true)).toBe(bits);
  });

  it("have no options without a direction", () => {
    const b = pcapngRecord({ tsSec: 1, tsNsec: 2, data });
    expect(b.length).toBe(32 + 64);
    expect(options(b, 28 + 64)).toEqual([]);
  });

  it("are read back with their direction, and without one when none was written", () => {
    const file = new Uint8Array([
      ...pcapngFileHeader({ snaplen: 256 }),
      ...pcapngRecord({ tsSec: 5, tsNsec: 6, data, direction: "in" }),
      ...pcapngRecord({ tsSec: 5, tsNsec: 7, data, direction: "out" }),
      ...pcapngRecord({ tsSec: 5, tsNsec: 8, data }),
    ]);
    const got: (string | undefined)[] = [];
    const lengths: number[] = [];
    const reader = new CaptureReader();
    reader.feed(file, (r) => {
      got.push(r.direction);
      lengths.push(r.data.length);
    });
    reader.end();
    expect(got).toEqual(["in", "out", undefined]);
    expect(lengths).toEqual([61, 61, 61]);
    expect(reader.info?.snaplen).toBe(256);
  });

  it("keep their direction through readCaptureStream's copies", async () => {
    const file = new Uint8Array([
      ...pcapngFileHeader(),
      ...pcapngRecord({ tsSec: 5, tsNsec: 6, data, direction: "out" }),
      ...pcapngRecord({ tsSec: 5, tsNsec: 7, data, direction: "in" }),
    ]);
    const got: (string | undefined)[] = [];
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield file;
    }
    for await (const r of readCaptureStream(chunks())) got.push(r.direction);
    expect(got).toEqual(["out", "in"]);
  });
});

describe("interface blocks", () => {
  it("declare the given snaplen, name, description and comments", () => {
    const b = pcapngInterfaceBlock({ snaplen: 256, name: "pval0-rx-cpu-0", description: "d", comments: ["a", "bc"] });
    expect(le(b).getUint32(12, true)).toBe(256);
    const text = new TextDecoder();
    expect(options(b, 16).map(([c, v]) => [c, c === 9 ? v[0] : text.decode(v)])).toEqual([
      [2, "pval0-rx-cpu-0"],
      [3, "d"],
      [1, "a"],
      [1, "bc"],
      [9, 9],
    ]);
  });

  it("reject a snaplen that is not a u32", () => {
    expect(() => pcapngInterfaceBlock({ snaplen: -1 })).toThrow(/snaplen -1 is not a u32/);
  });
});

describe("PcapngWriter", () => {
  it("numbers interfaces and refuses a packet for one not yet added", () => {
    const w = new PcapngWriter();
    expect(() => w.packet({ tsSec: 0, tsNsec: 0, data: new Uint8Array(14) })).toThrow(
      /interface 0, but only 0 are defined/,
    );
    expect(w.addInterface({ name: "a" })).toBe(0);
    expect(w.addInterface({ name: "b" })).toBe(1);
    w.packet({ tsSec: 0, tsNsec: 0, data: new Uint8Array(14), interfaceId: 1, direction: "out" });
    const names: (string | undefined)[] = [];
    const reader = new CaptureReader();
    reader.feed(w.take(), () => {});
    reader.end();
    for (const i of reader.interfaces) names.push(i.name);
    expect(names).toEqual(["a", "b"]);
    expect(w.pending).toBe(0);
  });

  it.runIf(haveTcpdump)("writes files tcpdump reads, packets in order across growth of its buffer", () => {
    const dir = mkdtempSync(join(tmpdir(), "pval-writer-"));
    try {
      const w = new PcapngWriter({ application: "test" });
      w.addInterface({ snaplen: 256 });
      const frame = new Uint8Array(60);
      frame.set([0x08, 0x00], 12);
      const n = 3000;
      for (let i = 0; i < n; i++) {
        w.packet({ tsSec: i, tsNsec: 0, data: frame, origlen: 1000, direction: i % 2 ? "in" : "out" });
      }
      const path = join(dir, "x.pcapng");
      writeFileSync(path, w.take());
      const out = execFileSync(TCPDUMP, ["-n", "-tt", "-r", path], {
        encoding: "latin1",
        stdio: ["ignore", "pipe", "pipe"],
      });
      const lines = out.trimEnd().split("\n");
      expect(lines).toHaveLength(n);
      expect(lines[n - 1]).toMatch(/^2999\.000000 IP/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
