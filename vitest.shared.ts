// Shared vitest settings: workspace packages resolve to their sources, so
// tests never need a prior build.
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import type { UserConfig } from "vitest/config";

const src = (dir: string): string => fileURLToPath(new URL(`./packages/${dir}/src/index.ts`, import.meta.url));

export const sharedConfig: UserConfig = {
  resolve: {
    alias: {
      "@pval/capture": src("capture"),
      "@pval/decode": src("decode"),
      "@pval/chardev": src("chardev"),
      "@pval/netlink": src("netlink-pval"),
      // Before "@pval/stats": an alias also matches as a path prefix.
      "@pval/stats/prometheus": fileURLToPath(new URL("./packages/stats/src/prometheus/index.ts", import.meta.url)),
      "@pval/stats": src("stats"),
      "@pval/tcpdump-printer": src("tcpdump-printer"),
    },
  },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Property tests run thousands of cases, and turbo runs the packages'
    // suites side by side: on a 2-core machine 5 s is not enough headroom.
    testTimeout: 30_000,
    // scripts/test.sh collects one JSON report per package to print the totals.
    reporters: process.env.PVAL_TEST_REPORT_DIR
      ? ["default", ["json", { outputFile: `${process.env.PVAL_TEST_REPORT_DIR}/${basename(process.cwd())}.json` }]]
      : ["default"],
  },
};
