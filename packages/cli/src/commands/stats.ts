// `pval stats`: per-stream loss, duplicates, reordering, intervals and delay
// variation of pval traffic (SPEC section 6), live from the character devices
// or from capture files.
//
//   pval stats LINK|DEVICE... [--tx LINK|DEVICE]... [--duration SEC]      live
//   pval stats -r RX_FILE [--tx TX_FILE]                                   offline
//     [--json] [--interval SEC] [--window SEC] [--synced-clocks] [--plot FILE.svg] [--records FILE.csv]
//
// Live, a link name stands for its RX devices; `--tx` names the sender's TX
// copies (a link on this host, or device paths). On a terminal the report is
// redrawn every --interval seconds (default 1) like top; otherwise one report
// is printed at the end (Ctrl-C, or --duration), or one per --interval when
// given. The figures come from @pval/stats; this file wires input and output.
// Every report names the clock that stamped each side ("clock"): live, from
// the links' switches over rtnetlink; from files, from the "clock=<name>"
// comment of their pcapng interfaces (pval dump -w), else "unknown".
//
// Ring drops (copies the kernel had no room for in a device's ring) are kept
// apart from network loss: live, the rings' counters are read every second
// and new drops get a line on stderr; a file written by `pval dump -w` holds
// them as interface statistics blocks. The report gains `ring_drops` per
// device, and while a receiver's ring dropped, `lost`/`missing` are flagged
// as upper bounds (see @pval/stats' ring-drops.ts).
// Exit 0 on success, 1 on a bad file or device (after the report of what was
// read), 2 on a usage error.

import { closeSync, openSync, writeSync } from "node:fs";
import type { Batch, LinkReader } from "@pval/chardev";
import type { MatchRow, ReportClock, RingDropTracker, StatsAnalyser } from "@pval/stats";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import type { CliIo } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, stdio } from "../command.js";
import { loadNative } from "../native.js";
import { linkSwitches } from "./dump.js";
import { addListenOptions, type ListenOptions, startListen } from "./stats-listen.js";

interface StatsOptions extends ListenOptions {
  read?: string;
  tx?: string[];
  json?: boolean;
  interval?: number;
  window?: number;
  syncedClocks?: boolean;
  plot?: string;
  records?: string;
  duration?: number;
  bufferSize?: number;
  verbose?: boolean;
}

/** Reader-thread buffer per device, KiB, as `pval dump -B`. */
const BUFFER_KIB = 16384;

class UsageError extends Error {}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || !(n > 0) || n > 1e6) {
    throw new InvalidArgumentError("SEC must be a number of seconds greater than 0.");
  }
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function buildCommand(io: CliIo): Command {
  return addListenOptions(new Command("pval stats"))
    .description("loss, duplicates, reordering (RFC 4737), intervals and delay variation (RFC 3393) per sender and CPU")
    .argument("[targets...]", "RX devices (/dev/pval/pval0-rx-cpu-0) or link names (pval0: its RX devices)")
    .option("-r, --read <FILE>", "read the received packets from a pcap or pcapng file (pval dump -w, tcpdump -w)")
    .option("--tx <FILE|TARGET>", "the sender's TX copies: a capture file with -r, else a link or TX device", collect)
    .option("--json", "JSON instead of text: one document at the end, or one line per --interval")
    .option("--interval <SEC>", "a report every SEC seconds (live: default 1 on a terminal)", parseSeconds)
    .option("--window <SEC>", "time a TX copy waits for its packet before it counts as lost (default 10)", parseSeconds)
    .option("--synced-clocks", "sender and receiver clocks are synchronised: report one-way delay")
    .option("--plot <FILE.svg>", "draw the interval histograms (and IPDV over time with --tx) as SVG")
    .option("--records <FILE.csv>", "write one row per matched packet: src,cpu,seq,tx_ns,rx_ns,ipdv_ns")
    .option("--duration <SEC>", "live: stop after SEC seconds (else Ctrl-C)", parseSeconds)
    .option("-v, --verbose", "live: say how each reader thread is scheduled")
    .helpOption("-h, --help", "show this help")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (s, write) => write(`stats: ${s}`) });
}

