// The pval link API: create, change, inspect and delete links of kind "pval"
// over rtnetlink, plus generic link inspection (any kind) for tools that
// show pval links beside their lower devices.
import { closeSync, openSync } from "node:fs";
import { constants } from "node:os";
import {
  AF_UNSPEC,
  type AttrValues,
  decodeAttrs,
  encodeAttribute,
  encodeAttrs,
  encodeIfInfoMsg,
  IFF_UP,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  LINK_ATTRS,
  type LinkStats64,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  type Nlmsg,
  OPERSTATES,
  PVAL_ATTRS,
  parseIfInfoMsg,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
} from "./codec.js";
import { AbiMismatchError, ModuleNotLoadedError, NetlinkError, NoSuchLinkError, NotPvalLinkError } from "./errors.js";
import { PVAL_ABI_VERSION, PVAL_KIND } from "./generated/abi.js";
import { netnsPath, type RtnlOptions, RtnlSocket } from "./socket.js";

/** A link named by its interface name or its ifindex. */
export type LinkRef = string | number;

/** A link another link points at. `name` is absent when it lives in another namespace. */
export interface LinkPeer {
  index: number;
  name?: string;
}

/** The on/off switches of a pval link, in attribute order. */
export interface PvalSwitches {
  ipopt: boolean;
  txtstamp: boolean;
  rxtstamp: boolean;
  txcopy: boolean;
  rxcopy: boolean;
  txbusydrop: boolean;
  swtstamp: boolean;
}

/** The switch names, in the order of their attributes. */
export const PVAL_SWITCHES: readonly (keyof PvalSwitches)[] = [
  "ipopt",
  "txtstamp",
  "rxtstamp",
  "txcopy",
  "rxcopy",
  "txbusydrop",
  "swtstamp",
];

/**
 * Every configurable pval attribute, in attribute order, with the keyword
 * command-line tools use for it (iproute2 style). Tools derive their
 * grammar, usage text and printers from this table.
 */
export const PVAL_OPTIONS: readonly {
  key: keyof PvalChanges;
  keyword: string;
  type: "switch" | "u32";
  /** Accepted only when the link is created. */
  creationOnly: boolean;
  /** Value placeholder for usage text. */
  meta: string;
}[] = [
  ...PVAL_SWITCHES.map((key) => ({
    key,
    keyword: key,
    type: "switch" as const,
    creationOnly: false,
    meta: "{ on | off }",
  })),
  { key: "ringSlots", keyword: "ring_slots", type: "u32", creationOnly: true, meta: "SLOTS" },
];

/** The counters of IFLA_PVAL_STATS, in attribute order, with snake_case names for printers. */
export const PVAL_STATS_FIELDS: readonly { key: keyof PvalStats; name: string }[] = [
  { key: "ipoptInserted", name: "ipopt_inserted" },
  { key: "ipoptSkipped", name: "ipopt_skipped" },
  { key: "txCopyDrops", name: "tx_copy_drops" },
  { key: "rxCopyDrops", name: "rx_copy_drops" },
  { key: "txtstampBusy", name: "txtstamp_busy" },
  { key: "ipoptSkippedCpu", name: "ipopt_skipped_cpu" },
  { key: "ipoptSkippedBad", name: "ipopt_skipped_bad" },
  { key: "rxTstampFallback", name: "rx_tstamp_fallback" },
];

/** IFLA_PVAL_STATS: link-wide counters. */
export interface PvalStats {
  ipoptInserted: bigint;
  /** IPv4 packets sent without the option: no room (IHL would pass 15, or 64 KiB). */
  ipoptSkipped: bigint;
  txCopyDrops: bigint;
  rxCopyDrops: bigint;
  txtstampBusy: bigint;
  /** Sent without the option: the CPU number does not fit its u8 field. */
  ipoptSkippedCpu: bigint;
  /** Sent without the option: IPv4 header truncated or inconsistent. */
  ipoptSkippedBad: bigint;
  /** RX copies (swtstamp) stamped from the clock because the stack gave no receive timestamp. */
  rxTstampFallback: bigint;
}

/**
 * IFLA_INFO_DATA of a pval link. A switch or counter the running module does
 * not report is absent, never guessed.
 */
