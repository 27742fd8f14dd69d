import { describe, expect, it } from "vitest";
import { DEVICE_DIR, deviceFileName, devicePath, parseDeviceName } from "./device-name.js";

describe("device names", () => {
  it("formats the walkthrough's devices", () => {
    expect(devicePath("pval0", "rx", 0)).toBe("/dev/pval/pval0-rx-cpu-0");
    expect(devicePath("pval0", "tx", 0)).toBe("/dev/pval/pval0-tx-cpu-0");
    expect(DEVICE_DIR).toBe("/dev/pval");
  });

  it("parses file names and paths", () => {
    expect(parseDeviceName("pval0-rx-cpu-0")).toEqual({ link: "pval0", direction: "rx", cpu: 0 });
    expect(parseDeviceName("/dev/pval/pval12-tx-cpu-15")).toEqual({ link: "pval12", direction: "tx", cpu: 15 });
  });

  it("keeps dashes in the link name", () => {
    expect(parseDeviceName("my-link-tx-cpu-3")).toEqual({ link: "my-link", direction: "tx", cpu: 3 });
    expect(parseDeviceName("a-rx-cpu-1-rx-cpu-0")).toEqual({ link: "a-rx-cpu-1", direction: "rx", cpu: 0 });
    expect(parseDeviceName(deviceFileName("x-tx-cpu-2", "tx", 7))).toEqual({
      link: "x-tx-cpu-2",
      direction: "tx",
      cpu: 7,
    });
  });

  it("rejects names that are not devices", () => {
    for (const name of ["pval0", "pval0-rx-cpu-", "pval0-rx-cpu-x", "-rx-cpu-0", "pval0-up-cpu-0", "pval0-rx-cpu-01"]) {
      expect(parseDeviceName(name)).toBeUndefined();
    }
  });

  it("refuses a negative or fractional CPU", () => {
    expect(() => deviceFileName("pval0", "rx", -1)).toThrow(RangeError);
    expect(() => deviceFileName("pval0", "rx", 1.5)).toThrow(RangeError);
  });
});
