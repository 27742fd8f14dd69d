// Compiles layout.c against the ABI header with the system C compiler and
// checks that every generated TypeScript layout agrees with it, field by
// field, and that no field is missing on either side.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as chardevAbi from "../../packages/chardev/src/generated/abi.js";
import * as decodeAbi from "../../packages/decode/src/generated/abi.js";

interface Layout {
  size: number;
  fields: Record<string, { offset: number; size: number }>;
}

const root = join(__dirname, "../..");
let dir = "";
const c: Record<string, { size: number; fields: Record<string, { offset: number; size: number }> }> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pval-layout-"));
  const exe = join(dir, "layout");
  execFileSync(process.env.CC ?? "cc", [
    "-std=c11",
    "-Wall",
    "-Werror",
    "-I",
    join(root, "kmod/include/uapi"),
    "-o",
    exe,
    join(__dirname, "layout.c"),
  ]);
  for (const line of execFileSync(exe, { encoding: "utf8" }).trim().split("\n")) {
    const [name, a, b] = line.split(" ");
    const [struct, field] = name!.split(".");
    c[struct!] ??= { size: -1, fields: {} };
    if (field) c[struct!]!.fields[field] = { offset: Number(a), size: Number(b) };
    else c[struct!]!.size = Number(a);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cases: [string, string, Layout][] = [
  ["decode", "pval_ipopt", decodeAbi.PvalIpoptLayout],
  ["decode", "pval_slot", decodeAbi.PvalSlotLayout],
  ["chardev", "pval_slot", chardevAbi.PvalSlotLayout],
  ["chardev", "pval_ring_stats", chardevAbi.PvalRingStatsLayout],
];

describe("generated layouts match the C compiler", () => {
  it.each(cases)("%s: struct %s", (_pkg, struct, layout) => {
    const ref = c[struct];
    expect(ref, `layout.c does not print struct ${struct}`).toBeDefined();
    expect(layout.size).toBe(ref!.size);
    expect(Object.keys(layout.fields).sort()).toEqual(Object.keys(ref!.fields).sort());
    for (const [name, f] of Object.entries(ref!.fields)) {
      expect({ field: name, offset: layout.fields[name]!.offset, size: layout.fields[name]!.size }).toEqual({
        field: name,
        ...f,
      });
    }
  });

  // The const enums the hot loops use carry the same numbers as literals.
  const enums: [string, string, Record<string, number>][] = [
    ["decode", "pval_ipopt", decodeAbi.PvalIpoptAt as unknown as Record<string, number>],
    ["decode", "pval_slot", decodeAbi.PvalSlotAt as unknown as Record<string, number>],
    ["chardev", "pval_slot", chardevAbi.PvalSlotAt as unknown as Record<string, number>],
    ["chardev", "pval_ring_stats", chardevAbi.PvalRingStatsAt as unknown as Record<string, number>],
  ];
  it.each(enums)("%s: the const enum of struct %s", (_pkg, struct, at) => {
    const ref = c[struct]!;
    const offsets = Object.fromEntries(Object.entries(ref.fields).map(([name, f]) => [name, f.offset]));
    const fromEnum = Object.fromEntries(Object.entries(at).filter(([k, v]) => typeof v === "number" && k !== "sizeof"));
    expect(fromEnum).toEqual(offsets);
    expect(at.sizeof).toBe(ref.size);
  });

  it("the length constants agree with the structures", () => {
    expect(decodeAbi.PvalConst.PVAL_IPOPT_LEN).toBe(decodeAbi.PVAL_IPOPT_LEN);
    expect(decodeAbi.PvalConst.PVAL_SLOT_PKT_SIZE).toBe(decodeAbi.PVAL_SLOT_PKT_SIZE);
    expect(c.pval_ipopt!.size).toBe(decodeAbi.PVAL_IPOPT_LEN);
    expect(c.pval_slot!.fields.pkt!.size).toBe(decodeAbi.PVAL_SLOT_PKT_SIZE);
    expect(c.pval_slot!.fields.pkt!.offset + c.pval_slot!.fields.pkt!.size).toBe(c.pval_slot!.size);
  });
});
