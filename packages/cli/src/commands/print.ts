// `pval print`: tcpdump-style lines for packets from a capture file, pval's
// character devices, or (with @pval/capture) a live interface.
//
//   pval print -r FILE [-c N] [-e] [-n] [-v...] [-t...] [--nano] [-x|-xx|-X|-XX]
//   pval print --slots DEVICE|LINK [same options]
//   pval print (-r FILE | --slots DEVICE|LINK) -w FILE [-c N]
//
// Short flags combine as in tcpdump (-nvvve, -c5). The lines come from
// @pval/tcpdump-printer; this file only wires input to printer and output.
// Output is buffered and written synchronously, so memory stays flat however
// large the input. Exit 0 on success, 1 on a bad file or device (after
// printing every packet before the fault), 2 on a usage error.

import { closeSync, openSync, writeSync } from "node:fs";
import type { CaptureInfo, CaptureRecord, PacketToWrite, SlotBatch } from "@pval/decode";
import type { HexMode, PrintOptions } from "@pval/tcpdump-printer";
import type { CliIo } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, stdio } from "../command.js";
import { loadNative } from "../native.js";
import { captureStatsText, openLiveSource, recordGate } from "../print/filter-source.js";

export const USAGE = `Usage: pval print -r FILE [options]
       pval print --slots DEVICE|LINK [options]
Options (as tcpdump's):
  -r FILE         read a pcap (µs or ns) or pcapng file ("-" for stdin)
  --slots TARGET  read pval character devices: a device path or a link name
  -w FILE         write the packets to FILE as pcapng (ns timestamps) instead of printing
  -c COUNT        stop after COUNT packets
  -e              print the link-level header
  -n              do not resolve addresses (always the case; accepted)
  -v, -vv, -vvv   more detail
  -t ... -ttttt   timestamp format (none, epoch, delta, date, since first)
  --nano, --micro timestamp precision (--time-stamp-precision=nano|micro)
  -x, -xx         hex dump after the link header / of the whole frame
  -X, -XX         hex and ASCII dump after the link header / of the whole frame
`;

export interface PrintArgs {
  read?: string;
  slots?: string;
  write?: string;
  iface?: string;
  filter: string[];
  count: number;
  options: PrintOptions;
}

class UsageError extends Error {}

const TS_MODES = ["time", "none", "epoch", "delta", "date", "since-first"] as const;

function parseCount(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`invalid packet count "${value}": must be a positive integer`);
  }
  return Number(value);
}

