import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deviceFileName } from "./device-name.js";
import { discoverDevices } from "./link.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pval-dev-"));
  for (const link of ["pval0", "pval0-b", "pval1"]) {
    for (const cpu of [0, 1, 2]) {
      for (const d of ["tx", "rx"] as const) writeFileSync(join(dir, deviceFileName(link, d, cpu)), "");
    }
  }
  writeFileSync(join(dir, "unrelated"), "");
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const names = (list: { path: string }[]): string[] => list.map((d) => d.path.slice(dir.length + 1));

describe("discoverDevices", () => {
  it("finds every device of the link, TX first, by CPU, and no other link's", () => {
    expect(names(discoverDevices("pval0", { dir }))).toEqual([
      "pval0-tx-cpu-0",
      "pval0-tx-cpu-1",
      "pval0-tx-cpu-2",
      "pval0-rx-cpu-0",
      "pval0-rx-cpu-1",
      "pval0-rx-cpu-2",
    ]);
  });

  it("handles link names with a dash", () => {
    const found = discoverDevices("pval0-b", { dir, tx: false });
    expect(names(found)).toEqual(["pval0-b-rx-cpu-0", "pval0-b-rx-cpu-1", "pval0-b-rx-cpu-2"]);
    expect(found[0]).toMatchObject({ link: "pval0-b", direction: "rx", cpu: 0 });
  });

  it("filters by direction and CPU", () => {
    expect(names(discoverDevices("pval1", { dir, rx: false, cpus: [2, 0] }))).toEqual([
      "pval1-tx-cpu-0",
      "pval1-tx-cpu-2",
    ]);
  });

  it("says which CPU has no device", () => {
    expect(() => discoverDevices("pval1", { dir, cpus: [1, 7] })).toThrow(/pval1 has no device for CPU 7/);
  });

  it("reports ENOENT for an unknown link or a missing directory", () => {
    expect(() => discoverDevices("pval9", { dir })).toThrow(
      expect.objectContaining({ code: "ENOENT", message: expect.stringContaining("pval9") }),
    );
    const gone = join(dir, "nothing");
    expect(() => discoverDevices("pval0", { dir: gone })).toThrow(/does not exist \(is pval.ko loaded\?\)/);
    mkdirSync(gone);
    expect(() => discoverDevices("pval0", { dir: gone })).toThrow(/no such pval link devices/);
  });

  it("rejects contradictory options", () => {
    expect(() => discoverDevices("pval0", { dir, tx: false, rx: false })).toThrow(RangeError);
    expect(() => discoverDevices("pval0", { dir, cpus: [-1] })).toThrow(RangeError);
    expect(() => discoverDevices("", { dir })).toThrow(TypeError);
  });
});