export interface PvalInfo extends Partial<PvalSwitches> {
  /** The lower (physical) link. */
  link: LinkPeer;
  ringSlots?: number;
  stats?: Partial<PvalStats>;
  /** IFLA_PVAL_ABI_VERSION: the ABI the module speaks; absent from a module of ABI 1. */
  abiVersion?: number;
}

/** A network link as RTM_GETLINK reports it. */
export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND, e.g. "pval", "veth"; absent for links without rtnl_link_ops. */
  kind?: string;
  /** net_device_flags (IFF_*). */
  flags: number;
  /** ARPHRD_* link type. */
  type: number;
  mtu?: number;
  minMtu?: number;
  maxMtu?: number;
  /** RFC 2863 state: "UP", "DOWN", "UNKNOWN", ... */
  operstate: string;
  linkmode?: number;
  qdisc?: string;
  group?: number;
  txqlen?: number;
  address?: string;
  broadcast?: string;
  promiscuity?: number;
  carrier?: boolean;
  numTxQueues?: number;
  numRxQueues?: number;
  gsoMaxSize?: number;
  gsoMaxSegs?: number;
  /** IFLA_LINK: the link this one is stacked on or paired with. */
  link?: LinkPeer;
  /** IFLA_LINK_NETNSID: `link` lives in another namespace. */
  linkNetnsid?: number;
  master?: LinkPeer;
  stats64?: LinkStats64;
  /** Present when kind is "pval". */
  pval?: PvalInfo;
}

/** A link of kind "pval". */
export interface PvalLink extends Link {
  kind: "pval";
  pval: PvalInfo;
}

export interface CreateLinkOptions extends Partial<PvalSwitches> {
  /** Interface name; the kernel picks pval%d when absent. */
  name?: string;
  /** The lower Ethernet device. */
  link: LinkRef;
  /** Slots per ring (power of two), creation only. */
  ringSlots?: number;
  /** MTU of the new link; the kernel's default (lower MTU less the option) when absent. */
  mtu?: number;
}

/**
 * What `ip link set` changes on a link of any kind. Absent fields are not
 * sent; all given ones go in one request, which the kernel applies in its own
 * order (namespace, MTU, name, then up or down).
 */
export interface LinkSettings {
  /** Administrative state: true is `up`, false is `down`. */
  up?: boolean;
  mtu?: number;
  /** The new interface name. */
  name?: string;
  /**
   * Move the link to another network namespace: a name under /run/netns, a
   * path such as /proc/PID/ns/net, or a process id (the namespace of that process).
   */
  netns?: string | number;
}

/** What setLink can change. Creation-only attributes are passed on so the kernel can refuse them with a reason. */
export type { LinkStats64 as LinkStats } from "./codec.js";

export interface PvalChanges extends Partial<PvalSwitches> {
  ringSlots?: number;
}

export function isPvalLink(link: Link): link is PvalLink {
  return link.kind === PVAL_KIND && link.pval !== undefined;
}

/**
 * Throws an AbiMismatchError when the module that reported `link` speaks
 * another ABI than this package (a module without IFLA_PVAL_ABI_VERSION
 * speaks ABI 1).
 */
export function checkLinkAbi(link: PvalLink, operation = `read link ${link.name}`): void {
  const abi = link.pval.abiVersion ?? 1;
  if (abi !== PVAL_ABI_VERSION) throw new AbiMismatchError(operation, abi, PVAL_ABI_VERSION);
}

const SAME_NAME_FIELDS = [
  "mtu",
  "minMtu",
  "maxMtu",
  "linkmode",
  "qdisc",
  "group",
  "txqlen",
  "address",
  "broadcast",
  "promiscuity",
  "numTxQueues",
  "numRxQueues",
  "gsoMaxSize",
  "gsoMaxSegs",
  "linkNetnsid",
  "stats64",
] as const satisfies readonly (keyof Link)[];

