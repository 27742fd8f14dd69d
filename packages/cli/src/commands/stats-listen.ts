// `pval stats --listen [ADDR:]PORT --max-streams N`: the Prometheus endpoint
// of an analysis. stats.ts adds the options with addListenOptions() and, once
// its analyser exists, calls startListen():
//
//   const listener = await startListen(opts, { snapshot: () => analyser.snapshot(), links, readers, io });
//   if (typeof listener === "number") return listener;   // bad --listen: one line printed, exit 1
//   ... analyse ...
//   with -r FILE: await listener?.served();               // serves the final figures until SIGINT/SIGTERM
//   await listener?.close();
//
// Scrapes read the analyser's snapshot, the rings' counters (the chardev
// stats ioctl) and the links' pval counters (rtnetlink), at most once a
// second however often they come; prom-client is loaded only with --listen.

import type { RingStats } from "@pval/chardev";
import type { KernelCounters, LinkCounters, RingCounters, StatsSnapshotLike } from "@pval/stats/prometheus";
import { type Command, InvalidArgumentError } from "commander";
import type { CliIo } from "../command.js";
import { EXIT_FAILURE } from "../command.js";
import { loadNative } from "../native.js";

/** Streams exported (and held by the analyser) unless --max-streams says otherwise. */
export const DEFAULT_MAX_STREAMS = 1000;

export interface ListenOptions {
  /** `[ADDR:]PORT`, checked by startListen (a bad one is a runtime error, exit 1). */
  listen?: string;
  maxStreams: number;
}

function parseMaxStreams(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError("N must be a positive integer.");
  }
  return Number(value);
}

/** Adds --listen and --max-streams to the stats command. */
export function addListenOptions(command: Command): Command {
  return command
    .option(
      "--listen <[ADDR:]PORT>",
      "serve the figures as Prometheus metrics on http://ADDR:PORT/metrics (with -r: after the file, until Ctrl-C)",
    )
    .option(
      "--max-streams <N>",
      "streams kept and exported, the least recently seen dropped first",
      parseMaxStreams,
      DEFAULT_MAX_STREAMS,
    );
}

/** A ring reader as @pval/chardev's SlotReader has it. */
export interface RingSource {
  readonly path: string;
  stats(): RingStats;
}

export interface ListenContext {
  snapshot(): StatsSnapshotLike;
  /** The analysed links (live); none with -r. */
  links?: readonly string[];
  /** The device readers of the analysis, for their rings' counters. */
  readers?: () => Iterable<RingSource>;
  io: CliIo;
}

export interface Listener {
  /** `host:port` it is bound to. */
  readonly address: string;
  readonly port: number;
  /** Resolves at SIGINT or SIGTERM (for -r: serve the final figures until then). */
  served(): Promise<void>;
  close(): Promise<void>;
}

/** One line for a listen error, from its errno code. */
export function describeListenError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case "EADDRINUSE":
      return "address already in use";
    case "EADDRNOTAVAIL":
      return "address not available on this machine";
    case "EACCES":
      return "permission denied (ports below 1024 need root)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "no such host";
    default:
      return e.message ?? String(err);
  }
}

/**
 * Starts serving when --listen was given: the listener, or null without
 * --listen, or EXIT_FAILURE after printing one line when the address is bad
 * or cannot be bound.
 */
export async function startListen(options: ListenOptions, ctx: ListenContext): Promise<Listener | number | null> {
  if (options.listen === undefined) return null;
  const { ListenAddressError, parseListenAddress, serveMetrics, StatsExporter } = await import(
    "@pval/stats/prometheus"
  );
  let server: Awaited<ReturnType<typeof serveMetrics>>;
  const links = ctx.links ?? [];
  const kernel = links.length > 0 || ctx.readers ? kernelCounters(links, ctx.readers) : undefined;
  try {
    const address = parseListenAddress(options.listen);
    const exporter = new StatsExporter(
      { snapshot: ctx.snapshot, ...(kernel ? { kernelCounters: kernel.read } : {}) },
      { maxStreams: options.maxStreams },
    );
    server = await serveMetrics(exporter, address);
  } catch (err) {
    kernel?.close();
    const why = err instanceof ListenAddressError ? err.message : describeListenError(err);
    ctx.io.err(`stats: --listen ${options.listen}: ${why}\n`);
    return EXIT_FAILURE;
  }
  ctx.io.err(`stats: serving metrics on http://${server.address}/metrics\n`);
  return {
    address: server.address,
    port: server.port,
    served: () =>
      new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      }),
    close: async () => {
      kernel?.close();
      await server.close();
    },
  };
}

/** Reads the links' pval counters over one rtnetlink socket, and the rings' counters. */
function kernelCounters(
  links: readonly string[],
  readers: (() => Iterable<RingSource>) | undefined,
): { read: () => Promise<KernelCounters>; close: () => void } {
  let netlink: import("@pval/netlink").PvalNetlink | null = null;
  return {
    read: async () => {
      const out: LinkCounters[] = [];
      const failedLinks: string[] = [];
      if (links.length > 0) {
        if (netlink === null) netlink = (await loadNative("@pval/netlink")).PvalNetlink.open();
        for (const name of links) {
          try {
            const stats = (await netlink.getLink(name)).pval.stats;
            if (stats) out.push({ link: name, ...stats });
            else failedLinks.push(name);
          } catch {
            failedLinks.push(name);
          }
        }
      }
      return { links: out, rings: readers ? await ringCounters(readers()) : [], failedLinks };
    },
    close: () => {
      netlink?.close();
      netlink = null;
    },
  };
}

async function ringCounters(readers: Iterable<RingSource>): Promise<RingCounters[]> {
  const { parseDeviceName } = await loadNative("@pval/chardev");
  const out: RingCounters[] = [];
  for (const r of readers) {
    const name = parseDeviceName(r.path);
    let stats: RingStats;
    try {
      stats = r.stats();
    } catch {
      // A closed reader, or a module without the ioctl: no figures for it.
      continue;
    }
    if (name === undefined) continue;
    out.push({ link: name.link, device: r.path, direction: name.direction, cpu: name.cpu, ...stats });
  }
  return out;
}
