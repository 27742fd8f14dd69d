// The `pval link` grammar, iproute2's: the link's name anywhere `ip` takes
// it (bare, or after `dev`/`name`), `type pval` accepted, keyword prefixes
// via matches() for `link`, `type` and the pval keywords, exact words for
// the generic ones (`up`, `down`, `mtu`, `name`, `netns`, `dev`), a repeated
// keyword is an error, an unknown word prints the usage, and the constraints
// between keywords are checked after the loop. The pval keywords come from
// the option table of @pval/netlink, so a new attribute appears here, in the
// usage and in the printers without further edits.
import { type LinkSettings, PVAL_OPTIONS, type PvalChanges } from "@pval/netlink";

const KIND = "pval";

/** A command line that cannot be run; exits 2. `showUsage` appends the usage block. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly showUsage: boolean;
  constructor(message: string, showUsage = false) {
    super(message);
    this.showUsage = showUsage;
  }
}

/** `help` anywhere on the line: print the usage on stdout and exit 0. */
export class HelpRequested extends Error {
  override name = "HelpRequested";
  constructor() {
    super("help");
  }
}

/** iproute2's matches(): a non-empty prefix of the keyword. */
export function matches(word: string, keyword: string): boolean {
  return word.length > 0 && word.length <= keyword.length && keyword.startsWith(word);
}

/** What each pval keyword does, for the usage's readers: man page and completion. */
export const KEYWORD_HELP: Readonly<Record<keyof PvalChanges, string>> = {
  ipopt: "insert the pval IP option (type 222: CPU and per-CPU sequence number) into transmitted IPv4 packets",
  txtstamp: "hardware TX timestamps on the lower link",
  rxtstamp: "hardware RX timestamps on the lower link",
  txcopy: "copy transmitted packets to the TX character devices /dev/pval/NAME-tx-cpu-N",
  rxcopy: "copy received packets to the RX character devices /dev/pval/NAME-rx-cpu-N",
  txbusydrop: "while a TX timestamp is pending, drop the next packet (on) or send it unstamped (off)",
  swtstamp: "stamp the copies from the kernel's clock when the hardware gives no timestamp",
  ringSlots: "slots of each character device's ring, a power of two; only when the link is created",
};

/** One verb of `pval link`: its synopsis after `pval link` and what it does. */
export interface LinkVerb {
  name: "add" | "set" | "show" | "delete" | "help";
  /** Other words for it: any prefix of `prefixed`, exactly `exact`. */
  prefixed: string[];
  exact: string[];
  synopsis: string;
  summary: string;
}

export const LINK_VERBS: readonly LinkVerb[] = [
  {
    name: "add",
    prefixed: ["add"],
    exact: ["create"],
    synopsis: "add [ link PHYS_DEV ] [ name ] NAME [ mtu MTU ] [ type pval ] [ PVAL_OPTIONS ]",
    summary:
      "create a pval link on top of the Ethernet device PHYS_DEV; the kernel names it pval%d when NAME is left out",
  },
  {
    name: "set",
    prefixed: ["set", "change"],
    exact: [],
    synopsis:
      "set [ dev ] NAME [ up | down ] [ mtu MTU ] [ name NEWNAME ] [ netns { NETNS | PID } ] [ type pval ] [ PVAL_OPTIONS ]",
    summary: "change a pval link in one rtnetlink request: only what is named is sent",
  },
  {
    name: "show",
    prefixed: ["show", "list"],
    exact: ["lst"],
    synopsis: "show [ [ dev ] NAME ] [ up ] [ type pval ]",
    summary: "print pval links as ip -d link show does (with -j, its JSON keys)",
  },
  {
    name: "delete",
    prefixed: ["delete"],
    exact: ["del"],
    synopsis: "delete [ dev ] NAME [ type pval ]",
    summary: "delete a pval link; links of other kinds are refused",
  },
  { name: "help", prefixed: ["help"], exact: [], synopsis: "help", summary: "print this usage" },
];

/** The usage block of `ip link add type pval help`, with every appended option, then the verbs. */
export function usage(): string {
  const indent = " ".repeat(17);
  const lines = [`Usage: ... ${KIND} link PHYS_DEV`];
  for (const opt of PVAL_OPTIONS) lines.push(`${indent}[ ${opt.keyword} ${opt.meta} ]`);
  lines.push("", "       pval [ GLOBAL_OPTIONS ] link { COMMAND | help }");
  for (const verb of LINK_VERBS) lines.push(`       pval link ${verb.synopsis}`);
  lines.push(
    "",
    "PVAL_OPTIONS are the bracketed keywords above; ring_slots only at creation.",
    "GLOBAL_OPTIONS, before link (or anywhere after it): -j[son], -p[retty], -s[tats], -d[etails], -n[etns] NETNS.",
  );
  return `${lines.join("\n")}\n`;
}

/** `add`, `set`, `show` or `delete` (and `help`) from the word after `link`; show when absent. */
export function parseVerb(word: string | undefined): LinkVerb["name"] {
  if (word === undefined) return "show";
  for (const verb of LINK_VERBS) {
    if (verb.exact.includes(word) || verb.prefixed.some((w) => matches(word, w))) return verb.name;
  }
  throw new UsageError(`unknown command "${word}"`, true);
}

