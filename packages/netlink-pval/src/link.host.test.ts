// Against the host kernel, inside a namespace of our own: generic link
// decoding checked against `ip -j`, and every error path that needs no pval
// module (the host has none: creating kind "pval" must say so).
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNetns, rootSkipReason, type TestNetns } from "../test/netns.js";
import {
  createLink,
  deleteLink,
  getAnyLink,
  getLink,
  listAllLinks,
  listLinks,
  ModuleNotLoadedError,
  type NetlinkError,
  NoSuchLinkError,
  NotPvalLinkError,
  PvalNetlink,
  setAnyLink,
  setLink,
} from "./index.js";

describe.skipIf(rootSkipReason !== undefined)("rtnetlink on veth in a test namespace", () => {
  let ns: TestNetns;
  beforeAll(() => {
    ns = createNetns();
  });
  afterAll(() => ns?.remove());
  const where = () => ({ netns: ns.name });

  it("lists the namespace's links as ip -j does", async () => {
    const links = await listAllLinks(where());
    const ipLinks = ns.ipLinks();
    expect(links.map((l) => [l.index, l.name])).toEqual(ipLinks.map((l) => [l.ifindex, l.ifname]));
  });

  it("decodes one link field by field like ip -d -j", async () => {
    const link = await getAnyLink("veth0", where());
    const [ref] = ns.ipLinks("veth0");
    expect(ref).toBeDefined();
    expect({
      ifindex: link.index,
      ifname: link.name,
      link: link.link?.name,
      mtu: link.mtu,
      qdisc: link.qdisc,
      operstate: link.operstate,
      txqlen: link.txqlen,
      address: link.address,
      broadcast: link.broadcast,
      promiscuity: link.promiscuity,
      min_mtu: link.minMtu,
      max_mtu: link.maxMtu,
      info_kind: link.kind,
      num_tx_queues: link.numTxQueues,
      num_rx_queues: link.numRxQueues,
      gso_max_size: link.gsoMaxSize,
      gso_max_segs: link.gsoMaxSegs,
    }).toEqual({
      ifindex: ref!.ifindex,
      ifname: ref!.ifname,
      link: ref!.link,
      mtu: ref!.mtu,
      qdisc: ref!.qdisc,
      operstate: ref!.operstate,
      txqlen: ref!.txqlen,
      address: ref!.address,
      broadcast: ref!.broadcast,
      promiscuity: ref!.promiscuity,
      min_mtu: ref!.min_mtu,
      max_mtu: ref!.max_mtu,
      info_kind: (ref!.linkinfo as { info_kind: string }).info_kind,
      num_tx_queues: ref!.num_tx_queues,
      num_rx_queues: ref!.num_rx_queues,
      gso_max_size: ref!.gso_max_size,
      gso_max_segs: ref!.gso_max_segs,
    });
  });

  it("finds a link by index as by name", async () => {
    const byName = await getAnyLink("veth1", where());
    const byIndex = await getAnyLink(byName.index, where());
    expect(byIndex.name).toBe("veth1");
    expect(byIndex.link?.name).toBe("veth0");
  });

  it("counts transmitted packets in stats64 as ip -s does", async () => {
    ns.ip("link", "set", "veth1", "up");
    ns.ip("addr", "add", "10.99.0.1/24", "dev", "veth0");
    ns.ip("neigh", "add", "10.99.0.2", "lladdr", "02:00:00:00:00:02", "dev", "veth0");
    const before = (await getAnyLink("veth0", where())).stats64!.txPackets;
    // Nobody answers; each echo request is still counted when veth0 sends it.
    spawnSync("/usr/bin/ip", ["netns", "exec", ns.name, "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.99.0.2"]);
    const after = (await getAnyLink("veth0", where())).stats64!;
    expect(after.txPackets - before).toBeGreaterThanOrEqual(3n);
    const [ref] = JSON.parse(ns.ip("-s", "-j", "link", "show", "dev", "veth0")) as {
      stats64: { tx: { packets: number; bytes: number } };
    }[];
    // The link may still send on its own (IPv6 neighbour discovery after it
    // came up), so ip's reading lies between ours before and after it.
    const later = (await getAnyLink("veth0", where())).stats64!;
    const ipPackets = BigInt(ref!.stats64.tx.packets);
    const ipBytes = BigInt(ref!.stats64.tx.bytes);
    expect(ipPackets).toBeGreaterThanOrEqual(after.txPackets);
    expect(ipPackets).toBeLessThanOrEqual(later.txPackets);
    expect(ipBytes).toBeGreaterThanOrEqual(after.txBytes);
    expect(ipBytes).toBeLessThanOrEqual(later.txBytes);
  }, 10_000);

  it("reports no pval links in a namespace without any", async () => {
    expect(await listLinks(where())).toEqual([]);
  });

  it("says the pval module is not loaded when the kind is unknown", async () => {
    const err = await createLink({ link: "veth0", ipopt: true }, where()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModuleNotLoadedError);
    const e = err as ModuleNotLoadedError;
    expect(e.code).toBe("EOPNOTSUPP");
    expect(e.errno).toBe(95);
    expect(e.extack).toBe("Unknown device type");
    expect(e.message).toMatch(/modprobe pval/);
    expect(e.message).toMatch(/insmod kmod\/pval\.ko/);
  });

  it("names a lower device that does not exist", async () => {
    const err = await createLink({ link: "nosuch0" }, where()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoSuchLinkError);
    expect((err as Error).message).toBe('create link: lower device "nosuch0" does not exist');
  });

  it("refuses to treat a veth as a pval link", async () => {
    for (const attempt of [
      () => getLink("veth0", where()),
      () => setLink("veth0", { ipopt: true }, where()),
      () => deleteLink("veth0", where()),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotPvalLinkError);
      expect((err as NotPvalLinkError).kind).toBe("veth");
    }
    expect(ns.ipLinks("veth0")).toHaveLength(1);
  });

  it("reports a missing link with ENODEV", async () => {
    const err = await getAnyLink("nosuch0", where()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoSuchLinkError);
    expect((err as NetlinkError).code).toBe("ENODEV");
  });

  it("rejects a bad interface name before asking the kernel", async () => {
    await expect(getAnyLink("a name with spaces", where())).rejects.toThrow(RangeError);
    await expect(getAnyLink("x".repeat(16), where())).rejects.toThrow(RangeError);
  });

  it("runs many requests on one connection concurrently", async () => {
    const nl = PvalNetlink.open(where());
    try {
      const names = await Promise.all(Array.from({ length: 20 }, (_, i) => nl.getAnyLink(i % 2 ? "veth0" : "veth1")));
      expect(names.map((l) => l.name)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? "veth0" : "veth1")));
    } finally {
      nl.close();
    }
  });

  it("fails pending and later requests once closed", async () => {
    const nl = PvalNetlink.open(where());
    const pending = nl.listAllLinks();
    nl.close();
    nl.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(nl.listAllLinks()).rejects.toThrow(/closed/);
  });

  it("says when a namespace does not exist", async () => {
    await expect(listAllLinks({ netns: "pvnl-does-not-exist" })).rejects.toThrow(
      'network namespace "pvnl-does-not-exist" does not exist',
    );
  });
  describe("setAnyLink, as ip link set", () => {
    // veth1 is the spare end of the pair; each step is checked with ip -j.
    it("sets down and up, and sends nothing else", async () => {
      const mtu = ns.ipLinks("veth1")[0]!.mtu;
      const down = await setAnyLink("veth1", { up: false }, where());
      expect(down.flags & 1).toBe(0);
      expect(ns.ipLinks("veth1")[0]!.flags).not.toContain("UP");
      const up = await setAnyLink("veth1", { up: true }, where());
      expect(up.flags & 1).toBe(1);
      expect(ns.ipLinks("veth1")[0]!.flags).toContain("UP");
      expect(ns.ipLinks("veth1")[0]!.mtu).toBe(mtu);
    });

    it("changes the MTU, and the kernel's refusal carries its reason", async () => {
      expect((await setAnyLink("veth1", { mtu: 1400 }, where())).mtu).toBe(1400);
      expect(ns.ipLinks("veth1")[0]!.mtu).toBe(1400);
      const err = await setAnyLink("veth1", { mtu: 10 }, where()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as NetlinkError).code).toBe("EINVAL");
      expect((err as NetlinkError).message).toMatch(/^change link veth1: .*mtu/i);
      await expect(setAnyLink("veth1", { mtu: -1 }, where())).rejects.toThrow(RangeError);
    });

    it("renames a link and returns it under its new name", async () => {
      const renamed = await setAnyLink("veth1", { name: "vethr" }, where());
      expect(renamed.name).toBe("vethr");
      expect(ns.ipLinks("vethr")).toHaveLength(1);
      await setAnyLink("vethr", { name: "veth1" }, where());
      await expect(setAnyLink("veth1", { name: "bad/name" }, where())).rejects.toThrow(RangeError);
    });

    it("moves a link to another namespace, by name, and reads it there", async () => {
      const other = createNetns();
      try {
        const moved = await setAnyLink("veth1", { netns: other.name, name: "vethm" }, where());
        expect(moved.name).toBe("vethm");
        expect(other.ipLinks("vethm")).toHaveLength(1);
        expect(ns.ipLinks().map((l) => l.ifname)).not.toContain("veth1");
        // And back, by the path of the namespace file.
        const back = await setAnyLink(
          "vethm",
          { netns: `/run/netns/${ns.name}`, name: "veth1" },
          { netns: other.name },
        );
        expect(back.name).toBe("veth1");
        expect(ns.ipLinks("veth1")).toHaveLength(1);
      } finally {
        other.remove();
      }
    });

    it("names a namespace that does not exist, and sends nothing", async () => {
      const err = await setAnyLink("veth1", { netns: "pvnl-nowhere", mtu: 1300 }, where()).catch((e: unknown) => e);
      expect((err as Error).message).toBe('change link veth1: network namespace "pvnl-nowhere" does not exist');
      expect(ns.ipLinks("veth1")[0]!.mtu).not.toBe(1300);
    });

    it("names a missing link", async () => {
      await expect(setAnyLink("nosuch0", { up: true }, where())).rejects.toThrow(NoSuchLinkError);
    });
  });
});