/** Decode one RTM_NEWLINK message. Peer names are left empty; see resolvePeers. */
export function decodeLinkMessage(msg: Nlmsg): Link {
  const { value: ifi, consumed } = parseIfInfoMsg(msg.payload);
  const a = decodeAttrs(LINK_ATTRS, msg.payload.subarray(consumed));
  const info = a.linkinfo as AttrValues | undefined;
  const link: Link = {
    index: ifi.index,
    name: a.ifname as string,
    flags: ifi.flags,
    type: ifi.type,
    operstate: OPERSTATES[a.operstate as number] ?? "UNKNOWN",
  };
  const copy = <K extends keyof Link>(key: K, value: unknown): void => {
    if (value !== undefined) link[key] = value as Link[K];
  };
  copy("kind", info?.kind);
  // These attribute fields of LINK_ATTRS carry the Link field's name and type.
  for (const key of SAME_NAME_FIELDS) copy(key, a[key]);
  copy("carrier", a.carrier === undefined ? undefined : a.carrier === 1);
  if (a.link !== undefined && a.link !== ifi.index) link.link = { index: a.link as number };
  if (a.master !== undefined) link.master = { index: a.master as number };
  if (info?.kind === PVAL_KIND && info.data instanceof Uint8Array) {
    const { link: lower, pad: _pad, unknown: _unknown, ...rest } = decodeAttrs(PVAL_ATTRS, info.data);
    link.pval = { link: { index: (lower as number | undefined) ?? 0 }, ...(rest as Omit<PvalInfo, "link">) };
  }
  return link;
}

/** Fill in the names of peer links (lower, master, IFLA_LINK) from a set of links of the same namespace. */
export function resolvePeers(links: Link[], known: Iterable<Link> = links): void {
  const names = new Map<number, string>();
  for (const l of known) names.set(l.index, l.name);
  for (const l of links) {
    for (const peer of [l.link && l.linkNetnsid === undefined ? l.link : undefined, l.master, l.pval?.link]) {
      if (peer === undefined) continue;
      const name = names.get(peer.index);
      if (name !== undefined) peer.name = name;
    }
  }
}

function checkIfName(name: string): void {
  if (name.length === 0 || name.length > 15 || /[\s/:]/.test(name) || name === "." || name === "..") {
    throw new RangeError(`"${name}" is not a valid interface name`);
  }
}

function checkMtu(mtu: number | undefined): void {
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 0 || mtu > 0xffffffff)) {
    throw new RangeError(`mtu must be an unsigned 32-bit integer, got ${mtu}`);
  }
}

function linkRequest(ref: LinkRef, ...attrs: Uint8Array[]): Uint8Array[] {
  if (typeof ref === "number") {
    if (!Number.isInteger(ref) || ref <= 0) throw new RangeError(`link index must be a positive integer, got ${ref}`);
    return [encodeIfInfoMsg({ family: AF_UNSPEC, index: ref }), ...attrs];
  }
  checkIfName(ref);
  return [encodeIfInfoMsg({ family: AF_UNSPEC }), encodeAttribute(IFLA_IFNAME, Buffer.from(`${ref}\0`)), ...attrs];
}

/** Where a link moved by `settings.netns` can be read again, as connection options. */
function netnsTarget(netns: string | number): { connection: RtnlOptions; path: string } {
  if (typeof netns === "number") {
    if (!Number.isInteger(netns) || netns <= 0)
      throw new RangeError(`process id must be a positive integer, got ${netns}`);
    const path = `/proc/${netns}/ns/net`;
    return { connection: { netns: path }, path };
  }
  if (netns.length === 0) throw new RangeError("network namespace name is empty");
  return { connection: { netns }, path: netnsPath(netns) };
}

/**
 * The ifinfomsg and attributes of a change to link `index`. A namespace is
 * passed as a file descriptor (IFLA_NET_NS_FD); `close` releases it once the
 * request is answered.
 */
