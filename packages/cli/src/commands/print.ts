// `pval print`: tcpdump-style lines for packets from a capture file, pval's
// character devices, or (with @pval/capture) a live interface.
//
//   pval print -r FILE [-AenqSlUvxX...] [-c N] [-t...] [--nano]
//   pval print --slots DEVICE|LINK [same options] [-s SNAPLEN]
//   pval print -i INTERFACE [same options] [-p] [-s SNAPLEN] [EXPRESSION]
//   pval print (-r FILE | --slots DEVICE|LINK | -i INTERFACE) -w FILE [-c N] [-U]
//   pval print -D
//
// The arguments are tcpdump's, parsed by commander: short flags combine
// (-nvvc5, -rFILE), -v, -t, -x, -X and -A count their repeats, and the
// flags mean what they mean to tcpdump. The lines come from
// @pval/tcpdump-printer; this file only wires input to printer and output
// (../output.ts, ../pcapng-sink.ts). Printed text goes out in 64 KiB writes
// (after every packet with -l or -U, and always for -i), so memory stays
// flat however large the input. Exit 0 on success and for help, 1 on a bad
// file or device (after printing every packet before the fault), 2 on a
// usage error.

import type { CaptureInfo, CaptureRecord, PacketToWrite, SlotBatch } from "@pval/decode";
import type { HexMode, PacketPrinter, PrintOptions } from "@pval/tcpdump-printer";
import { Command, InvalidArgumentError, Option } from "commander";
import type { CliIo } from "../command.js";
import { EXIT_FAILURE, EXIT_OK } from "../command.js";
import { loadNative } from "../native.js";
import { type Output, standardOutput } from "../output.js";
import type { PcapngSink } from "../pcapng-sink.js";
import { captureStatsText, openLiveSource, recordGate } from "../print/filter-source.js";
import { onStopSignals } from "../signals.js";
import { commandOutput, parseCommand, UsageError } from "../usage.js";

export interface PrintArgs {
  read?: string;
  slots?: string;
  write?: string;
  iface?: string;
  filter: string[];
  count: number;
  options: PrintOptions;
  /** -s: bytes kept of each packet (-i: libpcap's snapshot length; --slots: at most the slot's 256). */
  snaplen: number;
  /** Not -p. */
  promiscuous: boolean;
  /** -l or -U: printed text goes out after every packet. */
  packetText: boolean;
  /** -U: a -w file is written after every packet. */
  packetBuffered: boolean;
  /** -D: list the interfaces and exit. */
  listInterfaces: boolean;
}

/** tcpdump's default and largest snapshot length. */
const MAX_SNAPLEN = 262144;

/** Printed text is written once this much is pending (unless -l or -U). */
const TEXT_BLOCK = 1 << 16;

const TS_MODES = ["time", "none", "epoch", "delta", "date", "since-first"] as const;

function parseCount(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`invalid packet count "${value}": must be a positive integer.`);
  }
  return Number(value);
}

function parseSnaplen(value: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || Number(value) > MAX_SNAPLEN) {
    throw new InvalidArgumentError(`invalid snaplen "${value}": must be an integer from 0 to ${MAX_SNAPLEN}.`);
  }
  return Number(value) === 0 ? MAX_SNAPLEN : Number(value);
}

const repeat = (_value: unknown, previous: number): number => previous + 1;

/** An option that takes one value: given twice is an error, not "the last wins". */
function once<T>(flag: string, parse: (value: string) => T = (v) => v as T): (value: string, previous?: T) => T {
  return (value, previous) => {
    if (previous !== undefined) throw new InvalidArgumentError(`${flag} given twice.`);
    return parse(value);
  };
}

interface PrintFlags {
  A: number;
  c?: number;
  D?: boolean;
  e?: boolean;
  i?: string;
  l?: boolean;
  n?: boolean;
  p?: boolean;
  q?: boolean;
  r?: string;
  s?: number;
  S?: boolean;
  t: number;
  U?: boolean;
  v: number;
  w?: string;
  x: number;
  X: number;
  slots?: string;
  nano?: boolean;
  micro?: boolean;
  timeStampPrecision?: "micro" | "nano";
}

