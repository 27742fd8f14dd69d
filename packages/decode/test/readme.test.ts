// The README's example must run and print what the README says it prints.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import { afterAll, expect, it, vi } from "vitest";

const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const example = /## Example\n\n```js\n([\s\S]*?)```\n\nprints\n\n```\n([\s\S]*?)```/.exec(readme);
const script = fileURLToPath(new URL("./readme-example.tmp.mjs", import.meta.url));

afterAll(() => rmSync(script, { force: true }));

it("runs the README example", async () => {
  expect(example).not.toBeNull();
  const [, code, expected] = example!;
  writeFileSync(script, code!);
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(format(...args));
  });
  try {
    await import(/* @vite-ignore */ script);
  } finally {
    log.mockRestore();
  }
  expect(`${lines.join("\n")}\n`).toBe(expected);
});
