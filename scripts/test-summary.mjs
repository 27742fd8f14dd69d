// Prints the totals of a test run: one line per vitest project (from the
// JSON reports the shared vitest config writes when PVAL_TEST_REPORT_DIR is
// set), the VM suites' line, the steps that failed without a test count
// (format, lint, build, the module's checks), and the grand total. Exits 1
// when anything failed or when no test ran at all.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
const failedSteps = [];
for (const name of readdirSync(dir).sort()) {
  const file = join(dir, name);
  if (name.endsWith(".json")) {
    const r = JSON.parse(readFileSync(file, "utf8"));
    const p = r.numPassedTests ?? 0;
    const f = (r.numFailedTests ?? 0) + (r.success === false && !r.numFailedTests ? 1 : 0);
    const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`  ${name.replace(/\.json$/, "")}: ${p} passed, ${f} failed, ${s} skipped`);
    passed += p;
    failed += f;
    skipped += s;
  } else if (name === "failed-steps.txt") {
    failedSteps.push(...readFileSync(file, "utf8").split("\n").filter(Boolean));
  } else if (/^vm(-[a-z]+)?\.txt$/.test(name)) {
    // vm.txt: run-suites.sh; vm-nic.txt: run-nic-suite.sh.
    const line = readFileSync(file, "utf8").trim();
    const m = /(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/.exec(line);
    if (!m) {
      console.log(`  ${name.replace(/\.txt$/, "")}: no result (the VM suites did not report)`);
      failed += 1;
      continue;
    }
    console.log(`  ${line}`);
    passed += Number(m[1]);
    failed += Number(m[2]);
    skipped += Number(m[3] ?? 0);
  }
}
for (const step of failedSteps) console.log(`  FAILED step: ${step}`);
console.log(`total: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (failedSteps.length > 0) console.log(`steps failed: ${failedSteps.length} (see above)`);
process.exit(failed > 0 || failedSteps.length > 0 || passed === 0 ? 1 : 0);
