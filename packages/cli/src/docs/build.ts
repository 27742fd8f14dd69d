// Build step: the man pages into DIR/man and the completion scripts into
// DIR/completion (bash: pval, zsh: _pval), from the commands' definitions.
//   node dist/docs-build.js dist
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../program.js";
import { bashCompletion, zshCompletion } from "./completion.js";
import { describeProgram } from "./describe.js";
import { manPages } from "./man.js";

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write("usage: docs-build DIR\n");
  process.exit(2);
}
const program = await describeProgram();
mkdirSync(join(dir, "man"), { recursive: true });
mkdirSync(join(dir, "completion"), { recursive: true });
const pages = manPages(program, VERSION);
for (const page of pages) writeFileSync(join(dir, "man", page.file), page.text);
writeFileSync(join(dir, "completion", "pval"), bashCompletion(program));
writeFileSync(join(dir, "completion", "_pval"), zshCompletion(program));
process.stdout.write(`docs-build: ${pages.length} man pages and 2 completion scripts in ${dir}\n`);
