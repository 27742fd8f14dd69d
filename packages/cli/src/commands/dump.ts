// `pval dump`: print the packet copies of pval character devices.
//
//   pval dump DEVICE|LINK... [--format FORMAT | --json] [-c COUNT] [--tx | --rx] [--cpu N[,N...]] [-B KiB]
//   pval dump -r FILE [--format FORMAT | --json] [-c COUNT]
//   pval dump DEVICE|LINK... -w FILE [-c COUNT] [-B KiB]
//
// One device prints the reference dump-one lines; several devices, or a link
// name (all its devices), the dump-multi lines. The formats live in
// @pval/tcpdump-printer; this file only wires input to printer.
//
// Each device has a reader thread that takes slots off the kernel's ring as
// they come and keeps up to -B KiB of them until they are printed, as
// tcpdump's capture buffer does: a pause of the JavaScript side (a garbage
// collection, a JIT compile, a slow pipe) costs buffer space, not ring drops.
//
// The clock that stamps each device's slots follows from its link's switches
// (txtstamp, rxtstamp, swtstamp), read over rtnetlink when the dump starts:
// --json lines carry it as "clock", a -w file in each interface's
// if_description and comment (@pval/netlink's timestampClock()).
//
// Ring drops are reported as they happen: every second the rings' counters
// are read, and a device whose ring dropped copies gets a line on stderr
// (with --json, a {"ring_drops": …} JSON line on stderr too); -w records them
// in the pcapng file as interface statistics blocks (isb_ifdrop), written at
// the start, at each growth and at the end, for `pval stats -r`. -v says how
// each reader thread is scheduled.
//
// Ctrl-C (or -c COUNT) stops cleanly; a summary of slots read and ring drops
// per device goes to stderr. Ctrl-C stops reading the rings and prints what
// the buffers hold first, so slots read + ring drops = copies made. Exit 0 on success, 1 when a device fails (ENOENT,
// EBUSY, EACCES, ENODEV when the link is deleted), 2 on a usage error.

import type { Batch, LinkReader, RingStats } from "@pval/chardev";
import type { PvalInfo } from "@pval/netlink";
import type { SlotClock, SlotFormat, SlotPcapngWriter, SlotSource } from "@pval/tcpdump-printer";
import { Command, InvalidArgumentError, Option } from "commander";
import type { CliIo } from "../command.js";
import { EXIT_FAILURE, EXIT_OK } from "../command.js";
import { loadNative } from "../native.js";
import { standardOutput } from "../output.js";
import type { PcapngSink } from "../pcapng-sink.js";
import { onStopSignals } from "../signals.js";
import { commandOutput, parseCommand, UsageError } from "../usage.js";

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
  bufferSize?: number;
  verbose?: boolean;
}

/** How often the rings' drop counters are read, ms. */
const DROP_POLL_MS = 1000;

/**
 * -B default: 64 MiB shared among the devices, at least 16 MiB (about 60,000
 * slots) each. One device gets the whole 64 MiB, room for the backlog of a
 * cold start (the first seconds, while V8 compiles the printer) under a
 * flood; a link on many CPUs keeps at most 16 MiB per device.
 */
export const DEFAULT_BUFFER_TOTAL_KIB = 65536;
export const DEFAULT_BUFFER_MIN_KIB = 16384;

/** The -B default for `devices` devices, KiB each. */
export function defaultBufferKib(devices: number): number {
  return Math.max(DEFAULT_BUFFER_MIN_KIB, Math.floor(DEFAULT_BUFFER_TOTAL_KIB / Math.max(1, devices)));
}

function parseCount(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError("COUNT must be a positive integer.");
  }
  return Number(value);
}

