import { describe, expect, it } from "vitest";
import { AbiMismatchError, checkModuleAbi, MODULE_ABI_PATH, moduleAbiVersion, type SysfsReader } from "./abi.js";
import { PVAL_ABI_VERSION } from "./generated/abi.js";

/** A sysfs with the given files. */
function sysfs(files: Record<string, string>): SysfsReader {
  return (path) => files[path];
}

describe("module ABI check", () => {
  it("reads the module's abi_version parameter", () => {
    expect(moduleAbiVersion(sysfs({ [MODULE_ABI_PATH]: "2\n", "/sys/module/pval/initstate": "live\n" }))).toBe(2);
  });

  it("takes a loaded module without the parameter for ABI 1, and no module for nothing to check", () => {
    expect(moduleAbiVersion(sysfs({ "/sys/module/pval/initstate": "live\n" }))).toBe(1);
    expect(moduleAbiVersion(sysfs({}))).toBeUndefined();
    expect(() => checkModuleAbi(sysfs({}))).not.toThrow();
  });

  it("accepts a module of its own version", () => {
    expect(() => checkModuleAbi(sysfs({ [MODULE_ABI_PATH]: `${PVAL_ABI_VERSION}\n` }))).not.toThrow();
  });

  it("refuses another version with both versions named", () => {
    let caught: unknown;
    try {
      checkModuleAbi(sysfs({ "/sys/module/pval/initstate": "live\n" }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AbiMismatchError);
    expect(caught).toMatchObject({ code: "ERR_PVAL_ABI", moduleAbi: 1, packageAbi: PVAL_ABI_VERSION });
    expect((caught as Error).message).toBe(
      `pval.ko speaks ABI 1, @pval/chardev speaks ABI ${PVAL_ABI_VERSION}: load the pval.ko of the same release`,
    );
    expect(() => checkModuleAbi(sysfs({ [MODULE_ABI_PATH]: `${PVAL_ABI_VERSION + 1}\n` }))).toThrow(
      `pval.ko speaks ABI ${PVAL_ABI_VERSION + 1}, @pval/chardev speaks ABI ${PVAL_ABI_VERSION}`,
    );
  });

  it("says what is wrong with an unreadable parameter", () => {
    expect(() => checkModuleAbi(sysfs({ [MODULE_ABI_PATH]: "two\n" }))).toThrow(/not an ABI version: "two\\n"/);
  });
});

describe("the addon's ioctl numbers", () => {
  it("are the header's, as the addon was compiled against it", async () => {
    const { native } = await import("./native.js");
    const generated = await import("./generated/abi.js");
    const b = native();
    expect([b.RING_STATS_IOCTL, b.SET_WAKE_SLOTS_IOCTL, b.GET_WAKE_SLOTS_IOCTL]).toEqual([
      generated.PVAL_IOC_RING_STATS,
      generated.PVAL_IOC_SET_WAKE_SLOTS,
      generated.PVAL_IOC_GET_WAKE_SLOTS,
    ]);
  });
});
