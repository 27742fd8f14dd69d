import { describe, expect, it } from "vitest";
import { loadNative, missingNativePackage, NativePackageMissingError } from "./native.js";

/** The error Node gives for an import of a package that is not installed. */
async function importError(specifier: string): Promise<unknown> {
  try {
    await import(/* @vite-ignore */ specifier);
  } catch (err) {
    return err;
  }
  throw new Error(`${specifier} imported`);
}

describe("native packages", () => {
  it("loads the installed ones", async () => {
    expect(typeof (await loadNative("@pval/chardev")).openDevices).toBe("function");
    expect(typeof (await loadNative("@pval/netlink")).PvalNetlink).toBe("function");
    expect(typeof (await loadNative("@pval/capture")).openCapture).toBe("function");
  });

  it("recognises Node's error for a missing native package, and only for those", () => {
    const err = Object.assign(new Error("Cannot find package '@pval/chardev' imported from /x/dist/bin.js"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    expect(missingNativePackage(err)).toBe("@pval/chardev");
    expect(missingNativePackage(Object.assign(new Error(err.message), { code: "ENOENT" }))).toBeUndefined();
    expect(missingNativePackage(new Error("@pval/netlink: No native build was found"))).toBeUndefined();
    expect(missingNativePackage(null)).toBeUndefined();
  });

  it("does not take another missing package for a native one", async () => {
    const err = await importError("@pval/not-a-package");
    expect((err as { code?: string }).code).toMatch(/MODULE_NOT_FOUND/);
    expect(missingNativePackage(err)).toBeUndefined();
  });

  it("says in one line which package is missing and what for", () => {
    const message = new NativePackageMissingError("@pval/netlink").message;
    expect(message).not.toContain("\n");
    expect(message).toMatch(
      /^@pval\/netlink is not installed; it talks to pval links over rtnetlink, .*Linux only \(this system: \w+-\w+\)$/,
    );
  });
});