function settingsRequest(
  operation: string,
  index: number,
  settings: LinkSettings,
): { body: Uint8Array[]; close: () => void } {
  if (settings.up !== undefined && typeof settings.up !== "boolean") {
    throw new TypeError(`up must be a boolean, got ${JSON.stringify(settings.up)}`);
  }
  checkMtu(settings.mtu);
  if (settings.name !== undefined) checkIfName(settings.name);
  let fd: number | undefined;
  if (settings.netns !== undefined) {
    const { path } = netnsTarget(settings.netns);
    try {
      fd = openSync(path, "r");
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const errno = typeof e.errno === "number" ? -e.errno : constants.errno.EINVAL;
      const what = typeof settings.netns === "number" ? `process ${settings.netns}` : `"${settings.netns}"`;
      throw new NetlinkError(
        operation,
        errno,
        e.code === "ENOENT" ? `network namespace ${what} does not exist` : `${path}: ${e.message}`,
      );
    }
  }
  const ifi = encodeIfInfoMsg({
    family: AF_UNSPEC,
    index,
    flags: settings.up ? IFF_UP : 0,
    change: settings.up === undefined ? 0 : IFF_UP,
  });
  const attrs = encodeAttrs(LINK_ATTRS, { mtu: settings.mtu, ifname: settings.name, netnsFd: fd });
  return {
    body: [ifi, attrs],
    close: () => {
      if (fd !== undefined) closeSync(fd);
    },
  };
}

function hasSettings(settings: LinkSettings): boolean {
  return (
    settings.up !== undefined ||
    settings.mtu !== undefined ||
    settings.name !== undefined ||
    settings.netns !== undefined
  );
}

function pvalLinkinfo(data: AttrValues): Buffer {
  return encodeAttribute(
    IFLA_LINKINFO,
    Buffer.concat([
      encodeAttribute(IFLA_INFO_KIND, Buffer.from(`${PVAL_KIND}\0`)),
      encodeAttribute(IFLA_INFO_DATA, encodeAttrs(PVAL_ATTRS, data), true),
    ]),
    true,
  );
}

function pickSwitches(source: Partial<PvalSwitches> & { ringSlots?: number }): AttrValues {
  const data: AttrValues = {};
  for (const key of PVAL_SWITCHES) {
    const v = source[key];
    if (v !== undefined) {
      if (typeof v !== "boolean") throw new TypeError(`${key} must be a boolean, got ${JSON.stringify(v)}`);
      data[key] = v;
    }
  }
  if (source.ringSlots !== undefined) data.ringSlots = source.ringSlots;
  return data;
}

/**
 * A connection to the kernel's link table. Use one for a batch of requests;
 * the module-level functions open and close one per call.
 */
export class PvalNetlink {
  readonly #sock: RtnlSocket;

  private constructor(sock: RtnlSocket) {
    this.#sock = sock;
  }

  static open(options: RtnlOptions = {}): PvalNetlink {
    return new PvalNetlink(RtnlSocket.open(options));
  }

  close(): void {
    this.#sock.close();
  }

