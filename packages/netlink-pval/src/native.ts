// Loads the AF_NETLINK socket addon (native/netlink.cc): a prebuilt binary
// from prebuilds/ when one matches, else build/Release from a local compile.
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
    binding = nodeGypBuild(packageRoot());
  }
  return binding;
}
