// What `pval print` needs from @pval/capture, kept apart from the argument
// parsing and output of commands/print.ts: tcpdump filter expressions on
// the records of a capture file, and live capture on any interface,
// `any` included, with tcpdump's start and end messages.

import type { CaptureStats, LiveCapture } from "@pval/capture";
import type { CaptureInfo, CaptureRecord } from "@pval/decode";
import type { PrintOptions } from "@pval/tcpdump-printer";
import { loadNative } from "../native.js";

/** A record test: true to print the record. */
export type RecordTest = (record: CaptureRecord, info: CaptureInfo) => boolean;

/** Throws unless the printer (or, `writing`, the pcapng writer, which writes Ethernet) takes `linktype`. */
function checkLinktype(linktype: number, printable: (linktype: number) => boolean, where: string, writing: boolean) {
  if (writing ? linktype === 1 : printable(linktype)) return;
  throw new Error(
    writing
      ? `${where}: link type ${linktype} cannot be written: only Ethernet (1) can`
      : `${where}: link type ${linktype} cannot be printed: Ethernet (1) and Linux cooked (113, 276) can`,
  );
}

/**
 * The records of `pval print -r FILE [EXPRESSION]` to print: throws on a
 * link type that cannot be printed (or written), and applies libpcap's
 * offline filter, compiled for each link type the file has (pcapng: per
 * interface), as tcpdump does for its file's. A bad expression throws
 * FilterError at the first record.
 */
export async function recordGate(path: string, words: string[], writing: boolean): Promise<RecordTest> {
  const { isPrintableLinktype } = await import("@pval/tcpdump-printer");
  const expression = words.join(" ");
  const capture = expression.trim() === "" ? null : await loadNative("@pval/capture");
  const compiled = new Map<number, { matchesAt(b: Uint8Array, at: number, caplen: number, len: number): boolean }>();
  let linktype = -1;
  return (r, info) => {
    if (r.linktype !== linktype) {
      checkLinktype(r.linktype, isPrintableLinktype, path, writing);
      linktype = r.linktype;
    }
    if (capture === null) return true;
    let filter = compiled.get(r.linktype);
    if (filter === undefined) {
      const snaplen = info.snaplen > 0 && info.snaplen <= 262144 ? info.snaplen : 262144;
      filter = capture.compileFilter(expression, r.linktype, snaplen);
      compiled.set(r.linktype, filter);
    }
    return filter.matchesAt(r.buffer, r.dataOffset, r.caplen, r.origlen);
  };
}

export interface LiveSource {
  capture: LiveCapture;
  /** The printer options with the interface names of this network namespace (SLL2 headers). */
  printOptions: PrintOptions;
  /** `listening on DEV, link-type NAME (DESCRIPTION), snapshot length N bytes` as tcpdump says it. */
  listening: string;
}

/**
 * Opens `-i DEV [filter]` as tcpdump does: on `any` (and other devices
 * whose name starts with it) as Linux cooked v2. Throws, with the capture
 * closed, when the link type cannot be printed (or written with `writing`).
 */
export async function openLiveSource(
  device: string,
  filter: string[],
  snaplen: number,
  options: PrintOptions,
  writing: boolean,
  promiscuous?: boolean,
): Promise<LiveSource> {
  const { openCapture, interfaceName, linktypeName, DLT_LINUX_SLL2 } = await loadNative("@pval/capture");
  const { isPrintableLinktype } = await import("@pval/tcpdump-printer");
  const capture = openCapture(device, {
    snaplen,
    filter: filter.join(" "),
    ...(promiscuous === undefined ? {} : { promiscuous }),
    ...(device.startsWith("any") && !writing ? { linktype: DLT_LINUX_SLL2 } : {}),
  });
  try {
    checkLinktype(capture.linktype, isPrintableLinktype, device, writing);
  } catch (err) {
    capture.close();
    throw err;
  }
  const names = new Map<number, string | undefined>();
  const printOptions: PrintOptions = {
    ...options,
    interfaceName: (index) => {
      if (!names.has(index)) names.set(index, interfaceName(index));
      return names.get(index);
    },
  };
  const name = linktypeName(capture.linktype);
  const linktype = name ? `${name.name} (${name.description})` : String(capture.linktype);
  const listening = `listening on ${device}, link-type ${linktype}, snapshot length ${snaplen} bytes`;
  return { capture, printOptions, listening };
}

const plural = (n: number, what: string): string => `${n} packet${n === 1 ? "" : "s"} ${what}\n`;

/**
 * tcpdump's closing figures, one a line; the drops of the interface and of
 * the capture's queue only when there were any.
 */
export function captureStatsText(captured: number, stats: CaptureStats): string {
  return (
    plural(captured, "captured") +
    plural(stats.received, "received by filter") +
    plural(stats.dropped, "dropped by kernel") +
    (stats.ifDropped > 0 ? plural(stats.ifDropped, "dropped by interface") : "") +
    (stats.queueDropped > 0 ? plural(stats.queueDropped, "dropped by pval print (its queue was full)") : "")
  );
}