  /** Every link of the namespace, any kind, with peer names resolved. */
  async listAllLinks(): Promise<Link[]> {
    const replies = await this.#sock.request(
      "list links",
      RTM_GETLINK,
      NLM_F_DUMP,
      encodeIfInfoMsg({ family: AF_UNSPEC }),
    );
    const links = replies.filter((m) => m.type === RTM_NEWLINK).map(decodeLinkMessage);
    resolvePeers(links);
    return links;
  }

  /** Every pval link of the namespace. */
  async listLinks(): Promise<PvalLink[]> {
    const links = (await this.listAllLinks()).filter(isPvalLink);
    for (const link of links) checkLinkAbi(link, "list links");
    return links;
  }

  /** One link of any kind. Throws NoSuchLinkError when it does not exist. */
  async getAnyLink(ref: LinkRef): Promise<Link> {
    const operation = `get link ${ref}`;
    let replies: Nlmsg[];
    try {
      replies = await this.#sock.request(operation, RTM_GETLINK, 0, ...linkRequest(ref));
    } catch (err) {
      if (err instanceof NetlinkError && err.errno === constants.errno.ENODEV) {
        throw new NoSuchLinkError(operation, ref, `no link ${JSON.stringify(String(ref))}`);
      }
      throw err;
    }
    const msg = replies.find((m) => m.type === RTM_NEWLINK);
    if (msg === undefined) throw new NoSuchLinkError(operation, ref);
    const link = decodeLinkMessage(msg);
    const peers = [link.link && link.linkNetnsid === undefined ? link.link : undefined, link.master, link.pval?.link];
    const known: Link[] = [link];
    for (const peer of peers) {
      if (peer === undefined || peer.index === 0 || known.some((k) => k.index === peer.index)) continue;
      try {
        known.push(decodeLinkMessage((await this.#peer(peer.index)) as Nlmsg));
      } catch {
        // A peer that vanished in between keeps its index only.
      }
    }
    resolvePeers([link], known);
    return link;
  }

  async #peer(index: number): Promise<Nlmsg | undefined> {
    const replies = await this.#sock.request(`get link ${index}`, RTM_GETLINK, 0, ...linkRequest(index));
    return replies.find((m) => m.type === RTM_NEWLINK);
  }

  /** One pval link. Throws NoSuchLinkError, or NotPvalLinkError for a link of another kind. */
  async getLink(ref: LinkRef): Promise<PvalLink> {
    return this.#getPval(ref, `get link ${ref}`);
  }

  /** getAnyLink, with `operation` named in a NoSuchLinkError. */
  async #getAny(ref: LinkRef, operation: string): Promise<Link> {
    try {
      return await this.getAnyLink(ref);
    } catch (err) {
      if (err instanceof NoSuchLinkError) throw new NoSuchLinkError(operation, ref, err.extack);
      throw err;
    }
  }

  async #getPval(ref: LinkRef, operation: string): Promise<PvalLink> {
    const link = await this.#getAny(ref, operation);
    if (!isPvalLink(link)) throw new NotPvalLinkError(operation, link.name, link.kind);
    checkLinkAbi(link, operation);
    return link;
  }

  /** Create a pval link on top of `options.link` and return it as the kernel reports it. */
  async createLink(options: CreateLinkOptions): Promise<PvalLink> {
    const operation = options.name === undefined ? "create link" : `create link ${options.name}`;
    let lower: Link;
    try {
      lower = await this.getAnyLink(options.link);
    } catch (err) {
      if (err instanceof NoSuchLinkError) {
        throw new NoSuchLinkError(operation, options.link, `lower device "${options.link}" does not exist`);
      }
      throw err;
    }
    const before =
      options.name === undefined ? new Set((await this.listLinks()).map((l) => l.index)) : new Set<number>();
    const data = { link: lower.index, ...pickSwitches(options) };
    checkMtu(options.mtu);
    const attrs = [encodeAttrs(LINK_ATTRS, { mtu: options.mtu }), pvalLinkinfo(data)];
    const body =
      options.name === undefined
        ? [encodeIfInfoMsg({ family: AF_UNSPEC }), ...attrs]
        : linkRequest(options.name, ...attrs);
    try {
      await this.#sock.request(operation, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ...body);
    } catch (err) {
      if (err instanceof NetlinkError && err.errno === constants.errno.EOPNOTSUPP && isUnknownKind(err.extack)) {
        throw new ModuleNotLoadedError(operation, err.errno, err.extack);
      }
      throw err;
    }
    const created =
      options.name !== undefined
        ? await this.getAnyLink(options.name)
        : (await this.listAllLinks())
            .filter((l) => isPvalLink(l) && !before.has(l.index) && l.pval.link.index === lower.index)
            .sort((x, y) => y.index - x.index)[0];
    if (created === undefined || !isPvalLink(created))
      throw new NoSuchLinkError(operation, options.name ?? PVAL_KIND, "the new link vanished before it could be read");
    try {
      checkLinkAbi(created, operation);
    } catch (err) {
      // A module of another ABI: the link it made is not one this package can drive.
      await this.#sock.request(
        `delete link ${created.name}`,
        RTM_DELLINK,
        0,
        encodeIfInfoMsg({ family: AF_UNSPEC, index: created.index }),
      );
      throw err;
    }
    return created;
  }

  /**
   * Change a pval link: its switches and, like `ip link set`, its state,
   * MTU, name and namespace, in one request; only what is given is sent.
   * Returns the link after the change, read in the namespace it is now in.
   */
  async setLink(ref: LinkRef, changes: PvalChanges & LinkSettings): Promise<PvalLink> {
    const link = await this.#getPval(ref, `change link ${ref}`);
    const { up, mtu, name, netns, ...pval } = changes;
    const data = pickSwitches(pval);
    const settings: LinkSettings = { up, mtu, name, netns };
    const after = await this.#change(link, settings, Object.keys(data).length > 0 ? [pvalLinkinfo(data)] : []);
    if (!isPvalLink(after)) throw new NotPvalLinkError(`change link ${link.name}`, after.name, after.kind);
    return after;
  }

  /**
   * Change the state, MTU, name or namespace of a link of any kind, as
   * `ip link set` does, in one request. Returns the link after the change,
   * read in the namespace it is now in.
   */
  async setAnyLink(ref: LinkRef, settings: LinkSettings): Promise<Link> {
    return this.#change(await this.#getAny(ref, `change link ${ref}`), settings, []);
  }

  async #change(link: Link, settings: LinkSettings, extra: Uint8Array[]): Promise<Link> {
    const operation = `change link ${link.name}`;
    if (hasSettings(settings) || extra.length > 0) {
      const { body, close } = settingsRequest(operation, link.index, settings);
      try {
        await this.#sock.request(operation, RTM_NEWLINK, 0, ...body, ...extra);
      } finally {
        close();
      }
    }
    if (settings.netns === undefined) return this.getAnyLink(link.index);
    // Moved: the index may differ there, the name is the new one.
    const there = PvalNetlink.open(netnsTarget(settings.netns).connection);
    try {
      return await there.getAnyLink(settings.name ?? link.name);
    } finally {
      there.close();
    }
  }

  /** Delete a pval link; a link of another kind is refused with NotPvalLinkError. */
  async deleteLink(ref: LinkRef): Promise<void> {
    const link = await this.#getPval(ref, `delete link ${ref}`);
    await this.#sock.request(
      `delete link ${link.name}`,
      RTM_DELLINK,
      0,
      encodeIfInfoMsg({ family: AF_UNSPEC, index: link.index }),
    );
  }
}

