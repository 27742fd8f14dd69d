import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sysfsInterfaceNames } from "./ifname.js";
import { PacketPrinter } from "./printer.js";
import { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from "./sll.js";

// An ARP request from 10.0.0.2 for 10.0.0.3 behind each cooked header.
const ARP = [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0, 3];
const SLL = Uint8Array.from([0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x06, ...ARP]);
const SLL2 = Uint8Array.from([0x08, 0x06, 0, 0, 0, 0, 0, 42, 0, 1, 1, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...ARP]);

describe("Linux cooked headers", () => {
  it("SLL: the packet type right-aligned, -e adds the address and protocol", () => {
    const p = { linktype: LINKTYPE_LINUX_SLL, tsSec: 0, tsNsec: 0, data: SLL };
    expect(new PacketPrinter({ timestamps: "none" }).format(p)).toBe(
      "ARP, Request who-has 10.0.0.3 tell 10.0.0.2, length 28\n",
    );
    expect(new PacketPrinter({ timestamps: "none", link: true }).format(p)).toBe(
      "Out 02:00:00:00:00:01 ethertype ARP (0x0806), length 44: Request who-has 10.0.0.3 tell 10.0.0.2, length 28\n",
    );
  });

  it("SLL2: the interface named by the resolver, then the packet type left-aligned", () => {
    const p = { linktype: LINKTYPE_LINUX_SLL2, tsSec: 0, tsNsec: 0, data: SLL2 };
    const asked: number[] = [];
    const interfaceName = (i: number) => {
      asked.push(i);
      return i === 42 ? "veth0" : undefined;
    };
    expect(new PacketPrinter({ timestamps: "none", interfaceName }).format(p)).toBe(
      "veth0 B   ARP, Request who-has 10.0.0.3 tell 10.0.0.2, length 28\n",
    );
    expect(asked).toEqual([42]);
    expect(new PacketPrinter({ timestamps: "none", link: true, interfaceName: () => undefined }).format(p)).toBe(
      "?     B   ifindex 42 02:00:00:00:00:01 ethertype ARP (0x0806), length 48: Request who-has 10.0.0.3 tell 10.0.0.2, length 28\n",
    );
  });

  it("a cooked header cut short ends the line with [|sll] or [|sll2]", () => {
    const printer = new PacketPrinter({ timestamps: "none" });
    expect(printer.format({ linktype: LINKTYPE_LINUX_SLL, tsSec: 0, tsNsec: 0, data: SLL.subarray(0, 15) })).toBe(
      " [|sll]\n",
    );
    expect(printer.format({ linktype: LINKTYPE_LINUX_SLL2, tsSec: 0, tsNsec: 0, data: SLL2.subarray(0, 19) })).toBe(
      " [|sll2]\n",
    );
  });

  it("refuses a link type it has no printer for", () => {
    expect(() => new PacketPrinter().format({ linktype: 105, tsSec: 0, tsNsec: 0, data: SLL })).toThrow(
      "link type 105 cannot be printed (Ethernet, Linux cooked v1 and v2 can)",
    );
  });
});

describe("sysfsInterfaceNames", () => {
  it("reads the indexes under the sysfs root, and a new interface after a second", () => {
    const root = mkdtempSync(join(tmpdir(), "pval-ifname-"));
    try {
      const add = (name: string, index: number) => {
        mkdirSync(join(root, name));
        writeFileSync(join(root, name, "ifindex"), `${index}\n`);
      };
      add("lo", 1);
      add("veth0", 7);
      const names = sysfsInterfaceNames(root);
      expect(names(7)).toBe("veth0");
      expect(names(1)).toBe("lo");
      add("veth1", 8);
      // Read again at most once a second.
      expect(names(8)).toBeUndefined();
      expect(sysfsInterfaceNames(root)(8)).toBe("veth1");
      expect(sysfsInterfaceNames(join(root, "missing"))(1)).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