/** The words each verb takes besides the link's name; add and set also take the PVAL_OPTIONS. */
export const VERB_WORDS: Readonly<Record<"add" | "set" | "show" | "delete", readonly string[]>> = {
  add: ["link", "dev", "name", "mtu", "type"],
  set: ["dev", "up", "down", "mtu", "name", "netns", "type"],
  show: ["dev", "up", "type"],
  delete: ["dev", "type"],
};

/** What follows each keyword, for completion: network interfaces, namespaces, nothing to offer, or these words. */
export const KEYWORD_VALUES: Readonly<Record<string, "interface" | "netns" | "none" | readonly string[]>> = {
  link: "interface",
  dev: "interface",
  name: "none",
  mtu: "none",
  netns: "netns",
  type: [KIND],
  ...Object.fromEntries(PVAL_OPTIONS.map((o) => [o.keyword, o.type === "switch" ? ["on", "off"] : "none"])),
};

export interface LinkArgs {
  /** `add`: the new link's name; `set`, `show`, `delete`: the link to act on. */
  name?: string;
  link?: string;
  /** `show up`: only links that are up. */
  up?: boolean;
  /** Sent as they are: pval switches and, for set, state, MTU, new name and namespace; for add, the MTU. */
  changes: PvalChanges & LinkSettings;
}

type Verb = "add" | "set" | "show" | "delete";

/**
 * Parse the words after the verb. Nothing is filled in: what is not on the
 * command line is not sent. A `netns` value stays a string; the caller
 * decides whether a number names a process.
 */
export function parseLinkArgs(words: string[], verb: Verb): LinkArgs {
  const out: LinkArgs = { changes: {} };
  const seen = new Set<string>();
  const once = (keyword: string, word: string): void => {
    if (seen.has(keyword)) throw new UsageError(`duplicate keyword "${keyword}" (at "${word}")`);
    seen.add(keyword);
  };
  const value = (i: number, keyword: string): string => {
    const v = words[i + 1];
    if (v === undefined) throw new UsageError(`"${keyword}" needs a value`);
    return v;
  };
  const u32 = (v: string, keyword: string): number => {
    if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) {
      throw new UsageError(`invalid value "${v}" for ${keyword}: use an unsigned integer`);
    }
    return Number(v);
  };
  const target = (word: string, name: string): void => {
    if (out.name !== undefined) throw new UsageError(`unknown keyword "${word}"`, true);
    out.name = name;
  };
  const takes = (keyword: string): boolean => VERB_WORDS[verb].includes(keyword);
  const changing = verb === "add" || verb === "set";
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === "help") throw new HelpRequested();
    if (word === "dev" && takes(word)) {
      target(word, value(i++, word));
    } else if (word === "name" && takes(word)) {
      // add: the new link's name; set: its new name.
      once("name", word);
      const v = value(i++, word);
      if (verb === "add") target(word, v);
      else out.changes.name = v;
    } else if (matches(word, "type") && takes("type")) {
      once("type", word);
      const kind = value(i++, "type");
      if (kind !== KIND) throw new UsageError(`pval link handles links of type ${KIND}, not "${kind}"`);
    } else if ((word === "up" || word === "down") && takes(word)) {
      // set: the state to put the link in; show: only the links that are up.
      once("up/down", word);
      if (verb === "show") out.up = true;
      else out.changes.up = word === "up";
    } else if (word === "mtu" && takes(word)) {
      once("mtu", word);
      out.changes.mtu = u32(value(i++, word), word);
    } else if (word === "netns" && takes(word)) {
      once("netns", word);
      out.changes.netns = value(i++, word);
    } else if (matches(word, "link") && changing) {
      // set parses it too, to refuse it with the reason below.
      once("link", word);
      out.link = value(i++, "link");
    } else if (changing && PVAL_OPTIONS.some((o) => matches(word, o.keyword))) {
      const opt = PVAL_OPTIONS.find((o) => matches(word, o.keyword))!;
      once(opt.keyword, word);
      const v = value(i++, opt.keyword);
      const changes = out.changes as Record<string, unknown>;
      if (opt.type === "switch") {
        if (v !== "on" && v !== "off") throw new UsageError(`invalid value "${v}" for ${opt.keyword}: use on or off`);
        changes[opt.key] = v === "on";
      } else {
        changes[opt.key] = u32(v, opt.keyword);
      }
    } else {
      // The link's name, wherever it stands, as ip takes it.
      target(word, word);
    }
  }
  // Constraints between keywords, after the loop.
  if (verb === "add" && out.link === undefined) {
    throw new UsageError('missing "link PHYS_DEV": a pval link needs a lower device', true);
  }
  if (verb === "set") {
    if (out.name === undefined) throw new UsageError("missing the link to change: pval link set [ dev ] NAME", true);
    if (out.link !== undefined) throw new UsageError("the lower device (link) cannot be changed after creation");
  }
  if (verb === "delete" && out.name === undefined) throw new UsageError("missing the link: [ dev ] NAME", true);
  return out;
}
