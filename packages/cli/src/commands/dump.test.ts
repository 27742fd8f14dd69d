import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFrame, type FrameSpec, ipv4FromString, pcapngFileHeader, pcapngRecord } from "@pval/decode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CapturedRun, runCaptured } from "../../test/run-captured.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../command.js";
import { chooseFormat, defaultBufferKib, main } from "./dump.js";

const mac = (s: string): Uint8Array => Uint8Array.from(s.split(":").map((h) => Number.parseInt(h, 16)));
const PEER = mac("08:00:27:19:12:a4");
const PVAL0 = mac("ea:51:d7:0c:95:1a");
const request: FrameSpec = {
  ethernet: { src: PEER, dst: PVAL0 },
  ipv4: { src: ipv4FromString("10.0.0.2"), dst: ipv4FromString("10.0.0.3") },
  icmp: { type: 8, id: 1, sequence: 1 },
  payload: new Uint8Array(56),
};
const arp: FrameSpec = {
  ethernet: { src: PVAL0, dst: PEER },
  arp: { op: 1, sha: PVAL0, spa: Uint8Array.of(10, 0, 0, 3), tha: new Uint8Array(6), tpa: Uint8Array.of(10, 0, 0, 2) },
};

const run = (args: string[]): Promise<CapturedRun> => runCaptured(main, args);

let dir: string;
let capture: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pval-dump-"));
  capture = join(dir, "walk.pcapng");
  const records = [request, request, arp].map((spec, i) =>
    pcapngRecord({ tsSec: 0, tsNsec: i === 2 ? 7 : 0, data: encodeFrame(spec) }),
  );
  const parts = [pcapngFileHeader(), ...records];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  writeFileSync(capture, bytes);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("pval dump -r", () => {
  it("prints the dump-one lines", async () => {
    const r = await run(["-r", capture]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toBe(
      "0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type0800, 10.0.0.2 -> 10.0.0.3\n" +
        "0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type0800, 10.0.0.2 -> 10.0.0.3\n" +
        "7 ea:51:d7:0c:95:1a -> 08:00:27:19:12:a4 Type0806\n",
    );
  });

  it("stops after -c COUNT slots", async () => {
    const r = await run(["-r", capture, "-c", "1"]);
    expect(r.out.trim().split("\n")).toHaveLength(1);
  });

  it("prints the other formats", async () => {
    const multi = await run(["-r", capture, "--format", "dump-multi", "-c", "1"]);
    expect(multi.out).toBe(
      `${capture}: TS=0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type 0x0800 10.0.0.2 -> 10.0.0.3\n`,
    );
    const look = await run(["-r", capture, "--format", "look-tcp"]);
    expect(look.out.split("\n")[2]).toBe(`${capture} TS=7 PKTLEN=42 ETHER_TYPE=0x0806 `);
    const json = await run(["-r", capture, "--json"]);
    const objects = json.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(objects).toHaveLength(3);
    expect(objects[0]).toMatchObject({ tstamp: "0", ipSrc: "10.0.0.2", ipDst: "10.0.0.3", ethertype: 0x0800 });
  });

  it("fails with exit 1 naming a missing file", async () => {
    const r = await run(["-r", join(dir, "none.pcap")]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.err).toMatch(/^dump: ENOENT: no such file or directory, open '.*none\.pcap'/);
  });
});

describe("pval dump on devices", () => {
  it("names a missing device", async () => {
    const path = join(dir, "pval9-rx-cpu-0");
    const r = await run([path]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.err).toBe(`dump: ENOENT: no such pval device, open '${path}'\n`);
  });

  it("names a link without devices", async () => {
    const r = await run(["pval-none-such"]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.err).toMatch(/^dump: ENOENT: .*pval-none-such|\/dev\/pval does not exist/);
  });
});

describe("usage errors exit 2", () => {
  it.each([
    [[], /no device or link to dump/],
    [["-r", "x.pcap", "/dev/pval/pval0-rx-cpu-0"], /-r FILE takes no devices/],
    [["-r", "x.pcap", "-w", "y.pcapng"], /cannot be combined/],
    [["pval0", "-w", "y.pcapng", "--json"], /do not apply/],
    [["pval0", "--tx", "--rx"], /--tx and --rx together/],
    [["pval0", "--json", "--format", "look-tcp"], /contradict/],
    [["pval0", "-c", "0"], /COUNT must be a positive integer/],
    [["pval0", "-c", "ten"], /COUNT must be a positive integer/],
    [["pval0", "--format", "dump-two"], /Allowed choices are dump-one, dump-multi, look-tcp, json/],
    [["pval0", "--cpu", "x"], /"x" is not a CPU number/],
    [["pval0", "-B", "1.5"], /KiB must be an integer from 0 to 4194303/],
    [["pval0", "-B", "4194304"], /KiB must be an integer from 0 to 4194303/],
    [["-r", "x.pcap", "-B", "64"], /-B sizes the devices' buffers/],
    [["pval0", "--bogus"], /unknown option '--bogus'/],
  ])("%j", async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toMatch(message as RegExp);
    expect(r.out).toBe("");
  });

  it("prints help with -h and exits 0", async () => {
    const r = await run(["-h"]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toMatch(/Usage: pval dump/);
  });
});

describe("chooseFormat", () => {
  it("is dump-one for one device and dump-multi for several", () => {
    expect(chooseFormat({}, 1)).toBe("dump-one");
    expect(chooseFormat({}, 2)).toBe("dump-multi");
    expect(chooseFormat({ json: true }, 2)).toBe("json");
    expect(chooseFormat({ format: "look-tcp" }, 1)).toBe("look-tcp");
  });
});

describe("the -B default", () => {
  it("shares 64 MiB among the devices, at least 16 MiB each", () => {
    expect(defaultBufferKib(1)).toBe(65536);
    expect(defaultBufferKib(2)).toBe(32768);
    expect(defaultBufferKib(4)).toBe(16384);
    expect(defaultBufferKib(128)).toBe(16384);
    expect(defaultBufferKib(0)).toBe(65536);
  });
});
