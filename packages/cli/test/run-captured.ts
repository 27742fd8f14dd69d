// Runs a subcommand's main() with its output captured, for the tests.
import type { SubcommandModule } from "../src/command.js";

export interface CapturedRun {
  code: number;
  out: string;
  err: string;
}

export async function runCaptured(main: SubcommandModule["main"], args: string[]): Promise<CapturedRun> {
  let out = "";
  let err = "";
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}
