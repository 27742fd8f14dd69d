// Capture raw rtnetlink replies about pval links from a running kernel, as
// byte fixtures for src/fixtures.test.ts. Run as root in the VM through
// capture.sh, which prepares the links; this script only talks netlink.
//
//   node capture.mjs PHASE OUTDIR
//     PHASE "nomodule": kind pval is unknown (module not loaded)
//     PHASE "module":   pval.ko is loaded, veth0 exists, pval0 does not
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const { Socket } = require("node-gyp-build")(root);
const { codec } = await import(join(root, "dist/index.js"));
const c = codec;

const [phase, outdir] = process.argv.slice(2);
if (!phase || !outdir) {
  console.error("usage: capture.mjs nomodule|module OUTDIR");
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });

let seq = 1000;
let waiting;
const sock = new Socket(
  c.NETLINK_ROUTE,
  (dgram) => waiting?.(dgram),
  (err) => {
    throw err;
  },
);
sock.ref();

/** Send one request; resolve with every datagram up to the ack, error or DONE. */
function exchange(type, flags, ...body) {
  const mySeq = ++seq;
  const datagrams = [];
  return new Promise((resolve) => {
    waiting = (dgram) => {
      datagrams.push(Buffer.from(dgram));
      const last = c.parseMessages(dgram).at(-1);
      if (last.seq === mySeq && (last.type === c.NLMSG_ERROR || last.type === c.NLMSG_DONE)) resolve(datagrams);
    };
    sock.send(c.encodeMessage({ type, flags: flags | c.NLM_F_REQUEST, seq: mySeq, pid: 0 }, ...body));
  });
}

const save = (name, datagrams) => {
  // Several datagrams are stored back to back, each prefixed by its u32 length.
  const parts = datagrams.flatMap((d) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(d.byteLength);
    return [len, d];
  });
  writeFileSync(join(outdir, `${name}.bin`), Buffer.concat(parts));
  console.log(`captured ${name}.bin (${datagrams.length} datagram(s))`);
};

const ifname = (name) => c.encodeAttribute(c.IFLA_IFNAME, Buffer.from(`${name}\0`));
const linkinfo = (data) =>
  c.encodeAttribute(
    c.IFLA_LINKINFO,
    Buffer.concat([
      c.encodeAttribute(c.IFLA_INFO_KIND, Buffer.from("pval\0")),
      c.encodeAttribute(c.IFLA_INFO_DATA, c.encodeAttrs(c.PVAL_ATTRS, data), true),
    ]),
    true,
  );
const ifi = (index = 0) => c.encodeIfInfoMsg({ index });
const CREATE = c.NLM_F_CREATE | c.NLM_F_EXCL | c.NLM_F_ACK;

async function indexOf(name) {
  const [d] = await exchange(c.RTM_GETLINK, c.NLM_F_ACK, ifi(), ifname(name));
  const msg = c.parseMessages(d)[0];
  return c.parseIfInfoMsg(msg.payload).value.index;
}

const manifest = { kernel: release(), phase };
if (phase === "nomodule") {
  const veth0 = await indexOf("veth0");
  save("create-unknown-kind", await exchange(c.RTM_NEWLINK, CREATE, ifi(), ifname("pval0"), linkinfo({ link: veth0 })));
} else {
  const veth0 = await indexOf("veth0");
  manifest.veth0 = veth0;
  save(
    "create-bad-ring-slots",
    await exchange(c.RTM_NEWLINK, CREATE, ifi(), ifname("pval9"), linkinfo({ link: veth0, ringSlots: 3 })),
  );
  save("create-no-lower", await exchange(c.RTM_NEWLINK, CREATE, ifi(), ifname("pval9"), linkinfo({})));
  save("create-pval0", await exchange(c.RTM_NEWLINK, CREATE, ifi(), ifname("pval0"), linkinfo({ link: veth0 })));
  manifest.pval0 = await indexOf("pval0");
  save("getlink-pval0-defaults", await exchange(c.RTM_GETLINK, c.NLM_F_ACK, ifi(manifest.pval0)));
  save(
    "setlink-pval0",
    await exchange(
      c.RTM_NEWLINK,
      c.NLM_F_ACK,
      ifi(manifest.pval0),
      linkinfo({ ipopt: true, txcopy: true, rxcopy: true, txbusydrop: false }),
    ),
  );
  save("getlink-pval0-changed", await exchange(c.RTM_GETLINK, c.NLM_F_ACK, ifi(manifest.pval0)));
  save(
    "setlink-pval0-lower",
    await exchange(c.RTM_NEWLINK, c.NLM_F_ACK, ifi(manifest.pval0), linkinfo({ link: veth0 })),
  );
  save("dump-links", await exchange(c.RTM_GETLINK, c.NLM_F_DUMP, ifi()));
}
writeFileSync(join(outdir, `manifest-${phase}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
sock.close();
