// Names of the pval character devices, derived from the formats of the ABI
// header (PVAL_DEV_TX_FMT / PVAL_DEV_RX_FMT, relative to /dev).
//
// An interface name may itself contain "-" (even "-rx-cpu-1"): the CPU and
// direction are taken from the end of the name, everything before them is
// the link name.

import { basename, dirname, join } from "node:path";
import { PVAL_DEV_DIR, PVAL_DEV_RX_FMT, PVAL_DEV_TX_FMT } from "./generated/abi.js";

export type Direction = "tx" | "rx";

/** The directory holding the devices: /dev/pval. */
export const DEVICE_DIR: string = join("/dev", PVAL_DEV_DIR);

/** What a device name says. */
export interface DeviceName {
  /** The pval interface, e.g. "pval0". */
  link: string;
  direction: Direction;
  cpu: number;
}

const FORMATS: Record<Direction, string> = { tx: PVAL_DEV_TX_FMT, rx: PVAL_DEV_RX_FMT };

function fileFormat(direction: Direction): string {
  // The formats carry the directory ("pval/%s-..."); file names do not.
  const fmt = FORMATS[direction];
  const dir = `${PVAL_DEV_DIR}/`;
  if (!fmt.startsWith(dir)) throw new Error(`device format ${fmt} is not under ${dir}`);
  return fmt.slice(dir.length);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compile(direction: Direction): RegExp {
  const parts = fileFormat(direction).split(/(%s|%u)/);
  const source = parts.map((p) => (p === "%s" ? "(.+)" : p === "%u" ? "(0|[1-9][0-9]*)" : escapeRegExp(p))).join("");
  return new RegExp(`^${source}$`, "s");
}

const PATTERNS: Record<Direction, RegExp> = { tx: compile("tx"), rx: compile("rx") };

/** The file name (in {@link DEVICE_DIR}) of a link's device. */
export function deviceFileName(link: string, direction: Direction, cpu: number): string {
  if (!Number.isInteger(cpu) || cpu < 0) throw new RangeError(`cpu must be a non-negative integer, got ${cpu}`);
  return fileFormat(direction).replace("%s", link).replace("%u", String(cpu));
}

/** The full path of a link's device, e.g. /dev/pval/pval0-rx-cpu-0. */
export function devicePath(link: string, direction: Direction, cpu: number, dir: string = DEVICE_DIR): string {
  return join(dir, deviceFileName(link, direction, cpu));
}

/** Reads a device file name (or path); undefined when it is not one. */
export function parseDeviceName(nameOrPath: string): DeviceName | undefined {
  const name = basename(nameOrPath);
  for (const direction of ["tx", "rx"] as const) {
    const m = PATTERNS[direction].exec(name);
    if (m) return { link: m[1]!, direction, cpu: Number(m[2]) };
  }
  return undefined;
}

/** True when `path` is inside the pval device directory. */
export function isInDeviceDir(path: string, dir: string = DEVICE_DIR): boolean {
  return dirname(path) === dir;
}
