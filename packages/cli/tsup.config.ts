import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// One ESM bundle for the `pval` binary. commander is bundled in; every
// subcommand module becomes its own chunk, loaded only when it runs.
export default defineConfig({
  // docs-build writes the man pages and completion scripts at build time (package.json "build").
  entry: { bin: "src/bin.ts", "docs-build": "src/docs/build.ts" },
  format: ["esm"],
  platform: "node",
  target: "node20",
  splitting: true,
  clean: true,
  sourcemap: true,
  dts: false,
  noExternal: ["commander"],
  // Optional dependencies, which tsup would otherwise bundle: they stay imports, resolved at run time.
  external: ["@pval/capture", "@pval/chardev", "@pval/netlink"],
  // commander is CommonJS; give the ESM bundle a require() for its node: imports.
  banner: {
    js: 'import { createRequire as __pvalCreateRequire } from "node:module";\nconst require = __pvalCreateRequire(import.meta.url);',
  },
  define: { PVAL_CLI_VERSION: JSON.stringify(version) },
  tsconfig: "tsconfig.build.json",
});