/** The command line of `pval print`; help and errors go to `io`. */
export function buildCommand(io: CliIo): Command {
  const command = new Command("pval print")
    .description("print packets as tcpdump does, option 222 included")
    .usage(
      "[-AenqSlpUvxXD] [-c count] [-i interface] [-r file] [-s snaplen] [-w file] [--slots device|link] [-t...] [--nano|--micro] [expression]",
    )
    .argument("[expression...]", "a tcpdump filter expression (with -r or -i)")
    .option("-A", "print each packet after its link header in ASCII; -AA: the whole frame", repeat, 0)
    .option("-c <count>", "stop after count packets", once("-c", parseCount))
    .option("-D", "list the network interfaces -i can capture on, and exit")
    .option("-e", "print the link-level header")
    .option("-i <interface>", "capture live on interface (libpcap, as tcpdump; needs CAP_NET_RAW)", once("-i"))
    .option("-l", "write each packet's text as soon as it is printed (line-buffered; always so with -i)")
    .option("-n", "do not convert addresses and ports to names (pval print never does; accepted)")
    .option("-p", "-i: do not put the interface into promiscuous mode; no effect on -r and --slots")
    .option("-q", "quick output: less protocol detail (tcp N, UDP, length N)")
    .option("-r <file>", 'read packets from a pcap (µs or ns) or pcapng file ("-" for stdin)', once("-r"))
    .option(
      "-s <snaplen>",
      `bytes kept of each packet: -i's snapshot length, --slots at most the slots' 256; no effect on -r (0: ${MAX_SNAPLEN})`,
      once("-s", parseSnaplen),
    )
    .option("-S", "print absolute TCP sequence numbers, not relative ones")
    .option("-t", "-t: no timestamp, -tt: epoch, -ttt: delta, -tttt: date, -ttttt: since the first packet", repeat, 0)
    .option("-U", "write each packet as soon as it is printed or saved (packet-buffered -w file and text)")
    .option("-v", "more detail; -vv, -vvv: more still", repeat, 0)
    .option(
      "-w <file>",
      'save the packets to a pcapng file (ns timestamps; "-" for stdout) instead of printing',
      once("-w"),
    )
    .option("-x", "hex dump of each packet after its link header; -xx: of the whole frame", repeat, 0)
    .option("-X", "hex and ASCII dump after the link header; -XX: of the whole frame", repeat, 0)
    .option(
      "--slots <device|link>",
      "read pval character devices: a device path, or a link name for all its devices",
      once("--slots"),
    )
    .option("--nano", "nanosecond timestamps (--time-stamp-precision=nano)")
    .option("--micro", "microsecond timestamps, the default (--time-stamp-precision=micro)")
    .addOption(new Option("--time-stamp-precision <precision>", "timestamp precision").choices(["micro", "nano"]))
    .helpOption("-h, --help", "print this help and exit");
  return commandOutput(command, io, "print");
}

