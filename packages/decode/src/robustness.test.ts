// Bad input: truncated, mutated and random byte sequences. Every one must give
// a defined result — a decoded prefix with a `truncated` or `malformed` marker,
// or, from the strict decoder, a NeedMoreBytesError / DecodeError — and never an
// exception from reading past the end.
//
// Frames checked by property tests: here 75,000 mutated + 10,000 random +
// about 9,500 cuts of valid frames; encode.test.ts 6,000 round trips;
// fields.test.ts 4,000 — over 100,000 in all.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { frame, pvalFrame } from "../test/arbitraries.js";
import { encodeFrame } from "./encode.js";
import { DecodeError, NeedMoreBytesError } from "./errors.js";
import { FieldStatus, PvalFields, readPvalFieldsFromFrame } from "./fields.js";
import { decodeFrame, decodeFrameStrict, type Frame, type Packet } from "./frame.js";

// `pnpm test:fuzz` scales the runs up (PVAL_FUZZ_SCALE=100 by default there).
const SCALE = Number(process.env.PVAL_FUZZ_SCALE ?? 1);

const LAYERS = new Set([
  "ethernet",
  "vlan",
  "arp",
  "ipv4",
  "ipv6",
  "ipv6-hop-by-hop",
  "ipv6-routing",
  "ipv6-fragment",
  "ipv6-destination",
  "icmp",
  "icmpv6",
  "tcp",
  "udp",
]);

// Built once: structured generation is slow, mutation of a fixed pool is cheap.
const POOL = [...fc.sample(frame, { numRuns: 400, seed: 1 }), ...fc.sample(pvalFrame, { numRuns: 200, seed: 2 })].map(
  (spec) => encodeFrame(spec),
);

/** A pool frame with up to 8 bytes overwritten, cut to a random length. */
const mutated = fc
  .record({
    index: fc.nat({ max: POOL.length - 1 }),
    edits: fc.array(fc.tuple(fc.nat({ max: 299 }), fc.nat({ max: 255 })), { maxLength: 8 }),
    cut: fc.nat({ max: 300 }),
  })
  .map(({ index, edits, cut }) => {
    const bytes = POOL[index]!.slice();
    for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
    return bytes.subarray(0, Math.min(cut, bytes.length));
  });

// Plain checks rather than expect(): these run a few hundred thousand times.
function check(ok: boolean, what: string, input: Uint8Array): void {
  if (!ok) throw new Error(`${what} for input [${Array.from(input).join(",")}]`);
}

/** Checks a decoded packet's invariants against the input it came from. */
function checkPacket(p: Packet, input: Uint8Array): void {
  check(p.payload.buffer === input.buffer, "payload is not a view of the input", input);
  check(p.payloadOffset + p.payload.length <= input.length, "payload runs past the input", input);
  const t = p.truncated;
  if (t) {
    check(LAYERS.has(t.layer), `unknown layer ${t.layer}`, input);
    check(t.available < t.needed, "truncation with enough bytes", input);
    check(t.offset + t.available <= input.length, "truncation past the input", input);
  }
  const m = p.malformed;
  if (m) check(LAYERS.has(m.layer) && m.message.length > 0, "malformation without layer or message", input);
  for (const o of p.ipv4?.options ?? [])
    check(o.offset + o.raw.length <= input.length, "IPv4 option past the input", input);
  for (const o of p.tcp?.options ?? [])
    check(o.offset + o.raw.length <= input.length, "TCP option past the input", input);
  const inner = p.icmp?.embedded ?? p.icmpv6?.embedded;
  if (inner) checkPacket(inner, input);
}

const fields = new PvalFields();

/** The fast path must agree with the full decoder on whatever both report. */
function checkFields(f: Frame, bytes: Uint8Array): void {
  const status = readPvalFieldsFromFrame(bytes, fields);
  if (status & FieldStatus.TRUNCATED)
    check((f.truncated ?? f.malformed) !== undefined, "fast path truncated, decoder not", bytes);
  if (status & FieldStatus.MALFORMED) check(f.malformed !== undefined, "fast path malformed, decoder not", bytes);
  if (f.ethernet && fields.ethertype !== 0) check(fields.ethertype === f.ethertype, "ethertypes differ", bytes);
  if (status & FieldStatus.IPV4) {
    const ip = f.ipv4;
    check(
      ip !== undefined && fields.src === ip.src && fields.dst === ip.dst && fields.protocol === ip.protocol,
      "IPv4 fields differ",
      bytes,
    );
  }
  const option = f.ipv4?.options.find((o) => o.kind === "pval");
  if (status & FieldStatus.PVAL) {
    check(
      option?.kind === "pval" && option.cpu === fields.cpu && option.seq === fields.seq,
      "option 222 differs",
      bytes,
    );
  } else if (option && !f.malformed && !(status & FieldStatus.MALFORMED)) {
    check(false, "the full decode found option 222, the fast path did not", bytes);
  }
}

function decodeChecked(bytes: Uint8Array): Frame {
  const f = decodeFrame(bytes);
  checkPacket(f, bytes);
  checkFields(f, bytes);
  try {
    decodeFrameStrict(bytes);
    check(f.truncated === undefined && f.malformed === undefined, "strict decoder accepted a flawed frame", bytes);
  } catch (e) {
    if (!(e instanceof NeedMoreBytesError || e instanceof DecodeError)) throw e;
    check(
      (e instanceof NeedMoreBytesError ? f.truncated : f.malformed) !== undefined,
      "strict error without marker",
      bytes,
    );
  }
  return f;
}

describe("decodeFrame on bad input", () => {
  it(
    "handles mutated and truncated frames",
    () => {
      fc.assert(
        fc.property(mutated, (bytes) => {
          decodeChecked(bytes);
        }),
        { numRuns: 75_000 * SCALE, seed: process.env.PVAL_FUZZ_SEED ? Number(process.env.PVAL_FUZZ_SEED) : undefined },
      );
    },
    120_000 * SCALE,
  );

  it(
    "handles random bytes",
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          decodeChecked(bytes);
        }),
        { numRuns: 10_000 * SCALE },
      );
    },
    60_000 * SCALE,
  );

  it("marks every cut inside a header of a valid frame, at every length", () => {
    let runs = 0;
    for (const full of POOL.slice(0, 150)) {
      const whole = decodeFrame(full);
      for (let cut = 0; cut < full.length; cut++) {
        const f = decodeChecked(full.subarray(0, cut));
        runs++;
        // Cut before the end of the last header: the decoder says where.
        const headersEnd = whole.payloadOffset;
        if (cut < headersEnd) check((f.truncated ?? f.malformed) !== undefined, `no marker at cut ${cut}`, full);
        else check(f.truncated === undefined, `marker at cut ${cut} after the headers`, full);
      }
    }
    expect(runs).toBeGreaterThan(9_000);
  }, 60_000);
});
