// Where `pval print` and `pval dump` write: bytes straight to a file
// descriptor (stdout, or a file they save), without a stream's buffering or
// copies, or a CliIo's text sink (tests, embedding).
//
// A non-blocking pipe that is full (EAGAIN) is waited out: `writeNow` waits
// where it is, `write` hands back a promise and keeps a copy of the rest.
// EPIPE (the reader went away, `| head`) marks the output closed; what is
// written after that is dropped, and the callers stop reading.

import { closeSync, openSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { CliIo } from "./command.js";
import { stdio } from "./command.js";

export interface Output {
  /** The reader of the output went away (EPIPE). */
  readonly closed: boolean;
  /** Writes the bytes; a promise when the output is full and the rest has to wait (the bytes may be reused). */
  write(bytes: Uint8Array): Promise<void> | undefined;
  /** Writes the bytes, waiting on a full output without returning to the event loop. */
  writeNow(bytes: Uint8Array): void;
  /** Closes a file the output opened (never stdout). */
  close(): void;
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Bytes to a file descriptor, one write(2) per call while the descriptor takes them. */
export class FdOutput implements Output {
  closed = false;
  readonly #owned: boolean;

  constructor(
    readonly fd: number,
    owned = false,
  ) {
    this.#owned = owned;
  }

  /** A file to write (created or truncated), or stdout for "-". */
  static open(path: string): FdOutput {
    return path === "-" ? new FdOutput(1) : new FdOutput(openSync(path, "w"), true);
  }

  // How many bytes went out before the descriptor would block.
  #some(bytes: Uint8Array): number {
    if (this.closed) return bytes.length;
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.fd, bytes, done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EPIPE") {
        this.closed = true;
        return bytes.length;
      }
      if (code !== "EAGAIN") throw err;
    }
    return done;
  }

  write(bytes: Uint8Array): Promise<void> | undefined {
    const done = this.#some(bytes);
    return done === bytes.length ? undefined : this.#later(bytes.slice(done));
  }

  async #later(rest: Uint8Array): Promise<void> {
    while (rest.length > 0) {
      await sleep(1);
      rest = rest.subarray(this.#some(rest));
    }
  }

  writeNow(bytes: Uint8Array): void {
    let rest = bytes;
    for (;;) {
      rest = rest.subarray(this.#some(rest));
      if (rest.length === 0) return;
      Atomics.wait(PAUSE, 0, 0, 1);
    }
  }

  close(): void {
    if (this.#owned) closeSync(this.fd);
  }
}

/** Bytes as text to a CliIo sink (the printers write ASCII and UTF-8 device paths). */
export class TextOutput implements Output {
  readonly closed = false;
  readonly #decoder = new TextDecoder();

  constructor(readonly sink: (text: string) => void) {}

  write(bytes: Uint8Array): undefined {
    if (bytes.length > 0) this.sink(this.#decoder.decode(bytes));
  }

  writeNow(bytes: Uint8Array): void {
    this.write(bytes);
  }

  close(): void {}
}

/** The standard output of a subcommand: fd 1 for the real stdio, the io's text sink otherwise. */
export function standardOutput(io: CliIo): Output {
  return io === stdio ? new FdOutput(1) : new TextOutput(io.out);
}
