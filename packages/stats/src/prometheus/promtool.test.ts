// The exporter's output and the shipped rules and dashboard, checked with
// Prometheus's own promtool. CI installs it (scripts/setup-tools.sh); elsewhere
// these tests skip with a printed reason when it is missing.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { StatsExporter } from "./exporter.js";
import { exactDist, parseExposition, snapshot, stream } from "./test-support.js";
import type { KernelCounters } from "./types.js";

const dir = fileURLToPath(new URL("../../prometheus/", import.meta.url));
const promtool = spawnSync("promtool", ["--version"]).status === 0 ? "promtool" : null;
const skipReason = promtool ? undefined : "promtool is not installed (apt-get install prometheus)";
if (skipReason) {
  if (process.env.CI) throw new Error(`${skipReason}; CI must have it (scripts/setup-tools.sh)`);
  console.warn(`SKIP: ${skipReason}`);
}

function runPromtool(args: string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync("promtool", args, { cwd: dir, input, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const kernel: KernelCounters = {
  links: [{ link: "pval0", ipoptInserted: 9n, ipoptSkipped: 1n, txCopyDrops: 0n, rxCopyDrops: 2n, txtstampBusy: 0n }],
  rings: [
    {
      link: "pval0",
      device: "/dev/pval/pval0-rx-cpu-0",
      direction: "rx",
      cpu: 0,
      copied: 10,
      droppedFull: 1,
      droppedNomem: 0,
      read: 9,
    },
  ],
  failedLinks: ["pval1"],
};

function fullExporter(): StatsExporter {
  const snap = snapshot(
    [
      stream({
        src: "10.0.0.3",
        cpu: 0,
        received: 10,
        duplicates: 1,
        missing: 2,
        reordered: 1,
        sent: 12,
        lost: 3,
        interval: exactDist([1000, 5_000_000]),
        ipdv: exactDist([-4000, 9000]),
      }),
    ],
    { no_option: 1, not_ipv4: 1, streams_dropped: 0 },
  );
  return new StatsExporter({ snapshot: () => snap, kernelCounters: () => kernel });
}

describe.skipIf(skipReason !== undefined)("promtool", () => {
  it("check metrics passes on the exporter's text format", async () => {
    const text = await fullExporter().render("prometheus");
    const r = runPromtool(["check", "metrics"], text);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it("check metrics would catch a badly named metric", () => {
    const r = runPromtool(["check", "metrics"], "# HELP pval_bad Bad.\n# TYPE pval_bad counter\npval_bad 1\n");
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('counter metrics should have "_total" suffix');
  });

  it("check rules passes on the shipped rules", () => {
    const r = runPromtool(["check", "rules", "pval-rules.yml"]);
    expect(r.output).toContain("SUCCESS: 9 rules found");
    expect(r.status).toBe(0);
  });

  it("test rules passes on the rules' unit tests", () => {
    const r = runPromtool(["test", "rules", "pval-rules.test.yml"]);
    expect(r.output).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });
});

describe("rules and dashboard use exported names", () => {
  it("every metric in the rules and the dashboard is exported or recorded", async () => {
    const exported = new Set(parseExposition(await fullExporter().render("prometheus")).map((s) => s.name));
    const rules = readFileSync(`${dir}pval-rules.yml`, "utf8");
    const recorded = new Set([...rules.matchAll(/record: (\S+)/g)].map((m) => m[1] as string));
    const dashboard = JSON.parse(readFileSync(`${dir}pval-dashboard.json`, "utf8")) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...[...rules.matchAll(/expr: >-\n((?: {10}.*\n)+)/g)].map((m) => m[1] as string),
      ...[...rules.matchAll(/expr: ([^>\n].*)/g)].map((m) => m[1] as string),
    ];
    expect(exprs.length).toBeGreaterThan(30);
    const names = new Set(
      exprs.flatMap((e) => [...e.matchAll(/\b((?:pval|process|nodejs)[a-z0-9_:]*)/g)].map((m) => m[1] as string)),
    );
    const unknown = [...names].filter((n) => !exported.has(n) && !recorded.has(n));
    expect(unknown).toEqual([]);
    expect(names.size).toBeGreaterThan(20);
  });
});

// Kept so a missing binary is reported by name rather than as ENOENT.
export const promtoolVersion = promtool ? execFileSync("promtool", ["--version"], { encoding: "utf8" }) : null;
