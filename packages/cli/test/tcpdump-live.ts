// A live tcpdump beside `pval print -i`, for the tests that compare them.
import { spawn } from "node:child_process";

export const TCPDUMP = "/usr/bin/tcpdump";

/** Starts tcpdump with `args`; resolves once it listens, with what it prints and its exit. */
export async function startTcpdump(args: string[]): Promise<{ output: () => string; exited: Promise<unknown> }> {
  const tcpdump = spawn(TCPDUMP, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  tcpdump.stdout.on("data", (d: Buffer) => {
    out += d.toString("latin1");
  });
  const exited = new Promise((resolve) => tcpdump.once("exit", resolve));
  await new Promise<void>((resolve) => {
    tcpdump.stderr.on("data", (d: Buffer) => {
      if (d.toString().includes("listening on")) resolve();
    });
  });
  return { output: () => out, exited };
}
