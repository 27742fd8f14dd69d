// Runs the README's example and compares what it prints with the README's
// "prints" block, line for line; the JSON line must also be the analyser's
// report of SPEC section 6.
import { rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import { afterAll, describe, expect, it, vi } from "vitest";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const tmp = here("./readme-example.tmp.mjs");
afterAll(() => rmSync(tmp, { force: true }));

async function blocks(): Promise<{ code: string; printed: string[] }> {
  const text = await readFile(here("../README.md"), "utf8");
  const code = text.split("## Example")[1]?.split("```js\n")[1]?.split("```")[0];
  const printed = text.split("\nprints\n\n```\n")[1]?.split("```")[0];
  if (code === undefined || printed === undefined) throw new Error("README: no example or no prints block");
  return { code, printed: printed.trimEnd().split("\n") };
}

describe("README example", () => {
  it("prints what the README shows", async () => {
    const { code, printed } = await blocks();
    writeFileSync(tmp, code);
    const got: string[] = [];
    const spy = vi
      .spyOn(console, "log")
      .mockImplementation((...a: unknown[]) => void got.push(...format(...a).split("\n")));
    await import(/* @vite-ignore */ tmp).finally(() => spy.mockRestore());
    expect(got).toEqual(printed);
    expect(Object.keys(JSON.parse(got[0]!))).toContain("reorder_extent_max");
  });
});