export async function main(args: string[], io: CliIo): Promise<number> {
  const command = buildCommand(io);
  let options: StatsOptions;
  let targets: string[];
  try {
    command.parse(args, { from: "user" });
    options = command.opts<StatsOptions>();
    targets = command.processedArgs[0] as string[];
    if (options.read !== undefined && targets.length > 0) throw new UsageError("-r FILE takes no devices");
    if (options.read === undefined && targets.length === 0) throw new UsageError("no link, device or -r FILE");
    if (options.read !== undefined && options.tx && options.tx.length > 1) {
      throw new UsageError("with -r, --tx takes one capture file");
    }
    if (options.read !== undefined && options.duration !== undefined) {
      throw new UsageError("--duration is for live reading; -r reads the whole file");
    }
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof UsageError) {
      io.err(`stats: ${err.message}\n`);
      io.err(command.helpInformation());
      return EXIT_USAGE;
    }
    throw err;
  }
  let records: CsvRecords | null = null;
  try {
    records = options.records !== undefined ? new CsvRecords(options.records) : null;
    const { StatsAnalyser, RingDropTracker } = await import("@pval/stats");
    const drops = new RingDropTracker();
    const analyser = new StatsAnalyser({
      onLost: drops.lost,
      withTx: options.tx !== undefined,
      maxStreams: options.maxStreams,
      syncedClocks: options.syncedClocks ?? false,
      ...(options.window !== undefined ? { joinWindowNs: options.window * 1e9 } : {}),
      ...(records ? { onMatch: records.row } : {}),
    });
    const code =
      options.read !== undefined
        ? await statsFiles(analyser, drops, options.read, options, io)
        : await statsLive(analyser, drops, targets, options, io);
    return code;
  } catch (err) {
    io.err(`stats: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  } finally {
    records?.close();
  }
}

/** --records: CSV rows written in 64 KiB pieces. */
class CsvRecords {
  readonly #fd: number;
  #pending: string[] = [];
  #size = 0;

  constructor(path: string) {
    this.#fd = openSync(path, "w");
    writeSync(this.#fd, "src,cpu,seq,tx_ns,rx_ns,ipdv_ns\n");
  }

  readonly row = (r: MatchRow): void => {
    const line = `${r.src},${r.cpu},${r.seq},${r.txNs},${r.rxNs},${r.ipdvNs ?? ""}\n`;
    this.#pending.push(line);
    this.#size += line.length;
    if (this.#size > 65536) this.flush();
  };

  flush(): void {
    if (this.#pending.length === 0) return;
    writeSync(this.#fd, this.#pending.join(""));
    this.#pending = [];
    this.#size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

/** The report at the end, and the --plot drawing of the same figures. */
async function finalReport(
  analyser: StatsAnalyser,
  drops: RingDropTracker,
  clock: ReportClock,
  options: StatsOptions,
  io: CliIo,
): Promise<void> {
  const stats = await import("@pval/stats");
  io.out(renderWith(stats, analyser, drops, clock, options.json ?? false));
  const snap = analyser.snapshot();
  const timed = snap.streams.filter((s) => s.interval !== null);
  if (timed.length > 0 && timed.every((s) => s.interval!.max === 0)) {
    io.err("stats: every timestamp is the same (0 without timestamps): turn on swtstamp for intervals and delays\n");
  }
  if (options.plot !== undefined) {
    const fd = openSync(options.plot, "w");
    try {
      writeSync(fd, stats.plotSvg(snap));
    } finally {
      closeSync(fd);
    }
  }
}

/** Renders the analyser's figures as text or JSON, with the rings' drops. */
async function render(
  analyser: StatsAnalyser,
  drops: RingDropTracker,
  clock: ReportClock,
  json: boolean,
): Promise<string> {
  return renderWith(await import("@pval/stats"), analyser, drops, clock, json);
}

function renderWith(
  { formatText, toReport }: typeof import("@pval/stats"),
  analyser: StatsAnalyser,
  drops: RingDropTracker,
  clock: ReportClock,
  json: boolean,
): string {
  const snap = analyser.snapshot();
  return json ? `${JSON.stringify(drops.annotate(toReport(snap, clock)))}\n` : formatText(snap, clock) + drops.remark();
}

async function statsFiles(
  analyser: StatsAnalyser,
  drops: RingDropTracker,
  rxPath: string,
  options: StatsOptions,
  io: CliIo,
): Promise<number> {
  const stats = await import("@pval/stats");
  const { readCaptures, readPcapngRingDrops } = stats;
  // Ring drops first (pval dump -w's statistics blocks), so that lost
  // packets meet their windows as they settle. A pipe is read once: none.
  if (rxPath !== "-") readPcapngRingDrops(rxPath, drops, "rx");
  const txPath = options.tx?.[0];
  if (txPath !== undefined && txPath !== "-") readPcapngRingDrops(txPath, drops, "tx");
  const listener = await startListen(options, { snapshot: () => analyser.snapshot(), io });
  if (typeof listener === "number") return listener;
  const json = options.json ?? false;
  const every = options.interval;
  let next = Number.NaN;
  const results = readCaptures(analyser, {
    rx: rxPath === "-" ? 0 : rxPath,
    ...(options.tx?.[0] !== undefined ? { tx: options.tx[0] === "-" ? 0 : options.tx[0] } : {}),
    // --interval on a file: a report every SEC seconds of capture time.
    ...(every !== undefined
      ? {
          onRxRecord: (r, clock) => {
            const t = r.tsSec + r.tsNsec / 1e9;
            if (Number.isNaN(next)) next = t + every;
            if (t < next) return;
            next = t + every;
            const text = renderWith(stats, analyser, drops, clock, json);
            io.out(json ? text : `${text}\n`);
          },
        }
      : {}),
  });
  await finalReport(analyser, drops, { rx: results[0]!.clock, tx: results[1]?.clock ?? null }, options, io);
  let code = EXIT_OK;
  for (const r of results) {
    if (r.notEthernet > 0) io.err(`stats: ${r.path}: ${r.notEthernet} records are not Ethernet, not analysed\n`);
    if (r.error) {
      io.err(`stats: ${r.path}: ${r.error.message} (after ${r.records} records)\n`);
      code = EXIT_FAILURE;
    }
  }
  if (listener) {
    // -r FILE --listen: the final figures are served until SIGINT or SIGTERM.
    await listener.served();
    await listener.close();
  }
  return code;
}

/** Device paths of the targets: a path as given, a link name as its devices of one direction. */
async function devicePaths(targets: string[], direction: "rx" | "tx"): Promise<string[]> {
  const { discoverDevices } = await loadNative("@pval/chardev");
  const out: string[] = [];
  for (const target of targets) {
    if (target.includes("/")) out.push(target);
    else {
      const found = discoverDevices(target, { rx: direction === "rx", tx: direction === "tx" });
      if (found.length === 0) throw new Error(`${target}: no ${direction} device (is ${direction}copy on?)`);
      for (const d of found) out.push(d.path);
    }
  }
  return [...new Set(out)];
}

/**
 * The clock of one side's targets, from their links' switches: a link name,
 * or the link a device path names; "unknown" for a path that names none.
 */
async function targetsClock(targets: string[], direction: "rx" | "tx"): Promise<string> {
  const { parseDeviceName } = await loadNative("@pval/chardev");
  const { timestampClock } = await loadNative("@pval/netlink");
  const { commonClock } = await import("@pval/stats");
  const switches = await linkSwitches(targets);
  return commonClock(
    targets.map((t) => {
      const link = t.includes("/") ? parseDeviceName(t)?.link : t;
      return link === undefined ? "unknown" : timestampClock(switches.get(link), direction);
    }),
  );
}

async function statsLive(
  analyser: StatsAnalyser,
  drops: RingDropTracker,
  targets: string[],
  options: StatsOptions,
  io: CliIo,
): Promise<number> {
  const chardev = await loadNative("@pval/chardev");
  const rxPaths = await devicePaths(targets, "rx");
  const txPaths = options.tx ? await devicePaths(options.tx, "tx") : [];
  const txSet = new Set(txPaths);
  const clock: ReportClock = {
    rx: await targetsClock(targets, "rx"),
    tx: options.tx ? await targetsClock(options.tx, "tx") : null,
  };
  for (const p of rxPaths) if (txSet.has(p)) throw new Error(`${p} is given as both RX and TX`);
  const { RingWatch, dropLine, dropRecord, readerStatsLine, wakeNote } = await import("./ring-watch.js");
  const reader: LinkReader = chardev.openDevices([...rxPaths, ...txPaths], {
    ringStats: false,
    bufferSize: BUFFER_KIB * 1024,
  });
  // Ring drops count from the open, as in pval dump: the rest of the
  // start-up is part of the measurement.
  const watch = new RingWatch(reader.readers, (r) => (txSet.has(r.path) ? "tx" : "rx"));
  const dropsAtOpen = ringDrops(reader);
  const listener = await startListen(options, {
    snapshot: () => analyser.snapshot(),
    links: [...targets, ...(options.tx ?? [])].filter((t) => !t.includes("/")),
    readers: () => reader.readers,
    io,
  });
  if (typeof listener === "number") {
    reader.close();
    return listener;
  }
  if (options.verbose) {
    for (const r of reader.readers)
      io.err(`stats: ${r.path}: reader thread ${r.scheduling ?? "none"}${wakeNote(r.wakeSlots)}\n`);
  }
  for (const r of reader.readers) drops.device(r.path, txSet.has(r.path) ? "tx" : "rx");
  const pollDrops = (): void => {
    for (const e of watch.poll()) {
      drops.add(e.device, e.side, e.startNs, e.endNs, e.drops);
      io.err(dropLine("stats", e));
      if (options.json) io.err(dropRecord(e));
    }
  };
  const json = options.json ?? false;
  const tty = io === stdio && process.stdout.isTTY === true;
  const every = options.interval ?? (tty ? 1 : undefined);

  const take = (batch: Batch): void => {
    if (txSet.has(batch.device)) analyser.addTxSlots(batch.slots);
    else analyser.addRxSlots(batch.slots);
  };

  let finish: (failure: unknown) => void = () => {};
  const finished = new Promise<unknown>((resolve) => {
    finish = resolve;
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    finish(undefined);
  };
  const onSignal = (): void => stop();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const timers: NodeJS.Timeout[] = [setInterval(pollDrops, 1000)];
  if (options.duration !== undefined) timers.push(setTimeout(stop, options.duration * 1000));
  if (every !== undefined) {
    timers.push(
      setInterval(async () => {
        const text = await render(analyser, drops, clock, json);
        if (tty && !json) io.out(`\x1b[H\x1b[2J${new Date().toISOString()}  ${reader.readers.length} devices\n${text}`);
        else io.out(text);
      }, every * 1000),
    );
  }
  reader.start((err, batch) => {
    if (err) {
      if (!stopping) {
        stopping = true;
        finish(err);
      }
      return;
    }
    if (batch && !stopping) take(batch);
  });
  const failure = await finished;
  for (const t of timers) clearInterval(t);
  process.removeListener("SIGINT", onSignal);
  process.removeListener("SIGTERM", onSignal);
  // Whatever the reader threads still hold is part of the measurement.
  reader.stop();
  reader.endCapture();
  pollDrops();
  if (options.verbose) for (const r of reader.readers) io.err(readerStatsLine("stats", r.path, r.readerStats));
  const dropsAtEnd = ringDrops(reader);
  for (const r of reader.readers) {
    try {
      for (let b = r.open ? r.readBatch() : null; b; b = r.readBatch()) take(b);
    } catch {
      // The device failed (ENODEV): what it held was handed over before the error.
    }
  }
  reader.close();
  analyser.finish();
  await finalReport(analyser, drops, clock, options, io);
  await listener?.close();
  const dropped = dropsAtEnd === null || dropsAtOpen === null ? null : dropsAtEnd - dropsAtOpen;
  if (dropped !== 0) {
    io.err(
      `stats: ${dropped ?? "unknown"} ring drops: copies the kernel could not hand over (RX: counted above as missing or lost, flagged as upper bounds)\n`,
    );
  }
  if (failure !== undefined) {
    io.err(`stats: ${failure instanceof Error ? failure.message : String(failure)}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

/** Ring drops (full + no memory) of all the devices, or null when the module does not count them. */
function ringDrops(reader: LinkReader): number | null {
  let n = 0;
  for (const r of reader.readers) {
    try {
      const s = r.stats();
      n += s.droppedFull + s.droppedNomem;
    } catch {
      return null;
    }
  }
  return n;
}
