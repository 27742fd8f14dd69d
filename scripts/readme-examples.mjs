// Runs the example of every published package's README against an installed
// project (scripts/pack-check.sh makes one from the tarballs) and checks the
// README's shape: it opens with the install line, then `## Example` holds
// either a ```js program, whose output must equal the ```-block after the word
// "prints", or a ```shell-session whose `$ ` lines must print the lines under
// them. The capture files of packages/tcpdump-printer/test/fixtures/vm are
// copied into the project, so examples can name them.
//
//   node scripts/readme-examples.mjs PROJECT_DIR
import { spawnSync } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const project = resolve(process.argv[2] ?? "");
const fixtures = join(root, "packages/tcpdump-printer/test/fixtures/vm");
for (const f of readdirSync(fixtures).filter((f) => f.endsWith(".pcap")))
  copyFileSync(join(fixtures, f), join(project, f));

const env = {
  ...process.env,
  PATH: `${join(project, "node_modules/.bin")}:${process.env.PATH}`,
  TZ: "UTC",
  NO_COLOR: "1",
};
const isRoot = process.getuid?.() === 0;

/** The fenced blocks of a Markdown text, with the text that precedes each. */
function fences(text) {
  const out = [];
  const re = /^```([\w-]*)\n([\s\S]*?)^```$/gm;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ lang: m[1], body: m[2], before: text.slice(last, m.index), at: m.index });
    last = re.lastIndex;
  }
  return out;
}

/** Problems with the README of `name`, and what its example printed. */
function check(name, readme) {
  const blocks = fences(readme);
  const firstHeading = readme.search(/^## /m);
  const install = blocks[0];
  if (install?.lang !== "sh" || (firstHeading >= 0 && install.at > firstHeading)) {
    return { error: "does not open with a ```sh install block before its first section" };
  }
  if (!new RegExp(`^npm install (-g )?${name}$`, "m").test(install.body)) {
    return { error: `install block lacks \`npm install ${name}\`` };
  }
  const exampleAt = readme.search(/^## Example/m);
  const example = blocks.find((b) => b.at > exampleAt);
  if (exampleAt < 0 || !example) return { error: "no ## Example section with a code block" };
  if (example.lang === "js") {
    const next = blocks[blocks.indexOf(example) + 1];
    const expected = next && /^\s*prints\b[^\n]*\s*$/.test(next.before) ? next.body : undefined;
    if (/\bneeds root\b/.test(example.before) && !isRoot) return { skipped: "needs root" };
    const file = join(project, `readme-${name.replace(/\W/g, "-")}.mjs`);
    writeFileSync(file, example.body);
    const run = spawnSync(process.execPath, [file], { cwd: project, env, encoding: "utf8", timeout: 30_000 });
    if (run.status !== 0) return { error: `example exited ${run.status}: ${run.stderr.trim()}` };
    if (expected === undefined) return { error: 'no "prints" block after the example' };
    if (run.stdout !== expected) return { error: `printed\n${run.stdout}\ninstead of\n${expected}` };
    return { printed: run.stdout };
  }
  if (example.lang === "shell-session") {
    const steps = [];
    for (const line of example.body.split("\n").slice(0, -1)) {
      if (line.startsWith("$ ")) steps.push({ command: line.slice(2), expected: "" });
      else if (steps.length > 0) steps.at(-1).expected += `${line}\n`;
    }
    let printed = "";
    for (const { command, expected } of steps) {
      const run = spawnSync("sh", ["-c", command], { cwd: project, env, encoding: "utf8", timeout: 30_000 });
      if (run.status !== 0) return { error: `\`${command}\` exited ${run.status}: ${run.stderr.trim()}` };
      if (run.stdout !== expected) return { error: `\`${command}\` printed\n${run.stdout}\ninstead of\n${expected}` };
      printed += run.stdout;
    }
    if (steps.length === 0) return { error: "the shell-session example has no `$ ` line" };
    return { printed };
  }
  return { error: `the example is a \`${example.lang}\` block, not js or shell-session` };
}

let failed = 0;
for (const dir of readdirSync(join(root, "packages")).sort()) {
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
  } catch {
    continue;
  }
  if (pkg.private) continue;
  const result = check(pkg.name, readFileSync(join(root, "packages", dir, "README.md"), "utf8"));
  if (result.error) {
    failed++;
    console.log(`  FAIL  ${pkg.name} README: ${result.error}`);
  } else if (result.skipped) {
    console.log(`  SKIP  ${pkg.name} README example: ${result.skipped}`);
  } else {
    const lines = result.printed.split("\n").length - 1;
    console.log(
      `  ok    ${pkg.name} README: install line; the example printed its ${lines} line${lines === 1 ? "" : "s"}`,
    );
  }
}
process.exitCode = failed === 0 ? 0 : 1;
