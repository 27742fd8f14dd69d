// SPDX-License-Identifier: GPL-2.0
// Sends COUNT UDP datagrams of SIZE payload bytes to HOST:PORT, at most
// BATCH in flight at once, then exits.  Pin it to a CPU with taskset to
// choose which CPU's sequence numbers the pval option carries.
//
//   node test/lib/udp-burst.mjs HOST PORT COUNT [SIZE] [BATCH]
//
// Prints "udp-burst: sent N" and exits 1 when a send failed.
import dgram from "node:dgram";

const [host, portArg, countArg, sizeArg = "64", batchArg = "64"] = process.argv.slice(2);
if (!host || !portArg || !countArg) {
  console.error("usage: udp-burst.mjs HOST PORT COUNT [SIZE] [BATCH]");
  process.exit(2);
}
const port = Number(portArg);
const count = Number(countArg);
const payload = Buffer.alloc(Number(sizeArg), 0x70);
const batch = Number(batchArg);
const sock = dgram.createSocket("udp4");
let sent = 0;
let done = 0;
let failed = 0;

function pump() {
  while (sent < count && sent - done < batch) {
    sent++;
    sock.send(payload, port, host, (err) => {
      done++;
      if (err) failed++;
      if (done === count) {
        console.log(`udp-burst: sent ${done - failed} of ${count}${failed ? `, ${failed} failed` : ""}`);
        sock.close();
        process.exitCode = failed ? 1 : 0;
      } else {
        setImmediate(pump);
      }
    });
  }
}
pump();
