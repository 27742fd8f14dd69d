// Capture files into the analyser: the receiver's capture, and optionally the
// sender's (TX copies), read side by side in chunks so that both advance
// together in time and memory stays flat: the join only has to hold the
// window, not a whole file.
//
// The two files are interleaved by timestamp, the sender's moved onto the
// receiver's clock by the analyser's estimate of the offset between them
// (0 with synchronised clocks; before any match, the files are taken to start
// together). A file that ends early or turns out bad stops only its own side.

import { closeSync, openSync, readSync } from "node:fs";
import { CaptureReader, type CaptureRecord, LINKTYPE_ETHERNET } from "@pval/decode";
import type { StatsAnalyser } from "./analyser.js";

const CHUNK = 256 * 1024;

/** What was read from one file. */
export interface CaptureSideResult {
  path: string;
  records: number;
  /** Records whose link type is not Ethernet (not analysed). */
  notEthernet: number;
  /** The error that stopped reading (a bad or truncated file), after every good record before it. */
  error: Error | null;
}

class Side {
  readonly path: string;
  readonly tx: boolean;
  readonly reader = new CaptureReader();
  fd: number;
  readonly ownFd: boolean;
  buf = new Uint8Array(CHUNK);
  have = 0;
  done = false;
  /** Timestamp of the last record, s (a double: for interleaving only). */
  last = Number.NEGATIVE_INFINITY;
  first = Number.NaN;
  result: CaptureSideResult;
  readonly onRecord: (r: CaptureRecord) => void;

  constructor(path: string | number, tx: boolean, analyser: StatsAnalyser, each?: (r: CaptureRecord) => void) {
    this.path = String(path);
    this.tx = tx;
    this.ownFd = typeof path !== "number";
    this.fd = typeof path === "number" ? path : openSync(path, "r");
    this.result = { path: this.path, records: 0, notEthernet: 0, error: null };
    const add = tx ? analyser.addTxRecord.bind(analyser) : analyser.addRxRecord.bind(analyser);
    this.onRecord = (r) => {
      this.result.records++;
      if (r.linktype !== LINKTYPE_ETHERNET) {
        this.result.notEthernet++;
        return;
      }
      this.last = r.tsSec + r.tsNsec / 1e9;
      if (Number.isNaN(this.first)) this.first = this.last;
      add(r);
      each?.(r);
    };
  }

  /** Reads and analyses one chunk. */
  step(): void {
    try {
      if (this.have === this.buf.length) {
        const bigger = new Uint8Array(this.buf.length * 2);
        bigger.set(this.buf);
        this.buf = bigger;
      }
      const n = readSync(this.fd, this.buf, this.have, this.buf.length - this.have, null);
      if (n === 0) {
        this.reader.end(this.buf.subarray(0, this.have));
        this.close();
        return;
      }
      this.have += n;
      const used = this.reader.feedPartial(this.buf.subarray(0, this.have), this.onRecord);
      this.buf.copyWithin(0, used, this.have);
      this.have -= used;
    } catch (err) {
      this.result.error = err instanceof Error ? err : new Error(String(err));
      this.close();
    }
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    if (this.ownFd) closeSync(this.fd);
  }
}

export interface ReadCapturesOptions {
  /** The receiver's capture (a path, or an open descriptor such as 0 for stdin). */
  rx: string | number;
  /** The sender's capture with its TX copies. */
  tx?: string | number;
  /** Called after each received record was given to the analyser (progress, periodic reports). */
  onRxRecord?: (record: CaptureRecord) => void;
}

/**
 * Reads the captures into `analyser` and calls its finish(). Never throws for
 * a bad file: the result says what was read from each and why it stopped.
 * (An unopenable path throws, before anything is read.)
 */
export function readCaptures(analyser: StatsAnalyser, options: ReadCapturesOptions): CaptureSideResult[] {
  const rx = new Side(options.rx, false, analyser, options.onRxRecord);
  let tx: Side | null = null;
  try {
    tx = options.tx === undefined ? null : new Side(options.tx, true, analyser);
  } catch (err) {
    rx.close();
    throw err;
  }
  while (!rx.done || (tx && !tx.done)) {
    if (!tx || tx.done) rx.step();
    else if (rx.done) tx.step();
    else {
      // The sender's time on the receiver's clock.
      const offset = analyser.txToRxNs;
      const shift = Number.isNaN(offset)
        ? Number.isNaN(rx.first) || Number.isNaN(tx.first)
          ? 0
          : rx.first - tx.first
        : offset / 1e9;
      if (rx.last <= tx.last + shift) rx.step();
      else tx.step();
    }
  }
  analyser.finish();
  return tx ? [rx.result, tx.result] : [rx.result];
}