function parseKib(value: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || Number(value) > 4194303) {
    throw new InvalidArgumentError("KiB must be an integer from 0 to 4194303.");
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
  const command = new Command("pval dump")
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
    .option(
      "-B, --buffer-size <KiB>",
      `slots a reader thread keeps per device until printed, in KiB (0: none; default ${DEFAULT_BUFFER_TOTAL_KIB} shared among the devices, at least ${DEFAULT_BUFFER_MIN_KIB} each)`,
      parseKib,
    )
    .option("--no-status", "no live status line on a terminal")
    .option("-v, --verbose", "say how each reader thread is scheduled")
    .helpOption("-h, --help", "show this help");
  return commandOutput(command, io, "dump");
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

/** The options and targets after commander parsed them; throws UsageError when they contradict each other. */
function checkArgs(command: Command): { options: DumpOptions; targets: string[] } {
  const options = command.opts<DumpOptions>();
  const targets = command.processedArgs[0] as string[];
  if (options.read !== undefined && targets.length > 0) throw new UsageError("-r FILE takes no devices");
  if (options.read === undefined && targets.length === 0) throw new UsageError("no device or link to dump");
  if (options.read !== undefined && options.write !== undefined) throw new UsageError("-r and -w cannot be combined");
  if (options.read !== undefined && options.bufferSize !== undefined) {
    throw new UsageError("-B sizes the devices' buffers; -r FILE reads no device");
  }
  if (options.write !== undefined && (options.format || options.json)) {
    throw new UsageError("-w writes pcapng; --format and --json do not apply");
  }
  if (options.tx && options.rx) throw new UsageError("--tx and --rx together: leave both out for all devices");
  chooseFormat(options, 1);
  return { options, targets };
}

export async function main(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(buildCommand(io), args, io, "dump", checkArgs);
  if (!parsed.ok) return parsed.code;
  const { options, targets } = parsed.value;
  try {
    if (options.read !== undefined) return await dumpFile(options.read, options, io);
    return await dumpDevices(targets, options, io);
  } catch (err) {
    io.err(`dump: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

async function openTargets(targets: string[], options: DumpOptions): Promise<LinkReader> {
  const chardev = await loadNative("@pval/chardev");
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
  return chardev.openDevices(unique, {
    ringStats: false,
    bufferSize: (options.bufferSize ?? defaultBufferKib(unique.length)) * 1024,
  });
}

type LinkSwitches = Map<string, PvalInfo | undefined>;

/**
 * The switches of the links the targets name (a link, or a device of one),
 * over rtnetlink in this network namespace; undefined for a link that
 * cannot be read. Asked before the devices open, so the query costs no copy.
 */
export async function linkSwitches(targets: string[]): Promise<LinkSwitches> {
  const { parseDeviceName } = await loadNative("@pval/chardev");
  const { getLink } = await loadNative("@pval/netlink");
  const switches: LinkSwitches = new Map();
  for (const target of targets) {
    const link = target.includes("/") ? parseDeviceName(target)?.link : target;
    if (link === undefined || switches.has(link)) continue;
    try {
      switches.set(link, (await getLink(link)).pval);
    } catch {
      switches.set(link, undefined);
    }
  }
  return switches;
}

/** The clock of each device's slots; "unknown" when the device names no link or its switches are unknown. */
async function deviceClocks(reader: LinkReader, switches: LinkSwitches): Promise<Map<string, SlotClock>> {
  const { describeTimestampClock, timestampClock } = await loadNative("@pval/netlink");
  const clocks = new Map<string, SlotClock>();
  for (const r of reader.readers) {
    const cfg = r.link === undefined ? undefined : switches.get(r.link);
    const name = r.direction === undefined ? "unknown" : timestampClock(cfg, r.direction);
    clocks.set(r.path, { name, description: describeTimestampClock(name, cfg?.swtstamp === true) });
  }
  return clocks;
}

async function dumpDevices(targets: string[], options: DumpOptions, io: CliIo): Promise<number> {
  const switches = await linkSwitches(targets);
  const { RingWatch, dropLine, dropRecord, nowNs, readerStatsLine, wakeNote } = await import("./ring-watch.js");
  const reader = await openTargets(targets, options);
  // Ring drops count from the open: the rest of the start-up (seconds in an
  // emulated guest) is part of the capture.
  const openedNs = nowNs();
  const watch = new RingWatch(reader.readers, undefined, openedNs);
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
  // From the moment the devices are open, Ctrl-C stops the dump cleanly,
  // even while the rest is still loading.
  let stopRequested = false;
  const removeEarlySignals = onStopSignals(() => {
    stopRequested = true;
  });
  const clocks = await deviceClocks(reader, switches);
  // What each device's lines say about it: path, direction, CPU, clock.
  const sources = new Map<string, SlotSource>(
    reader.readers.map((r) => [
      r.path,
      { device: r.path, direction: r.direction, cpu: r.cpu, clock: clocks.get(r.path)?.name },
    ]),
  );
  if (options.verbose) {
    for (const r of reader.readers)
      io.err(`dump: ${r.path}: reader thread ${r.scheduling ?? "none (-B 0)"}${wakeNote(r.wakeSlots)}\n`);
  }
  const sink = options.write !== undefined ? await SlotSink.open(options.write, reader, clocks, openedNs) : null;
  const json = !sink && chooseFormat(options, reader.readers.length) === "json";
  const pollDrops = (): void => {
    for (const e of watch.poll()) {
      io.err(dropLine("dump", e));
      if (json) io.err(dropRecord(e));
      sink?.drops(e.device, e.endNs, e.total);
    }
  };
  const dropTimer = setInterval(pollDrops, DROP_POLL_MS);
  dropTimer.unref();
  const printer = sink
    ? null
    : new (await import("@pval/tcpdump-printer")).SlotPrinter(chooseFormat(options, reader.readers.length));
  const out = standardOutput(io);

  let remaining = options.count ?? Number.POSITIVE_INFINITY;
  // Prints (or saves) a batch; a promise when the output is full and the
  // rest has to wait (`now`: wait here instead).
  const emit = (batch: Batch, now: boolean): Promise<void> | undefined => {
    const tally = tallies.get(batch.device)!;
    const n = Math.min(batch.slots.count, remaining);
    tally.read += n;
    remaining -= n;
    if (sink) {
      sink.write(batch, n);
      return undefined;
    }
    const bytes = printer!.bytes(batch.slots, sources.get(batch.device) ?? batch, n);
    if (!now) return out.write(bytes);
    out.writeNow(bytes);
    return undefined;
  };

  let stopping = false;
  let finish: (failure: unknown) => void = () => {};
  const finished = new Promise<unknown>((resolve) => {
    finish = resolve;
  });
  // `drain`: print what the reader threads hold before closing (Ctrl-C).
  // A batch still waiting for a full output pipe.
  let writing: Promise<void> | undefined;
  const stop = (drain: boolean): void => {
    if (stopping) return;
    stopping = true;
    reader.stop();
    reader.endCapture();
    refreshDrops(reader, tallies);
    clearInterval(dropTimer);
    pollDrops();
    if (options.verbose) for (const r of reader.readers) io.err(readerStatsLine("dump", r.path, r.readerStats));
    const end = (): void => {
      if (drain) {
        drainBuffers(reader, (batch) => {
          if (remaining === 0 || out.closed) return false;
          emit(batch, true);
          return true;
        });
      }
      reader.close();
      finish(undefined);
    };
    if (writing) writing.then(end, end);
    else end();
  };
  removeEarlySignals();
  const removeSignals = onStopSignals(() => stop(true));
  const status =
    options.status !== false && process.stderr.isTTY
      ? new StatusLine(
          tallies,
          () => refreshDrops(reader, tallies),
          () => reader.readers.reduce((sum, r) => sum + r.buffered, 0),
        )
      : null;

  // The callback form: each wakeup takes a bounded number of batches and
  // every batch is printed (or saved) before the next. A full output pipe
  // holds the device's next batch until this one is written.
  reader.start((err, batch): Promise<void> | undefined => {
    if (err) {
      // The link reader closed every device already.
      if (!stopping) {
        stopping = true;
        finish(err);
      }
      return;
    }
    if (!batch || stopping) return;
    const pending = emit(batch, false);
    writing = pending;
    // -c reached, or the reader of our output went away (`| head`).
    if (remaining === 0 || out.closed) stop(false);
    return pending?.then(() => {
      if (writing === pending) writing = undefined;
      if (out.closed) stop(false);
    });
  });
  // Ctrl-C while the dump was still starting: what was read is printed.
  if (stopRequested) stop(true);
  let failure: unknown;
  try {
    failure = await finished;
  } finally {
    removeSignals();
    status?.end();
    clearInterval(dropTimer);
    if (!stopping) {
      stopping = true;
      reader.close();
    }
    reader.close();
    sink?.close(nowNs(), (device) => watch.total(device));
  }
  if (failure !== undefined) {
    io.err(`dump: ${failure instanceof Error ? failure.message : String(failure)}\n`);
  }
  io.err(summary([...tallies.values()]));
  return failure === undefined ? EXIT_OK : EXIT_FAILURE;
}

/** Hands every batch the stopped readers still hold to `take` until it returns false. */
function drainBuffers(reader: LinkReader, take: (batch: Batch) => boolean): void {
  for (const r of reader.readers) {
    try {
      for (let b = r.open ? r.readBatch() : null; b; b = r.readBatch()) if (!take(b)) return;
    } catch {
      // The device failed (ENODEV): what it held was handed over before the error.
    }
  }
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

/** The live status line on a terminal: rate, total, drops, backlog; redrawn every second. */
class StatusLine {
  readonly #tallies: Map<string, DeviceTally>;
  readonly #refresh: () => void;
  readonly #buffered: () => number;
  readonly #timer: NodeJS.Timeout;
  #last = 0;
  #lastAt = process.hrtime.bigint();

  constructor(tallies: Map<string, DeviceTally>, refresh: () => void, buffered: () => number) {
    this.#tallies = tallies;
    this.#refresh = refresh;
    this.#buffered = buffered;
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
    const buffered = this.#buffered();
    process.stderr.write(
      `\r\x1b[K${Math.round(rate)} slots/s, ${read} read, ${drops} ring drops${buffered > 0 ? `, ${buffered} buffered` : ""}`,
    );
  }

  end(): void {
    clearInterval(this.#timer);
    process.stderr.write("\r\x1b[K");
  }
}

/**
 * Slots to a pcapng file (../pcapng-sink.ts): one interface per device, RX
 * inbound and TX outbound; ring drops as interface statistics blocks
 * (isb_ifdrop: drops since the start). Each batch is written as it comes.
 */
class SlotSink {
  readonly #sink: PcapngSink;
  readonly #slots: SlotPcapngWriter;
  readonly #devices: string[];
  readonly #isb: (id: number, tsNs: bigint, ifdrop: bigint) => Uint8Array;

  private constructor(
    sink: PcapngSink,
    slots: SlotPcapngWriter,
    devices: string[],
    isb: (id: number, tsNs: bigint, ifdrop: bigint) => Uint8Array,
  ) {
    this.#sink = sink;
    this.#slots = slots;
    this.#devices = devices;
    this.#isb = isb;
  }

  /** `startNs`: when the devices were opened, where each device's drop count starts. */
  static async open(
    path: string,
    reader: LinkReader,
    clocks: ReadonlyMap<string, SlotClock>,
    startNs: bigint,
  ): Promise<SlotSink> {
    const { SlotPcapngWriter } = await import("@pval/tcpdump-printer");
    const { ringDropStatisticsBlock } = await import("@pval/stats");
    const { PcapngSink } = await import("../pcapng-sink.js");
    const devices = reader.readers.map((r) => r.path);
    const slots = new SlotPcapngWriter(
      reader.readers.map((r) => ({ path: r.path, direction: r.direction })),
      clocks,
    );
    const sink = await PcapngSink.open(path, { application: "pval dump", packetBuffered: true });
    for (const i of slots.interfaces()) sink.addInterface(i);
    // The start of each device's capture: no drop yet.
    for (let id = 0; id < devices.length; id++) sink.blocks(ringDropStatisticsBlock(id, startNs, 0n));
    return new SlotSink(sink, slots, devices, ringDropStatisticsBlock);
  }

  /** The device's ring dropped `total` copies since the start, as of `tsNs`. */
  drops(device: string, tsNs: bigint, total: number): void {
    const id = this.#devices.indexOf(device);
    if (id >= 0) this.#sink.blocks(this.#isb(id, tsNs, BigInt(total)));
  }

  write(batch: Batch, n: number): void {
    this.#sink.blocks(this.#slots.records(batch.slots, n, batch.device));
  }

  /** The end of the capture: every device's drops since the start (when known), then the file closes. */
  close(tsNs: bigint, total: (device: string) => number | null): void {
    for (const device of this.#devices) {
      const n = total(device);
      if (n !== null) this.drops(device, tsNs, n);
    }
    this.#sink.close();
  }
}

async function dumpFile(path: string, options: DumpOptions, io: CliIo): Promise<number> {
  const { readCaptureSlots, SlotPrinter } = await import("@pval/tcpdump-printer");
  const printer = new SlotPrinter(chooseFormat(options, 1));
  const out = standardOutput(io);
  let remaining = options.count ?? Number.POSITIVE_INFINITY;
  const source = { device: path };
  readCaptureSlots(path, (slots) => {
    const n = Math.min(slots.count, remaining);
    out.writeNow(printer.bytes(slots, source, n));
    remaining -= n;
    return remaining > 0 && !out.closed;
  });
  return EXIT_OK;
}