function isUnknownKind(extack: string | undefined): boolean {
  return extack === undefined || /unknown device type/i.test(extack);
}

async function withNetlink<T>(options: RtnlOptions | undefined, fn: (nl: PvalNetlink) => Promise<T>): Promise<T> {
  const nl = PvalNetlink.open(options);
  try {
    return await fn(nl);
  } finally {
    nl.close();
  }
}

/** Create a pval link. See PvalNetlink.createLink. */
export function createLink(options: CreateLinkOptions, connection?: RtnlOptions): Promise<PvalLink> {
  return withNetlink(connection, (nl) => nl.createLink(options));
}

/** Change a pval link. See PvalNetlink.setLink. */
export function setLink(
  ref: LinkRef,
  changes: PvalChanges & LinkSettings,
  connection?: RtnlOptions,
): Promise<PvalLink> {
  return withNetlink(connection, (nl) => nl.setLink(ref, changes));
}

/** Change the state, MTU, name or namespace of any link. See PvalNetlink.setAnyLink. */
export function setAnyLink(ref: LinkRef, settings: LinkSettings, connection?: RtnlOptions): Promise<Link> {
  return withNetlink(connection, (nl) => nl.setAnyLink(ref, settings));
}

/** Read one pval link. See PvalNetlink.getLink. */
export function getLink(ref: LinkRef, connection?: RtnlOptions): Promise<PvalLink> {
  return withNetlink(connection, (nl) => nl.getLink(ref));
}

/** Read one link of any kind. See PvalNetlink.getAnyLink. */
export function getAnyLink(ref: LinkRef, connection?: RtnlOptions): Promise<Link> {
  return withNetlink(connection, (nl) => nl.getAnyLink(ref));
}

/** Every pval link. See PvalNetlink.listLinks. */
export function listLinks(connection?: RtnlOptions): Promise<PvalLink[]> {
  return withNetlink(connection, (nl) => nl.listLinks());
}

/** Every link, any kind. See PvalNetlink.listAllLinks. */
export function listAllLinks(connection?: RtnlOptions): Promise<Link[]> {
  return withNetlink(connection, (nl) => nl.listAllLinks());
}

/** Delete a pval link. See PvalNetlink.deleteLink. */
export function deleteLink(ref: LinkRef, connection?: RtnlOptions): Promise<void> {
  return withNetlink(connection, (nl) => nl.deleteLink(ref));
}
