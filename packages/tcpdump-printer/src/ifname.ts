// Interface names for the index in a Linux cooked v2 header, as tcpdump gets
// them with if_indextoname: from /sys/class/net (the network namespace
// sysfs was mounted in, which `ip netns exec` makes the current one).

import { readdirSync, readFileSync } from "node:fs";
import type { InterfaceNameResolver } from "./sll.js";

const SYS_NET = "/sys/class/net";

/** Reads every interface's index once a second at most, when asked for an index not seen yet. */
export function sysfsInterfaceNames(root: string = SYS_NET): InterfaceNameResolver {
  let names = new Map<number, string>();
  let readAt = Number.NEGATIVE_INFINITY;
  const scan = (): void => {
    const next = new Map<number, string>();
    let entries: string[] = [];
    try {
      entries = readdirSync(root);
    } catch {
      // No sysfs: every index stays unnamed ("?"), as when if_indextoname fails.
    }
    for (const name of entries) {
      try {
        const index = Number(readFileSync(`${root}/${name}/ifindex`, "latin1").trim());
        if (Number.isInteger(index)) next.set(index, name);
      } catch {
        // The interface went away between the listing and the read.
      }
    }
    names = next;
    readAt = Date.now();
  };
  return (index: number) => {
    let name = names.get(index);
    if (name === undefined && Date.now() - readAt >= 1000) {
      scan();
      name = names.get(index);
    }
    return name;
  };
}