/** The arguments after commander parsed them; throws UsageError when they contradict each other. */
function checkArgs(command: Command): PrintArgs {
  const f = command.opts<PrintFlags>();
  const filter = command.processedArgs[0] as string[];
  const out: PrintArgs = {
    filter,
    count: f.c ?? Number.POSITIVE_INFINITY,
    options: {},
    snaplen: f.s ?? MAX_SNAPLEN,
    promiscuous: !f.p,
    packetText: f.l === true || f.U === true,
    packetBuffered: f.U === true,
    listInterfaces: f.D === true,
  };
  if (f.r !== undefined) out.read = f.r;
  if (f.slots !== undefined) out.slots = f.slots;
  if (f.i !== undefined) out.iface = f.i;
  if (f.w !== undefined) out.write = f.w;
  const sources = [out.read, out.slots, out.iface].filter((s) => s !== undefined).length;
  if (out.listInterfaces) {
    if (sources > 0 || filter.length > 0) throw new UsageError("-D lists the interfaces; it reads no packets");
    return out;
  }
  if (sources === 0) throw new UsageError("nothing to read: give -r FILE, --slots DEVICE|LINK or -i INTERFACE");
  if (sources > 1) throw new UsageError("-r, --slots and -i are alternatives: give one");
  if (filter.length > 0 && out.read === undefined && out.iface === undefined) {
    throw new UsageError(`unexpected argument "${filter[0]}" (filter expressions need -r or -i)`);
  }
  if (f.t > 5) throw new UsageError("at most five -t");
  const precisions = new Set<string>();
  if (f.nano) precisions.add("nano");
  if (f.micro) precisions.add("micro");
  if (f.timeStampPrecision) precisions.add(f.timeStampPrecision);
  if (precisions.size > 1) throw new UsageError("--nano and --micro (or --time-stamp-precision) contradict each other");
  let hex: HexMode = "none";
  if (f.X > 0) hex = f.X > 1 ? "XX" : "X";
  else if (f.x > 0) hex = f.x > 1 ? "xx" : "x";
  out.options = {
    verbose: Math.min(f.v, 3),
    link: f.e === true,
    hex,
    ascii: Math.min(f.A, 2),
    quiet: f.q === true,
    absoluteSeq: f.S === true,
    timestamps: TS_MODES[f.t]!,
    precision: precisions.has("nano") ? "nano" : "micro",
  };
  return out;
}

/** Parses tcpdump-style arguments (combined short flags, values attached or separate); throws on a usage error. */
export function parseArgs(args: string[]): PrintArgs {
  const command = buildCommand({ out: () => {}, err: () => {} });
  command.parse(args, { from: "user" });
  return checkArgs(command);
}

/** The usage, as `pval print --help` prints it. */
export function usage(): string {
  return buildCommand({ out: () => {}, err: () => {} }).helpInformation();
}

