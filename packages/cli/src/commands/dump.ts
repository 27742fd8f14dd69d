// `pval dump`: print the packet copies of pval character devices.
//
//   pval dump DEVICE|LINK... [--format FORMAT | --json] [-c COUNT] [--tx | --rx] [--cpu N[,N...]]
//   pval dump -r FILE [--format FORMAT | --json] [-c COUNT]
//   pval dump DEVICE|LINK... -w FILE [-c COUNT]
//
// One device prints the reference dump-one lines; several devices, or a link
// name (all its devices), the dump-multi lines. The formats live in
// @pval/tcpdump-printer; this file only wires input to printer.
//
// Ctrl-C (or -c COUNT) stops cleanly; a summary of slots read and ring drops
// per device goes to stderr. Exit 0 on success, 1 when a device fails (ENOENT,
// EBUSY, EACCES, ENODEV when the link is deleted), 2 on a usage error.

import { closeSync, openSync, writeSync } from "node:fs";
import type { Batch, LinkReader, RingStats } from "@pval/chardev";
import { SlotBatch } from "@pval/decode";
import type { SlotFormat } from "@pval/tcpdump-printer";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { CliIo } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../command.js";

interface DumpOptions {
  format?: SlotFormat;
  json?: boolean;
  count?: number;
  read?: string;
  write?: string;
  tx?: boolean;
  rx?: boolean;
  cpu?: number[];
  status?: boolean;
}

class UsageError extends Error {}

function parseCount(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError("COUNT must be a positive integer.");
  }
  return Number(value);
}

function parseCpus(value: string, previous: number[] = []): number[] {
  const out = [...previous];
  for (const part of value.split(",")) {
    if (!/^(0|[1-9][0-9]*)$/.test(part)) throw new InvalidArgumentError(`"${part}" is not a CPU number.`);
    out.push(Number(part));
  }
  return out;
}

function buildCommand(io: CliIo): Command {
  return new Command("pval dump")
    .description("print (or save) the packet copies of pval character devices")
    .argument("[targets...]", "devices (/dev/pval/pval0-rx-cpu-0) or link names (pval0: all its devices)")
    .addOption(new Option("--format <format>", "line format").choices(["dump-one", "dump-multi", "look-tcp", "json"]))
    .option("--json", "one JSON object per slot (same as --format json)")
    .option("-c, --count <COUNT>", "stop after COUNT slots", parseCount)
    .option("-r, --read <FILE>", "read slots from a pcap or pcapng file instead of devices")
    .option("-w, --write <FILE>", "save the slots to a pcapng file (ns timestamps, one interface per device)")
    .option("--tx", "with a link name: only its TX devices")
    .option("--rx", "with a link name: only its RX devices")
    .option("--cpu <N[,N...]>", "with a link name: only these CPUs (repeatable)", parseCpus)
    .option("--no-status", "no live status line on a terminal")
    .helpOption("-h, --help", "show this help")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (s, write) => write(`dump: ${s}`) });
}

/** Decides the line format from the options and the number of devices. */
export function chooseFormat(options: DumpOptions, devices: number): SlotFormat {
  if (options.json && options.format && options.format !== "json") {
    throw new UsageError(`--json and --format ${options.format} contradict each other`);
  }
  if (options.json) return "json";
  return options.format ?? (devices === 1 ? "dump-one" : "dump-multi");
}

interface DeviceTally {
  path: string;
  read: number;
  /** Ring drops (full + no memory) at open, and latest; null when the module has no counters. */
  dropsAtOpen: number | null;
  drops: number | null;
}

function ringDrops(stats: RingStats): number {
  return stats.droppedFull + stats.droppedNomem;
}

function summary(tallies: DeviceTally[]): string {
  let out = "";
  let read = 0;
  let drops = 0;
  let dropsKnown = true;
  for (const t of tallies) {
    read += t.read;
    const d = t.drops !== null && t.dropsAtOpen !== null ? t.drops - t.dropsAtOpen : null;
    if (d === null) dropsKnown = false;
    else drops += d;
    out += `dump: ${t.path}: ${t.read} slots read, ${d === null ? "unknown" : d} ring drops\n`;
  }
  out += `dump: ${read} slots read, ${dropsKnown ? drops : "unknown"} ring drops\n`;
  return out;
}

