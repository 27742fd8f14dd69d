import { once } from "node:events";
import { createServer } from "node:net";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import {
  addListenOptions,
  DEFAULT_MAX_STREAMS,
  type Listener,
  type ListenOptions,
  startListen,
} from "./stats-listen.js";

function captureIo() {
  const io = { out: "", err: "" };
  return { io, cli: { out: (s: string) => void (io.out += s), err: (s: string) => void (io.err += s) } };
}

const snap = {
  streams: [
    {
      src: "10.0.0.3",
      cpu: 1,
      received: 5,
      duplicates: 0,
      missing: 1,
      reordered: 0,
      sent: null,
      lost: null,
      lastSeenMs: 0,
      interval: null,
      ipdv: null,
    },
  ],
  no_option: 0,
  not_ipv4: 0,
  streams_dropped: 0,
};

function parse(args: string[]): ListenOptions {
  const command = addListenOptions(new Command("stats").exitOverride().configureOutput({ writeErr: () => {} }));
  command.parse(args, { from: "user" });
  return command.opts<ListenOptions>();
}

describe("addListenOptions", () => {
  it("defaults to 1000 streams and no listening", () => {
    expect(parse([])).toEqual({ maxStreams: DEFAULT_MAX_STREAMS });
    expect(DEFAULT_MAX_STREAMS).toBe(1000);
  });

  it("takes --listen as given and --max-streams as a positive integer", () => {
    expect(parse(["--listen", "127.0.0.1:9464", "--max-streams", "5"])).toEqual({
      listen: "127.0.0.1:9464",
      maxStreams: 5,
    });
    expect(() => parse(["--max-streams", "0"])).toThrow(/N must be a positive integer/);
    expect(() => parse(["--max-streams", "x"])).toThrow(/N must be a positive integer/);
  });
});

describe("startListen", () => {
  it("does nothing without --listen", async () => {
    const { cli } = captureIo();
    expect(await startListen({ maxStreams: 10 }, { snapshot: () => snap, io: cli })).toBeNull();
  });

  it("serves the snapshot and the rings' counters, and says where", async () => {
    const { io, cli } = captureIo();
    const readers = [
      {
        path: "/dev/pval/pval0-rx-cpu-1",
        stats: () => ({ copied: 9, droppedFull: 2, droppedNomem: 0, read: 7 }),
      },
      {
        path: "/dev/pval/pval0-tx-cpu-0",
        stats: (): never => {
          throw Object.assign(new Error("closed"), { code: "ERR_PVAL_READER_CLOSED" });
        },
      },
    ];
    const listener = (await startListen(
      { listen: "127.0.0.1:0", maxStreams: 10 },
      { snapshot: () => snap, readers: () => readers, io: cli },
    )) as Listener;
    try {
      expect(io.err).toBe(`stats: serving metrics on http://127.0.0.1:${listener.port}/metrics\n`);
      const text = await (await fetch(`http://${listener.address}/metrics`)).text();
      expect(text).toContain('pval_stream_received_packets_total{src="10.0.0.3",cpu="1"} 5\n');
      expect(text).toContain(
        'pval_ring_dropped_slots_total{link="pval0",device="/dev/pval/pval0-rx-cpu-1",direction="rx",cpu="1",reason="full"} 2\n',
      );
      expect(text).not.toContain("pval0-tx-cpu-0");
      expect(text).toContain("pval_streams_limit 10\n");
    } finally {
      await listener.close();
    }
  });

  it.each([
    ["127.0.0.1:99999", 'stats: --listen 127.0.0.1:99999: "99999" in "127.0.0.1:99999" is not a port (0 to 65535)\n'],
    ["192.0.2.1:0", "stats: --listen 192.0.2.1:0: address not available on this machine\n"],
    ["no-such-host.invalid:0", "stats: --listen no-such-host.invalid:0: no such host\n"],
  ])("refuses %s with one line and exit 1", async (listen, line) => {
    const { io, cli } = captureIo();
    expect(await startListen({ listen, maxStreams: 10 }, { snapshot: () => snap, io: cli })).toBe(1);
    expect(io.err).toBe(line);
  });

  it("refuses a port in use with one line and exit 1", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = (blocker.address() as { port: number }).port;
    try {
      const { io, cli } = captureIo();
      const code = await startListen(
        { listen: `127.0.0.1:${port}`, maxStreams: 10 },
        { snapshot: () => snap, io: cli },
      );
      expect(code).toBe(1);
      expect(io.err).toBe(`stats: --listen 127.0.0.1:${port}: address already in use\n`);
    } finally {
      blocker.close();
    }
  });

  it("resolves served() at SIGTERM", async () => {
    const { cli } = captureIo();
    const listener = (await startListen(
      { listen: "127.0.0.1:0", maxStreams: 10 },
      { snapshot: () => snap, io: cli },
    )) as Listener;
    const served = listener.served();
    process.emit("SIGTERM");
    await served;
    await listener.close();
    expect(process.listenerCount("SIGTERM")).toBe(0);
  });
});
