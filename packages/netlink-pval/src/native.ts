// Loads the AF_NETLINK socket addon (native/netlink.cc): build/Release/ when a
// local compile put a binary there, else the prebuilt one in prebuilds/ whose
// tags (N-API, glibc or musl) fit this process.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface NativeSocket {
  send(message: Buffer): number;
  port(): number;
  ref(): void;
  unref(): void;
  close(): void;
}

export interface NativeBinding {
  Socket: new (
    protocol: number,
    onMessage: (datagram: Buffer) => void,
    onError: (err: NodeJS.ErrnoException) => void,
    netns?: string,
  ) => NativeSocket;
}

let binding: NativeBinding | undefined;

/** Both src/native.ts and dist/index.js sit one directory below the package root. */
function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..");
}

export function loadBinding(): NativeBinding {
  if (binding === undefined) {
    const require = createRequire(join(packageRoot(), "package.json"));
    const nodeGypBuild = require("node-gyp-build") as (dir: string) => NativeBinding;
    try {
      binding = nodeGypBuild(packageRoot());
    } catch (err) {
      // node-gyp-build's "No native build was found for platform=… libc=…", on one line.
      const why = String(err instanceof Error ? err.message : err)
        .trim()
        .replace(/\s*\n\s*/g, "; ");
      throw new Error(`@pval/netlink: ${why}; \`npm rebuild @pval/netlink\` compiles it (python3, make, g++)`, {
        cause: err,
      });
    }
  }
  return binding;
}