export async function main(args: string[], io: CliIo): Promise<number> {
  // `pval print help`, as `pval link help`.
  if (args.length === 1 && args[0] === "help") args = ["--help"];
  const parsed = parseCommand(buildCommand(io), args, io, "print", checkArgs);
  if (!parsed.ok) return parsed.code;
  const out = standardOutput(io);
  try {
    if (parsed.value.listInterfaces) return await listInterfaces(out);
    if (parsed.value.read !== undefined) return await printFile(parsed.value, out, io);
    if (parsed.value.slots !== undefined) return await printSlots(parsed.value, out, io);
    return await printLive(parsed.value, out, io);
  } catch (err) {
    io.err(`print: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

async function listInterfaces(out: Output): Promise<number> {
  const { listInterfaces, readNetInterfaces } = await import("../net-interfaces.js");
  out.writeNow(new TextEncoder().encode(listInterfaces(readNetInterfaces())));
  return EXIT_OK;
}

/** The printer for the options, or null when the packets are saved (-w). */
async function newPrinter(args: PrintArgs, options: PrintOptions = args.options): Promise<PacketPrinter | null> {
  if (args.write !== undefined) return null;
  const { PacketPrinter } = await import("@pval/tcpdump-printer");
  return new PacketPrinter(options);
}

async function openSink(args: PrintArgs): Promise<PcapngSink | null> {
  if (args.write === undefined) return null;
  const { PcapngSink } = await import("../pcapng-sink.js");
  return PcapngSink.open(args.write, { application: "pval print", packetBuffered: args.packetBuffered });
}

async function printFile(args: PrintArgs, out: Output, io: CliIo): Promise<number> {
  const decode = await import("@pval/decode");
  const path = args.read!;
  const sink = await openSink(args);
  const printer = await newPrinter(args);
  // Text pending past this many bytes goes out.
  const block = args.packetText ? 0 : TEXT_BLOCK;
  let left = args.count;
  const accept = await recordGate(path, args.filter, sink !== null);
  const onRecord = (r: CaptureRecord, info: CaptureInfo): boolean => {
    if (!accept(r, info)) return true;
    if (sink) {
      // The file's snapshot length is the saved one's (-s does not apply to -r, as in tcpdump).
      if (sink.interfaces === 0) sink.addInterface({ linktype: r.linktype, snaplen: info.snaplen || MAX_SNAPLEN });
      sink.packet({ tsSec: r.tsSec, tsNsec: r.tsNsec, data: r.data, origlen: r.origlen, direction: r.direction });
    } else if (printer!.append(r) > block) out.writeNow(printer!.drain());
    return --left > 0 && !out.closed;
  };
  try {
    decode.readCaptureFile(path === "-" ? 0 : path, onRecord);
  } catch (err) {
    sink?.close();
    if (printer) out.writeNow(printer.drain());
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
  sink?.close();
  if (printer) out.writeNow(printer.drain());
  return EXIT_OK;
}

async function printSlots(args: PrintArgs, out: Output, io: CliIo): Promise<number> {
  const decode = await import("@pval/decode");
  const chardev = await loadNative("@pval/chardev");
  const target = args.slots!;
  const paths = target.includes("/") ? [target] : chardev.discoverDevices(target).map((d) => d.path);
  const reader = chardev.openDevices(paths);
  const sink = await openSink(args);
  const printer = await newPrinter(args);
  const snaplen = Math.min(args.snaplen, decode.PVAL_SLOT_PKT_SIZE);
  const block = args.packetText ? 0 : TEXT_BLOCK;
  // Each device is an interface of the -w file; its packets go one way.
  const interfaces = new Map<string, number>();
  for (const r of reader.readers) {
    interfaces.set(r.path, sink?.addInterface({ name: r.path, snaplen }) ?? 0);
  }
  let left = args.count;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    reader.close();
  };
  const removeSignals = onStopSignals(stop);
  let failure: unknown;
  try {
    for await (const batch of reader) {
      const slots: SlotBatch = batch.slots;
      const n = Math.min(slots.count, left);
      for (let i = 0; i < n; i++) {
        const packet = slotPacket(decode, slots, i, batch.device, io);
        if (packet === null) continue;
        if (packet.data.length > snaplen) packet.data = packet.data.subarray(0, snaplen);
        if (sink) {
          packet.interfaceId = interfaces.get(batch.device) ?? 0;
          if (batch.direction !== undefined) packet.direction = batch.direction === "rx" ? "in" : "out";
          sink.packet(packet);
        } else if (printer!.append(packet) > block) out.writeNow(printer!.drain());
      }
      if (printer) out.writeNow(printer.drain());
      sink?.flush();
      left -= n;
      if (left <= 0 || out.closed) {
        stop();
        break;
      }
    }
  } catch (err) {
    if (!chardev.isReaderClosedError(err)) failure = err;
  } finally {
    removeSignals();
    if (!stopping) reader.close();
    sink?.close();
    if (printer) out.writeNow(printer.drain());
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
  const snaplen = args.snaplen;
  const live = await openLiveSource(
    args.iface!,
    args.filter,
    snaplen,
    args.options,
    args.write !== undefined,
    args.promiscuous,
  );
  const capture = live.capture;
  const sink = await openSink(args);
  sink?.addInterface({ name: args.iface!, snaplen, linktype: capture.linktype });
  const printer = await newPrinter(args, live.printOptions);
  io.err(`print: ${live.listening}\n`);
  let left = args.count;
  let captured = 0;
  const stop = (): void => capture.close();
  const removeSignals = onStopSignals(stop);
  let failure: unknown;
  try {
    for await (const packet of capture) {
      if (sink) sink.packet(packet);
      // Live output goes out packet by packet, as tcpdump's line buffering on a terminal.
      else out.writeNow(printer!.formatBytes(packet));
      captured++;
      if (--left <= 0 || out.closed) {
        stop();
        break;
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    removeSignals();
    capture.close();
    sink?.close();
  }
  io.err(captureStatsText(captured, capture.stats()));
  if (failure !== undefined) {
    io.err(`print: ${failure instanceof Error ? failure.message : String(failure)}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}
