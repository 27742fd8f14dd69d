// A live tcpdump beside `pval print -i`, for the tests that compare them.
import { spawn } from "node:child_process";
import type { SubcommandModule } from "../src/command.js";
import type { CapturedRun } from "./run-captured.js";

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

/**
 * Runs a subcommand's main() as runCaptured does, and resolves `listens`
 * once its err text says "listening on" (a live capture is open).
 */
export function runListening(
  main: SubcommandModule["main"],
  args: string[],
): { listens: Promise<void>; done: Promise<CapturedRun> } {
  let out = "";
  let err = "";
  let listening: () => void = () => {};
  const listens = new Promise<void>((resolve) => {
    listening = resolve;
  });
  const io = {
    out: (t: string) => void (out += t),
    err: (t: string) => {
      err += t;
      if (err.includes("listening on")) listening();
    },
  };
  const done = main(args, io).then((code) => {
    listening();
    return { code, out, err };
  });
  return { listens, done };
}
