// tcpdump as the oracle of the printer tests: its output for a capture
// file, split into one block per packet, with option 222 named as pval
// names it.

import { execFileSync, spawnSync } from "node:child_process";
import { FieldStatus, PvalFields, readPvalFieldsFromFrame } from "@pval/decode";

export const TCPDUMP = process.env.TCPDUMP ?? "/usr/bin/tcpdump";
export const haveTcpdump = spawnSync(TCPDUMP, ["--version"]).status === 0;

/** tcpdump's stdout for `flags -r path`, in UTC. */
export function tcpdump(path: string, flags: string[]): string {
  return execFileSync(TCPDUMP, [...flags, "-r", path], {
    env: { ...process.env, TZ: "UTC" },
    encoding: "latin1",
    stdio: ["ignore", "pipe", "ignore"],
    maxBuffer: 1 << 26,
  });
}

/** Splits tcpdump's output into one block per packet (each starts with its timestamp). */
export function splitPackets(text: string): string[] {
  // Each block keeps its own line breaks (-A text may end in one of its own).
  return text.split(/(?<=\n)(?=\d\d:\d\d:\d\d\.\d{6} |\d{4}-\d\d-\d\d |\d+\.\d{6} | \d\d:\d\d:\d\d\.)/);
}

/**
 * tcpdump's text with an intact option 222 in the outer IPv4 header named
 * as pval names it; `frame` is the packet as an Ethernet frame.
 */
export function expectedBlock(block: string, frame: Uint8Array): string {
  const fields = new PvalFields();
  const status = readPvalFieldsFromFrame(frame, fields);
  if ((status & FieldStatus.PVAL) === 0) return block;
  return block.replace("unknown 222", `pval cpu ${fields.cpu}, seq ${fields.seq}`);
}
