#!/usr/bin/env node
// Reads pval devices with @pval/chardev's raw batch read and counts slots,
// for the VM burst test and the flood benchmark.
//
//   node read-count.mjs [-b SLOTS] [-w IDLE_MS] [-T MS] [-n N] [-u PORT] [-r] (LINK | DEVICE...)
//
//   -b SLOTS  slots per readv (default 1024)
//   -w MS     stop after MS milliseconds without a slot (default 1000)
//   -T MS     stop after MS milliseconds in all
//   -n N      stop after N slots
//   -u PORT   also count the slots of IPv4 UDP datagrams to PORT
//   -r        print "ready" once every device is open
//   -D MS     wait MS milliseconds after opening before the first read
//   --tx/--rx with a link name: one direction only
//
// Prints one line: slots N udp N drops N reads N secs S sps R
// where drops is the growth of the rings' drop counters while reading.
import { parseArgs } from "node:util";
import { openDevices, openLink } from "../dist/index.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    b: { type: "string", default: "1024" },
    w: { type: "string", default: "1000" },
    T: { type: "string" },
    n: { type: "string" },
    u: { type: "string" },
    r: { type: "boolean", default: false },
    D: { type: "string", default: "0" },
    tx: { type: "boolean", default: false },
    rx: { type: "boolean", default: false },
  },
});
if (positionals.length === 0) {
  console.error("usage: read-count.mjs [-b SLOTS] [-w IDLE_MS] [-T MS] [-n N] [-u PORT] [-r] (LINK | DEVICE...)");
  process.exit(2);
}
const options = { slotsPerRead: Number(values.b) };
const reader =
  positionals.length === 1 && !positionals[0].includes("/")
    ? openLink(positionals[0], { ...options, tx: !values.rx, rx: !values.tx })
    : openDevices(positionals, options);
const drops = (s) => s.droppedFull + s.droppedNomem;
const atOpen = new Map([...reader.stats()].map(([k, s]) => [k, drops(s)]));
const last = new Map(atOpen);
const port = values.u === undefined ? -1 : Number(values.u);
const limit = values.n === undefined ? Number.POSITIVE_INFINITY : Number(values.n);
const idleMs = Number(values.w);
if (values.r) console.log("ready");
let startAt = 0n;
if (Number(values.D) > 0) {
  await new Promise((resolve) => setTimeout(resolve, Number(values.D)));
  // A queued ring is drained from here: measure from this moment.
  startAt = process.hrtime.bigint();
}

let slots = 0;
let udp = 0;
let reads = 0;
let lastSlotAt = Date.now();
let firstAt = 0n;
let lastAt = 0n;
const deadline = values.T === undefined ? Number.POSITIVE_INFINITY : Date.now() + Number(values.T);

// The frame's UDP destination port, or -1 (Ethernet + IPv4 with any IHL).
function udpPort(bytes, p, len) {
  if (len < 14 + 20 + 4 || bytes[p + 12] !== 0x08 || bytes[p + 13] !== 0x00 || bytes[p + 14 + 9] !== 17) return -1;
  const ihl = (bytes[p + 14] & 0x0f) * 4;
  const at = p + 14 + ihl + 2;
  return at + 2 <= p + len ? (bytes[at] << 8) | bytes[at + 1] : -1;
}

// The drop counters now, for drops after the last batch.
function refresh() {
  for (const [k, s] of reader.stats()) last.set(k, drops(s));
}

function count(batch) {
  if (slots === 0) firstAt = process.hrtime.bigint();
  lastAt = process.hrtime.bigint();
  reads++;
  slots += batch.slots.count;
  if (batch.ring) last.set(batch.device, drops(batch.ring));
  if (port >= 0) {
    const s = batch.slots;
    for (let i = 0; i < s.count; i++) if (udpPort(s.bytes, s.pktOffset(i), s.len(i)) === port) udp++;
  }
}

try {
  // The async iterator: the addon's poll-driven raw read.
  const timer = setInterval(
    () => {
      if (Date.now() - lastSlotAt > idleMs || Date.now() > deadline) {
        refresh();
        reader.close();
      }
    },
    Math.min(50, idleMs),
  );
  try {
    for await (const batch of reader) {
      count(batch);
      lastSlotAt = Date.now();
      if (slots >= limit) {
        refresh();
        break;
      }
    }
  } catch (err) {
    if (err.code !== "ERR_PVAL_READER_CLOSED") throw err;
  } finally {
    clearInterval(timer);
  }
} finally {
  reader.close();
}
// Rate over the span from the first batch (or the end of -D) to the last.
const secs = Number(lastAt - (startAt || firstAt)) / 1e9;
let dropped = 0;
for (const [k, v] of last) dropped += v - atOpen.get(k);
console.log(
  `slots ${slots} udp ${udp} drops ${dropped} reads ${reads} secs ${secs.toFixed(3)} sps ${secs > 0 ? Math.round(slots / secs) : 0}`,
);
