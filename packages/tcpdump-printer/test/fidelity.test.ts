// The kinds of difference the differential fuzzer found, one frame each:
// the printer must print what tcpdump 4.99.3 prints (recorded in
// fidelity-cases.ts), and where tcpdump is installed the record is checked
// against it too.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pcapFileHeader, pcapRecord } from "@pval/decode";
import { PacketPrinter } from "@pval/tcpdump-printer";
import { afterAll, describe, expect, it } from "vitest";
import { cases } from "./fidelity-cases.js";

const TCPDUMP = process.env.TCPDUMP ?? "/usr/bin/tcpdump";
const haveTcpdump = spawnSync(TCPDUMP, ["--version"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "pval-fidelity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("tcpdump fidelity on the fuzzer's findings", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const packet = { tsSec: 0, tsNsec: 0, data: c.frame, origlen: c.origlen ?? c.frame.length };
    expect(new PacketPrinter(c.options).format(packet)).toBe(c.want);
  });

  it.runIf(haveTcpdump).each(cases.map((c, i) => [c.name, c, i] as const))("tcpdump still prints: %s", (_, c, i) => {
    const path = join(dir, `case-${i}.pcap`);
    const record = pcapRecord({ tsSec: 0, tsNsec: 0, data: c.frame, origlen: c.origlen ?? c.frame.length });
    writeFileSync(path, Buffer.concat([pcapFileHeader(), record]));
    const text = execFileSync(TCPDUMP, ["-n", ...c.flags, "-r", path], {
      env: { ...process.env, TZ: "UTC" },
      encoding: "latin1",
      stdio: ["ignore", "pipe", "ignore"],
    });
    expect(text).toBe(c.want);
  });
});