export async function main(args: string[], io: CliIo): Promise<number> {
  const command = buildCommand(io);
  let options: DumpOptions;
  let targets: string[];
  try {
    command.parse(args, { from: "user" });
    options = command.opts<DumpOptions>();
    targets = command.processedArgs[0] as string[];
    if (options.read !== undefined && targets.length > 0) throw new UsageError("-r FILE takes no devices");
    if (options.read === undefined && targets.length === 0) throw new UsageError("no device or link to dump");
    if (options.read !== undefined && options.write !== undefined) throw new UsageError("-r and -w cannot be combined");
    if (options.write !== undefined && (options.format || options.json)) {
      throw new UsageError("-w writes pcapng; --format and --json do not apply");
    }
    if (options.tx && options.rx) throw new UsageError("--tx and --rx together: leave both out for all devices");
    chooseFormat(options, 1);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof UsageError) {
      io.err(`dump: ${err.message}\n`);
      io.err(command.helpInformation());
      return EXIT_USAGE;
    }
    throw err;
  }
  try {
    if (options.read !== undefined) return await dumpFile(options.read, options, io);
    return await dumpDevices(targets, options, io);
  } catch (err) {
    io.err(`dump: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

async function openTargets(targets: string[], options: DumpOptions): Promise<LinkReader> {
  const chardev = await import("@pval/chardev");
  const paths: string[] = [];
  for (const target of targets) {
    if (target.includes("/")) {
      paths.push(target);
      continue;
    }
    const devices = chardev.discoverDevices(target, {
      tx: !options.rx,
      rx: !options.tx,
      ...(options.cpu ? { cpus: options.cpu } : {}),
    });
    for (const d of devices) paths.push(d.path);
  }
  const unique = [...new Set(paths)];
  // Drop counters are read at open, for the status line and at the end,
  // not once per batch.
  return chardev.openDevices(unique, { ringStats: false });
}

async function dumpDevices(targets: string[], options: DumpOptions, io: CliIo): Promise<number> {
  const reader = await openTargets(targets, options);
  const tallies = new Map<string, DeviceTally>();
  for (const r of reader.readers) {
    let drops: number | null = null;
    try {
      drops = ringDrops(r.stats());
    } catch {
      drops = null;
    }
    tallies.set(r.path, { path: r.path, read: 0, dropsAtOpen: drops, drops });
  }
  const sink = options.write !== undefined ? await PcapngSink.open(options.write, reader) : null;
  const printer = sink
    ? null
    : new (await import("@pval/tcpdump-printer")).SlotPrinter(chooseFormat(options, reader.readers.length));

  let stopping = false;
  let finish: (failure: unknown) => void = () => {};
  const finished = new Promise<unknown>((resolve) => {
    finish = resolve;
  });
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    refreshDrops(reader, tallies);
    reader.close();
    finish(undefined);
  };
  const onSignal = (): void => stop();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const onStdoutError = (err: NodeJS.ErrnoException): void => {
    // The reader of our output went away (`| head`): stop like Ctrl-C.
    if (err.code === "EPIPE") stop();
  };
  process.stdout.on("error", onStdoutError);
  const status =
    options.status !== false && process.stderr.isTTY
      ? new StatusLine(tallies, () => refreshDrops(reader, tallies))
      : null;

  // The callback form: each wakeup drains the rings in a bounded loop and
  // every batch is printed (or saved) before the next read.
  let remaining = options.count ?? Number.POSITIVE_INFINITY;
  reader.start((err, batch) => {
    if (err) {
      // The link reader closed every device already.
      if (!stopping) {
        stopping = true;
        finish(err);
      }
      return;
    }
    if (!batch || stopping) return;
    const tally = tallies.get(batch.device)!;
    const n = Math.min(batch.slots.count, remaining);
    tally.read += n;
    remaining -= n;
    if (sink) sink.write(batch, n);
    else io.out(printer!.lines(n === batch.slots.count ? batch.slots : firstSlots(batch.slots, n), batch));
    if (remaining === 0) stop();
  });
  let failure: unknown;
  try {
    failure = await finished;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    process.stdout.removeListener("error", onStdoutError);
    status?.end();
    if (!stopping) {
      stopping = true;
      reader.close();
    }
    reader.close();
    sink?.close();
  }
  if (failure !== undefined) {
    io.err(`dump: ${failure instanceof Error ? failure.message : String(failure)}\n`);
  }
  io.err(summary([...tallies.values()]));
  return failure === undefined ? EXIT_OK : EXIT_FAILURE;
}

function refreshDrops(reader: LinkReader, tallies: Map<string, DeviceTally>): void {
  for (const r of reader.readers) {
    const t = tallies.get(r.path)!;
    if (!r.open || t.dropsAtOpen === null) continue;
    try {
      t.drops = ringDrops(r.stats());
    } catch {
      // The device is gone (ENODEV): keep the last counters a batch brought.
    }
  }
}

function firstSlots(slots: SlotBatch, n: number): SlotBatch {
  return new SlotBatch(slots.bytes, n);
}

/** The live status line on a terminal: rate, total, drops; redrawn every second. */
class StatusLine {
  readonly #tallies: Map<string, DeviceTally>;
  readonly #refresh: () => void;
  readonly #timer: NodeJS.Timeout;
  #last = 0;
  #lastAt = process.hrtime.bigint();

  constructor(tallies: Map<string, DeviceTally>, refresh: () => void) {
    this.#tallies = tallies;
    this.#refresh = refresh;
    this.#timer = setInterval(() => this.#draw(), 1000);
    this.#timer.unref();
  }

  #draw(): void {
    this.#refresh();
    let read = 0;
    let drops = 0;
    for (const t of this.#tallies.values()) {
      read += t.read;
      if (t.drops !== null && t.dropsAtOpen !== null) drops += t.drops - t.dropsAtOpen;
    }
    const now = process.hrtime.bigint();
    const rate = ((read - this.#last) * 1e9) / Number(now - this.#lastAt);
    this.#last = read;
    this.#lastAt = now;
    process.stderr.write(`\r\x1b[K${Math.round(rate)} slots/s, ${read} read, ${drops} ring drops`);
  }

  end(): void {
    clearInterval(this.#timer);
    process.stderr.write("\r\x1b[K");
  }
}

/** Slots to a pcapng file: one interface per device, ns timestamps. */
class PcapngSink {
  readonly #fd: number;
  readonly #writer: import("@pval/tcpdump-printer").SlotPcapngWriter;

  private constructor(fd: number, writer: import("@pval/tcpdump-printer").SlotPcapngWriter) {
    this.#fd = fd;
    this.#writer = writer;
  }

  static async open(path: string, reader: LinkReader): Promise<PcapngSink> {
    const { SlotPcapngWriter } = await import("@pval/tcpdump-printer");
    const writer = new SlotPcapngWriter(reader.readers.map((r) => r.path));
    const fd = path === "-" ? 1 : openSync(path, "w");
    const sink = new PcapngSink(fd, writer);
    writeSync(fd, writer.header());
    return sink;
  }

  write(batch: Batch, n: number): void {
    writeSync(this.#fd, this.#writer.records(batch.slots, n, batch.device));
  }

  close(): void {
    if (this.#fd !== 1) closeSync(this.#fd);
  }
}

async function dumpFile(path: string, options: DumpOptions, io: CliIo): Promise<number> {
  const { readCaptureSlots, SlotPrinter } = await import("@pval/tcpdump-printer");
  const printer = new SlotPrinter(chooseFormat(options, 1));
  let remaining = options.count ?? Number.POSITIVE_INFINITY;
  const source = { device: path };
  readCaptureSlots(path, (slots) => {
    const n = Math.min(slots.count, remaining);
    io.out(printer.lines(n === slots.count ? slots : firstSlots(slots, n), source));
    remaining -= n;
    return remaining > 0;
  });
  return EXIT_OK;
}
