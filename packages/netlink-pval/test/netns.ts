// Host test fixture: a throw-away network namespace with a veth pair, made
// with Debian's `ip`. Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN); suites skip
// with a printed reason otherwise, except under CI, where they must run.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

const IP = "/usr/bin/ip";

export const rootSkipReason: string | undefined =
  process.getuid?.() === 0 ? undefined : "host netlink tests need root to create a network namespace";

if (rootSkipReason !== undefined) {
  if (process.env.CI) throw new Error(`${rootSkipReason}; CI must run them as root`);
  console.warn(`SKIP: ${rootSkipReason}`);
}

export function ip(...args: string[]): string {
  return execFileSync(IP, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export interface TestNetns {
  name: string;
  /** `ip -n NAME ARGS...` */
  ip(...args: string[]): string;
  /** `ip -n NAME -d -j link show [dev DEV]`, parsed. */
  ipLinks(dev?: string): Record<string, unknown>[];
  remove(): void;
}

/** Create a namespace holding `veth0` (up) paired with `veth1` (down). */
export function createNetns(): TestNetns {
  const name = `pvnl-${randomBytes(4).toString("hex")}`;
  ip("netns", "add", name);
  const ns: TestNetns = {
    name,
    ip: (...args) => ip("-n", name, ...args),
    ipLinks: (dev) =>
      JSON.parse(ip("-n", name, "-d", "-j", "link", "show", ...(dev ? ["dev", dev] : []))) as Record<string, unknown>[],
    remove: () => ip("netns", "del", name),
  };
  try {
    ns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
    ns.ip("link", "set", "veth0", "up");
  } catch (err) {
    ns.remove();
    throw err;
  }
  return ns;
}
