// File and stream front ends for CaptureReader: read in fixed-size chunks so
// memory stays flat however large the capture.

import { closeSync, openSync, readSync } from "node:fs";
import { type CaptureInfo, CaptureReader, type CaptureRecord, type RecordCallback } from "./reader.js";

const CHUNK = 1 << 20;

/** Return `false` to stop reading (for a packet count limit). */
export type FileRecordCallback = (record: CaptureRecord, info: CaptureInfo) => boolean | undefined;

/**
 * Reads a capture file (a path or an open descriptor) synchronously, calling
 * `onRecord` per packet in file order. Throws CaptureFormatError after the
 * last good packet when the file is bad.
 */
export function readCaptureFile(path: string | number, onRecord: FileRecordCallback): CaptureInfo {
  const fd = typeof path === "number" ? path : openSync(path, "r");
  const reader = new CaptureReader();
  // One buffer for the whole file: unconsumed bytes move to its front and the
  // next read goes after them; it grows only for a record larger than itself.
  let buf = new Uint8Array(CHUNK);
  let have = 0;
  let stopped = false;
  const cb: RecordCallback = (r) => {
    if (!stopped && onRecord(r, reader.info!) === false) stopped = true;
  };
  try {
    while (!stopped) {
      if (have === buf.length) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const n = readSync(fd, buf, have, buf.length - have, null);
      if (n === 0) {
        reader.end(buf.subarray(0, have));
        break;
      }
      have += n;
      const used = reader.feedPartial(buf.subarray(0, have), cb);
      buf.copyWithin(0, used, have);
      have -= used;
    }
  } finally {
    if (typeof path !== "number") closeSync(fd);
  }
  return reader.info!;
}

/**
 * Reads a capture from an async iterable of chunks (a file or socket stream)
 * and yields each packet with a copy of its bytes. A format error is thrown
 * after every packet before it has been yielded.
 */
export async function* readCaptureStream(source: AsyncIterable<Uint8Array>): AsyncGenerator<CaptureRecord> {
  const reader = new CaptureReader();
  const batch: CaptureRecord[] = [];
  const push: RecordCallback = (r) => {
    const data = r.data.slice();
    batch.push({
      linktype: r.linktype,
      tsSec: r.tsSec,
      tsNsec: r.tsNsec,
      origlen: r.origlen,
      offset: r.offset,
      data,
      buffer: data,
      dataOffset: 0,
      caplen: data.length,
      direction: r.direction,
    });
  };
  for await (const chunk of source) {
    let failure: unknown;
    try {
      reader.feed(chunk, push);
    } catch (err) {
      failure = err;
    }
    yield* batch;
    batch.length = 0;
    if (failure !== undefined) throw failure;
  }
  reader.end();
}
