// The ABI version the loaded pval.ko speaks (include/uapi/linux/pval.h,
// PVAL_ABI_VERSION), checked before the first device is opened: a module of
// another version lays its slots out or reads them differently.
import { readFileSync } from "node:fs";
import { PVAL_ABI_VERSION } from "./generated/abi.js";

/** The module's read-only parameter; a pval.ko without it speaks ABI 1. */
export const MODULE_ABI_PATH = "/sys/module/pval/parameters/abi_version";
const MODULE_DIR = "/sys/module/pval";

/** Reads a sysfs file; undefined when it does not exist. */
export type SysfsReader = (path: string) => string | undefined;

const readSysfs: SysfsReader = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
};

/** The loaded pval.ko speaks another ABI version than this package. */
export class AbiMismatchError extends Error {
  override readonly name = "AbiMismatchError";
  readonly code = "ERR_PVAL_ABI";
  /** The version the module speaks. */
  readonly moduleAbi: number;
  /** The version this package speaks. */
  readonly packageAbi: number = PVAL_ABI_VERSION;

  constructor(moduleAbi: number) {
    super(
      `pval.ko speaks ABI ${moduleAbi}, @pval/chardev speaks ABI ${PVAL_ABI_VERSION}: load the pval.ko of the same release`,
    );
    this.moduleAbi = moduleAbi;
  }
}

/**
 * The ABI version of the loaded pval.ko: its abi_version parameter, 1 for a
 * module without one, undefined when no pval.ko is loaded.
 */
export function moduleAbiVersion(read: SysfsReader = readSysfs): number | undefined {
  const text = read(MODULE_ABI_PATH);
  if (text === undefined) return read(`${MODULE_DIR}/initstate`) === undefined ? undefined : 1;
  const v = Number(text.trim());
  if (!Number.isInteger(v) || v < 1) throw new Error(`${MODULE_ABI_PATH}: not an ABI version: ${JSON.stringify(text)}`);
  return v;
}

let checked = false;

/**
 * Throws an {@link AbiMismatchError} when the loaded pval.ko speaks another
 * ABI. No module loaded: nothing to check (the device is not a pval one).
 * A successful check is remembered for the process.
 */
export function checkModuleAbi(read?: SysfsReader): void {
  if (checked && read === undefined) return;
  const v = moduleAbiVersion(read);
  if (v !== undefined && v !== PVAL_ABI_VERSION) throw new AbiMismatchError(v);
  if (v !== undefined && read === undefined) checked = true;
}