/** Parses tcpdump-style arguments (combined short flags, values attached or separate). */
export function parseArgs(args: string[]): PrintArgs {
  const out: PrintArgs = { filter: [], count: Number.POSITIVE_INFINITY, options: {} };
  let verbose = 0;
  let t = 0;
  let x = 0;
  let X = 0;
  let link = false;
  let precision: "micro" | "nano" = "micro";
  const seen = new Set<string>();
  const once = (name: string) => {
    if (seen.has(name)) throw new UsageError(`${name} given twice`);
    seen.add(name);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = (name: string): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${name} needs an argument`);
      return v;
    };
    if (arg === "help" || arg === "-h" || arg === "--help") throw new UsageError("");
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg : arg.slice(0, eq);
      const value = () => (eq < 0 ? next(name) : arg.slice(eq + 1));
      switch (name) {
        case "--slots":
          once("--slots");
          out.slots = value();
          break;
        case "--nano":
          precision = "nano";
          break;
        case "--micro":
          precision = "micro";
          break;
        case "--time-stamp-precision": {
          const v = value();
          if (v !== "nano" && v !== "micro") throw new UsageError(`unknown time stamp precision "${v}"`);
          precision = v;
          break;
        }
        case "--count":
          once("-c");
          out.count = parseCount(value());
          break;
        default:
          throw new UsageError(`unknown option ${name}`);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let k = 1; k < arg.length; k++) {
        const ch = arg[k]!;
        const rest = () => {
          const v = arg.slice(k + 1);
          k = arg.length;
          return v !== "" ? v : next(`-${ch}`);
        };
        switch (ch) {
          case "n":
            break;
          case "v":
            verbose++;
            break;
          case "e":
            link = true;
            break;
          case "t":
            t++;
            break;
          case "x":
            x++;
            break;
          case "X":
            X++;
            break;
          case "c":
            once("-c");
            out.count = parseCount(rest());
            break;
          case "r":
            once("-r");
            out.read = rest();
            break;
          case "w":
            once("-w");
            out.write = rest();
            break;
          case "i":
            once("-i");
            out.iface = rest();
            break;
          default:
            throw new UsageError(`unknown option -${ch}`);
        }
      }
      continue;
    }
    out.filter.push(arg);
  }
  const sources = [out.read, out.slots, out.iface].filter((s) => s !== undefined).length;
  if (sources === 0) throw new UsageError("nothing to read: give -r FILE, --slots DEVICE|LINK or -i DEVICE");
  if (sources > 1) throw new UsageError("-r, --slots and -i are alternatives: give one");
  if (out.filter.length > 0 && out.slots !== undefined) {
    throw new UsageError(`unexpected argument "${out.filter[0]}" (filter expressions need -r or -i)`);
  }
  if (t > 5) throw new UsageError("at most five -t");
  let hex: HexMode = "none";
  if (X > 0) hex = X > 1 ? "XX" : "X";
  else if (x > 0) hex = x > 1 ? "xx" : "x";
  out.options = { verbose: Math.min(verbose, 3), link, hex, timestamps: TS_MODES[t]!, precision };
  return out;
}

/** Where printed text goes: flushed in large blocks. */
interface Output {
  write(text: string): void;
  writeBytes(bytes: Uint8Array): void;
  flush(): void;
}

/** Collects text for a CliIo (tests, embedding). */
class TextOutput implements Output {
  #parts: string[] = [];
  #size = 0;
  constructor(readonly sink: (text: string) => void) {}
  writeBytes(bytes: Uint8Array): void {
    this.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1"));
  }
  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= 1 << 16) this.flush();
  }
  flush(): void {
    if (this.#size === 0) return;
    const text = this.#parts.join("");
    this.#parts = [];
    this.#size = 0;
    this.sink(text);
  }
}

class StopOutput extends Error {}

const BLOCK = 1 << 18;

/**
 * Copies text (ASCII: the printer escapes everything else) straight into a
 * byte buffer and writes it to fd 1 synchronously, waiting out EAGAIN on
 * non-blocking pipes; EPIPE (the reader went away) stops quietly.
 */
class FdOutput implements Output {
  readonly #buf = Buffer.allocUnsafe(BLOCK);
  #used = 0;
  constructor(readonly fd: number) {}
  writeBytes(bytes: Uint8Array): void {
    if (this.#used + bytes.length > BLOCK) {
      this.flush();
      if (bytes.length > BLOCK) {
        this.#writeAll(bytes);
        return;
      }
    }
    this.#buf.set(bytes, this.#used);
    this.#used += bytes.length;
  }
  write(text: string): void {
    if (this.#used + text.length > BLOCK) {
      this.flush();
      if (text.length > BLOCK) {
        this.#writeAll(Buffer.from(text, "latin1"));
        return;
      }
    }
    this.#used += this.#buf.write(text, this.#used, "latin1");
  }
  flush(): void {
    if (this.#used === 0) return;
    const used = this.#used;
    this.#used = 0;
    this.#writeAll(this.#buf.subarray(0, used));
  }
  #writeAll(bytes: Uint8Array): void {
    let rest = bytes;
    while (rest.length > 0) {
      try {
        rest = rest.subarray(writeSync(this.fd, rest));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          continue;
        }
        if (code === "EPIPE") throw new StopOutput();
        throw err;
      }
    }
  }
}

/** A pcapng file being written in large blocks. */
class PcapngFile {
  readonly #fd: number;
  #chunks: Uint8Array[] = [];
  #size = 0;
  constructor(
    path: string,
    readonly decode: typeof import("@pval/decode"),
  ) {
    this.#fd = openSync(path, "w");
    this.#push(decode.pcapngFileHeader({ application: "pval print" }));
  }
  #push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#size += bytes.length;
    if (this.#size >= 1 << 20) this.flush();
  }
  add(packet: PacketToWrite): void {
    this.#push(this.decode.pcapngRecord(packet));
  }
  flush(): void {
    for (const c of this.#chunks) writeSync(this.#fd, c);
    this.#chunks = [];
    this.#size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

export async function main(args: string[], io: CliIo): Promise<number> {
  let parsed: PrintArgs;
  try {
    parsed = parseArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) io.err(`print: ${err.message}\n`);
    io.err(USAGE);
    return err.message ? EXIT_USAGE : EXIT_OK;
  }
  const out: Output = io === stdio ? new FdOutput(1) : new TextOutput(io.out);
  try {
    if (parsed.read !== undefined) return await printFile(parsed, out, io);
    if (parsed.slots !== undefined) return await printSlots(parsed, out, io);
    return await printLive(parsed, out, io);
  } catch (err) {
    if (err instanceof StopOutput) return EXIT_OK;
    try {
      out.flush();
    } catch {
      // The output itself failed; the message below says what went wrong first.
    }
    io.err(`print: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

async function printFile(args: PrintArgs, out: Output, io: CliIo): Promise<number> {
  const decode = await import("@pval/decode");
  const { PacketPrinter } = await import("@pval/tcpdump-printer");
  const path = args.read!;
  const writer = args.write !== undefined ? new PcapngFile(args.write, decode) : null;
  const printer = writer ? null : new PacketPrinter(args.options);
  let left = args.count;
  const accept = await recordGate(path, args.filter, writer !== null);
  const onRecord = (r: CaptureRecord, info: CaptureInfo): boolean => {
    if (!accept(r, info)) return true;
    if (writer) writer.add({ tsSec: r.tsSec, tsNsec: r.tsNsec, data: r.data, origlen: r.origlen });
    else if (printer!.append(r) >= 1 << 16) out.writeBytes(printer!.drain());
    return --left > 0;
  };
  try {
    decode.readCaptureFile(path === "-" ? 0 : path, onRecord);
  } catch (err) {
    writer?.close();
    if (printer) out.writeBytes(printer.drain());
    out.flush();
    if (err instanceof decode.CaptureFormatError) {
      io.err(`print: ${path}: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT" || e.code === "EACCES" || e.code === "EISDIR") {
      io.err(`print: ${path}: ${e.code === "ENOENT" ? "no such file" : e.message}\n`);
      return EXIT_FAILURE;
    }
    throw err;
  }
  writer?.close();
  if (printer) out.writeBytes(printer.drain());
  out.flush();
  return EXIT_OK;
}

async function printSlots(args: PrintArgs, out: Output, io: CliIo): Promise<number> {
  const decode = await import("@pval/decode");
  const chardev = await loadNative("@pval/chardev");
  const { PacketPrinter } = await import("@pval/tcpdump-printer");
  const target = args.slots!;
  const paths = target.includes("/") ? [target] : chardev.discoverDevices(target).map((d) => d.path);
  const reader = chardev.openDevices(paths);
  const writer = args.write !== undefined ? new PcapngFile(args.write, decode) : null;
  const printer = writer ? null : new PacketPrinter(args.options);
  let left = args.count;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    reader.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let failure: unknown;
  try {
    for await (const batch of reader) {
      const slots: SlotBatch = batch.slots;
      const n = Math.min(slots.count, left);
      for (let i = 0; i < n; i++) {
        const packet = slotPacket(decode, slots, i, batch.device, io);
        if (packet === null) continue;
        if (writer) writer.add(packet);
        else out.writeBytes(printer!.formatBytes(packet));
      }
      out.flush();
      left -= n;
      if (left <= 0) {
        stop();
        break;
      }
    }
  } catch (err) {
    if (!chardev.isReaderClosedError(err)) failure = err;
  } finally {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
    if (!stopping) reader.close();
    writer?.close();
    out.flush();
  }
  if (failure !== undefined) {
    io.err(`print: ${failure instanceof Error ? failure.message : String(failure)}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

/**
 * One slot as a packet: its hardware timestamp (ns), or the time of reading
 * when the slot has none (tstamp 0); `len` bytes captured of `pktlen`.
 */
function slotPacket(
  decode: typeof import("@pval/decode"),
  slots: SlotBatch,
  i: number,
  device: string,
  io: CliIo,
): PacketToWrite | null {
  try {
    slots.validate(i);
  } catch (err) {
    io.err(`print: ${device}: skipping slot: ${err instanceof Error ? err.message : String(err)}\n`);
    return null;
  }
  const hi = slots.tstampHi(i);
  const lo = slots.tstampLo(i);
  let tsSec: number;
  let tsNsec: number;
  if (hi === 0 && lo === 0) {
    const now = Date.now();
    tsSec = Math.floor(now / 1000);
    tsNsec = (now % 1000) * 1_000_000;
  } else {
    [tsSec, tsNsec] = decode.divU64(hi, lo, 1_000_000_000);
  }
  return { tsSec, tsNsec, data: slots.pkt(i), origlen: slots.pktlen(i) };
}

/** `-i DEV [filter]`: live capture through libpcap (@pval/capture), until -c or a signal. */
async function printLive(args: PrintArgs, out: Output, io: CliIo): Promise<number> {
  const decode = await import("@pval/decode");
  const { PacketPrinter } = await import("@pval/tcpdump-printer");
  const snaplen = 262144;
  const live = await openLiveSource(args.iface!, args.filter, snaplen, args.options, args.write !== undefined);
  const capture = live.capture;
  const writer = args.write !== undefined ? new PcapngFile(args.write, decode) : null;
  const printer = writer ? null : new PacketPrinter(live.printOptions);
  io.err(`print: ${live.listening}\n`);
  let left = args.count;
  let captured = 0;
  const stop = (): void => capture.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let failure: unknown;
  try {
    for await (const packet of capture) {
      if (writer) writer.add(packet);
      else out.writeBytes(printer!.formatBytes(packet));
      captured++;
      // Live output goes out packet by packet, as tcpdump's line buffering on a terminal.
      out.flush();
      if (--left <= 0) {
        stop();
        break;
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
    capture.close();
    writer?.close();
    out.flush();
  }
  io.err(captureStatsText(captured, capture.stats()));
  if (failure !== undefined) {
    io.err(`print: ${failure instanceof Error ? failure.message : String(failure)}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}
