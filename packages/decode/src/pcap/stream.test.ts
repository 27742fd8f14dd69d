import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CaptureFormatError } from "./errors.js";
import { readCaptureFile, readCaptureStream } from "./stream.js";
import { pcapFileHeader, pcapngFileHeader, pcapngRecord, pcapRecord } from "./writer.js";

const dir = mkdtempSync(join(tmpdir(), "pval-pcap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Three megabytes of records of varying size, so records straddle every read.
const sizes = Array.from({ length: 3000 }, (_, i) => 60 + ((i * 7919) % 1400));
const packets = sizes.map((n, i) => ({ tsSec: 1700000000 + i, tsNsec: i, data: new Uint8Array(n).fill(i & 0xff) }));

function write(name: string, parts: Uint8Array[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

describe("readCaptureFile", () => {
  it.each([
    [
      "pcap",
      () => write("big.pcap", [pcapFileHeader({ precision: "nano" }), ...packets.map((p) => pcapRecord(p, "nano"))]),
    ],
    ["pcapng", () => write("big.pcapng", [pcapngFileHeader(), ...packets.map((p) => pcapngRecord(p))])],
  ])("reads every record of a %s file larger than its buffer", (_kind, make) => {
    const seen: number[] = [];
    readCaptureFile(make(), (r) => {
      expect(r.data.length).toBe(sizes[seen.length]);
      expect(r.data[0]).toBe(seen.length & 0xff);
      expect(r.tsNsec).toBe(seen.length);
      seen.push(r.offset);
      return true;
    });
    expect(seen).toHaveLength(packets.length);
  });

  it("stops when the callback says so", () => {
    const path = write("stop.pcap", [pcapFileHeader(), ...packets.map((p) => pcapRecord(p))]);
    let n = 0;
    readCaptureFile(path, () => ++n < 5);
    expect(n).toBe(5);
  });

  it("throws the truncation with its offset after the records before it", () => {
    const whole = Buffer.concat([pcapFileHeader(), ...packets.map((p) => pcapRecord(p))]);
    const path = join(dir, "cut.pcap");
    writeFileSync(path, whole.subarray(0, whole.length - 5));
    let n = 0;
    let error: unknown;
    try {
      readCaptureFile(path, () => {
        n++;
        return true;
      });
    } catch (err) {
      error = err;
    }
    expect(n).toBe(packets.length - 1);
    expect(error).toBeInstanceOf(CaptureFormatError);
    expect((error as CaptureFormatError).offset).toBe(whole.length - (16 + sizes[sizes.length - 1]!));
  });
});

describe("readCaptureStream", () => {
  it("yields copies, then the error after the good records", async () => {
    const whole = Buffer.concat([pcapFileHeader(), ...packets.slice(0, 3).map((p) => pcapRecord(p))]);
    async function* chunks() {
      yield whole.subarray(0, 100);
      yield whole.subarray(100, whole.length - 1);
    }
    const got: number[] = [];
    await expect(async () => {
      for await (const r of readCaptureStream(chunks())) got.push(r.data.length);
    }).rejects.toThrow(/truncated record/);
    expect(got).toEqual(sizes.slice(0, 2));
  });
});
