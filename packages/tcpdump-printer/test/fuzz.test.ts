// Fuzz: mutated capture files and mutated frames. The reader may only throw
// CaptureFormatError; the printer may never throw, and always ends its text
// with a newline. Seeded, so a failure names an iteration that reproduces.

import {
  CaptureFormatError,
  CaptureReader,
  pcapFileHeader,
  pcapngFileHeader,
  pcapngRecord,
  pcapRecord,
} from "@pval/decode";
import { isPrintableLinktype, PacketPrinter, type PrintOptions } from "@pval/tcpdump-printer";
import { describe, expect, it } from "vitest";
import { mulberry32 as rng } from "../fuzz/frames.mjs";
import { corpus } from "./corpus.js";

const ITERATIONS = Number(process.env.PVAL_FUZZ_ITERATIONS ?? 100_000);
const SEED = Number(process.env.PVAL_FUZZ_SEED ?? 0x5eed);

function mutate(bytes: Uint8Array, rand: () => number, count: number): Uint8Array {
  let out = bytes.slice();
  for (let k = 0; k < count; k++) {
    const r = rand();
    const at = Math.floor(rand() * out.length);
    if (r < 0.5 && out.length > 0) out[at] = Math.floor(rand() * 256);
    else if (r < 0.65 && out.length > 0) out[at] = [0, 0xff, 0x7f, 0x80, 1][Math.floor(rand() * 5)]!;
    else if (r < 0.8) out = out.subarray(0, at);
    else if (r < 0.9) {
      const extra = Uint8Array.from({ length: 1 + Math.floor(rand() * 8) }, () => Math.floor(rand() * 256));
      const grown = new Uint8Array(out.length + extra.length);
      grown.set(out.subarray(0, at), 0);
      grown.set(extra, at);
      grown.set(out.subarray(at), at + extra.length);
      out = grown;
    } else if (out.length > 0) {
      const len = Math.min(out.length - at, 1 + Math.floor(rand() * 16));
      out.copyWithin(at, Math.floor(rand() * out.length), Math.floor(rand() * out.length) + len);
    }
  }
  return out;
}

const OPTIONS: PrintOptions[] = [
  { verbose: 0 },
  { verbose: 1, link: true },
  { verbose: 2, hex: "X" },
  { verbose: 3, link: true, hex: "xx", timestamps: "delta", precision: "nano" },
];

describe("fuzz", () => {
  it(`survives ${ITERATIONS} mutated files and frames (seed ${SEED})`, () => {
    const rand = rng(SEED);
    const printers = OPTIONS.map((o) => new PacketPrinter(o));
    let formatErrors = 0;
    let printed = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      // A frame mutated on its own, printed directly.
      const frame = mutate(corpus[Math.floor(rand() * corpus.length)]!.frame, rand, 1 + Math.floor(rand() * 4));
      const printer = printers[i % printers.length]!;
      let text: string;
      try {
        text = printer.format({ tsSec: i, tsNsec: 0, data: frame, origlen: frame.length + Math.floor(rand() * 64) });
      } catch (err) {
        throw new Error(`iteration ${i}: printer threw on a mutated frame: ${String(err)}`);
      }
      if (!text.endsWith("\n")) throw new Error(`iteration ${i}: text without its newline`);
      // A capture file holding it and two more, mutated as a whole, read in random chunks.
      const ng = rand() < 0.5;
      const parts = [ng ? pcapngFileHeader() : pcapFileHeader({ precision: rand() < 0.5 ? "nano" : "micro" })];
      for (const data of [frame, corpus[Math.floor(rand() * corpus.length)]!.frame, corpus[i % corpus.length]!.frame]) {
        const p = { tsSec: 1700000000 + i, tsNsec: Math.floor(rand() * 1e9), data };
        parts.push(ng ? pcapngRecord(p) : pcapRecord(p, "nano"));
      }
      const file = mutate(Buffer.concat(parts), rand, Math.floor(rand() * 4));
      const reader = new CaptureReader();
      try {
        const chunk = 1 + Math.floor(rand() * file.length);
        for (let at = 0; at < file.length; at += chunk) {
          reader.feed(file.subarray(at, at + chunk), (r) => {
            if (!isPrintableLinktype(r.linktype)) {
              // A mutated link type the printer does not know is refused.
              expect(() => printer.format(r)).toThrow(RangeError);
              return;
            }
            printed++;
            const t = printer.format(r);
            if (!t.endsWith("\n")) throw new Error("unterminated text");
          });
        }
        reader.end();
      } catch (err) {
        if (!(err instanceof CaptureFormatError)) {
          throw new Error(`iteration ${i}: ${err instanceof Error ? err.stack : String(err)}`);
        }
        if (!(err.offset >= 0 && err.offset <= file.length)) {
          throw new Error(`iteration ${i}: error offset ${err.offset} outside the file (${file.length} bytes)`);
        }
        formatErrors++;
      }
    }
    // The mutations must exercise both paths.
    expect(formatErrors).toBeGreaterThan(ITERATIONS / 20);
    expect(printed).toBeGreaterThan(ITERATIONS);
  }, 120_000);
});
