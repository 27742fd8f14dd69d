#!/usr/bin/env node
// The pval command; the program itself is in ./program.ts.
import { stdio } from "./command.js";
import { run } from "./program.js";

run(process.argv, stdio).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Subcommands turn every expected failure into an exit code; reaching this is a bug.
    process.stderr.write(`pval: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
