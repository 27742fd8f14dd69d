// Slots per second of each SlotPrinter format on 1024-slot batches of the
// flood's traffic (UDP datagrams with option 222), formatting only: the
// figure `pval dump` can keep up with before the reading and the write(2).
// `sps` is per second of wall time, `cpu_sps` per second of the process's
// CPU time (the steadier figure on a shared machine).
//
//   node bench/slot-format.bench.mjs [--format json] [--seconds 2]
//
// Needs the built packages (pnpm build).

import { encodeFrame, ipv4FromString, SlotBatch } from "@pval/decode";
import { SLOT_FORMATS, SlotPrinter } from "../dist/index.js";

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const formats = flag("--format") ? [flag("--format")] : SLOT_FORMATS;
const seconds = Number(flag("--seconds", "2"));

const mac = (s) => Uint8Array.from(s.split(":").map((h) => Number.parseInt(h, 16)));
const SLOTS = 1024;
const batch = SlotBatch.allocate(SLOTS);
const t0 = 1764084245596047123n;
for (let i = 0; i < SLOTS; i++) {
  const frame = encodeFrame({
    ethernet: { src: mac("ea:51:d7:0c:95:1a"), dst: mac("08:00:27:19:12:a4") },
    ipv4: {
      src: ipv4FromString("10.0.0.2"),
      dst: ipv4FromString("10.0.0.3"),
      options: [{ kind: "pval", cpu: 0, seq: BigInt(100000 + i) }],
    },
    udp: { srcPort: 40000, dstPort: 7777 },
    payload: new Uint8Array(64),
  });
  batch.write(i, { frame, tstamp: t0 + BigInt(i) * 100000n });
}
const source = { device: "/dev/pval/pval0-tx-cpu-0", direction: "tx", cpu: 0 };

for (const format of formats) {
  const printer = new SlotPrinter(format);
  let slots = 0;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(seconds * 1e9);
  let now = start;
  while (now < end) {
    for (let k = 0; k < 16; k++) {
      bytes += printer.bytes(batch, source).length;
      slots += SLOTS;
    }
    now = process.hrtime.bigint();
  }
  const secs = Number(now - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${format} slots ${slots} secs ${secs.toFixed(3)} sps ${Math.round(slots / secs)} cpu_sps ${Math.round(slots / cpuSecs)} bytes_per_slot ${Math.round(bytes / slots)}`,
  );
}
