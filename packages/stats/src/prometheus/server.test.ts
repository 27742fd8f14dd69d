import { once } from "node:events";
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { StatsExporter } from "./exporter.js";
import { type MetricsServer, negotiateFormat, parseListenAddress, serveMetrics } from "./server.js";
import { exactDist, parseExposition, sampleValue, snapshot, stream } from "./test-support.js";

describe("parseListenAddress", () => {
  it.each([
    ["9464", { port: 9464 }],
    [":9464", { port: 9464 }],
    ["0", { port: 0 }],
    ["127.0.0.1:80", { host: "127.0.0.1", port: 80 }],
    ["localhost:65535", { host: "localhost", port: 65535 }],
    ["[::1]:9464", { host: "::1", port: 9464 }],
    ["[::]:1", { host: "::", port: 1 }],
  ])("%s", (text, want) => {
    expect(parseListenAddress(text)).toEqual(want);
  });

  it.each([
    ["", /is not a port/],
    ["65536", /"65536" in "65536" is not a port/],
    ["-1", /not a port/],
    ["09464", /not a port/],
    ["127.0.0.1:", /not a port/],
    ["127.0.0.1:http", /"http" .* is not a port/],
    ["::1:9464", /is not \[ADDR:\]PORT/],
    ["[10.0.0.1]:80", /"10.0.0.1" in .* is not an IPv6 address/],
    ["a b:80", /"a b" in .* is not a host name or address/],
  ])("refuses %j", (text, message) => {
    expect(() => parseListenAddress(text)).toThrow(message);
  });
});

describe("negotiateFormat", () => {
  it.each([
    [undefined, "prometheus"],
    ["", "prometheus"],
    ["*/*", "prometheus"],
    ["text/plain;version=0.0.4", "prometheus"],
    ["application/openmetrics-text", "openmetrics"],
    // What Prometheus 2.x sends.
    [
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      "openmetrics",
    ],
    ["text/plain;q=0.9, application/openmetrics-text;q=0.5", "prometheus"],
    ["application/openmetrics-text;q=0", "prometheus"],
  ])("%j -> %s", (accept, want) => {
    expect(negotiateFormat(accept)).toBe(want);
  });
});

describe("serveMetrics", () => {
  let served: MetricsServer | null = null;
  afterEach(async () => {
    await served?.close();
    served = null;
  });

  const exporter = (): StatsExporter =>
    new StatsExporter(
      {
        snapshot: () =>
          snapshot([stream({ src: "10.0.0.3", cpu: 0, received: 42, interval: exactDist([1000, 2000]) })]),
      },
      { defaultMetrics: false },
    );

  it("answers GET /metrics in the format the Accept header asks for", async () => {
    served = await serveMetrics(exporter(), { host: "127.0.0.1", port: 0 });
    expect(served.address).toBe(`127.0.0.1:${served.port}`);
    const url = `http://${served.address}/metrics`;

    const text = await fetch(url);
    expect(text.status).toBe(200);
    expect(text.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const body = await text.text();
    expect(sampleValue(parseExposition(body), "pval_stream_received_packets_total", { src: "10.0.0.3" })).toBe(42);

    const om = await fetch(url, { headers: { Accept: "application/openmetrics-text;version=1.0.0" } });
    expect(om.headers.get("content-type")).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    expect((await om.text()).endsWith("# EOF\n")).toBe(true);
    expect(served.scrapes).toEqual({ ok: 2, failed: 0 });
  });

  it("answers other paths with 404 and other methods with 405", async () => {
    served = await serveMetrics(exporter(), { host: "127.0.0.1", port: 0 });
    expect((await fetch(`http://${served.address}/metric`)).status).toBe(404);
    expect((await fetch(`http://${served.address}/metrics`, { method: "POST" })).status).toBe(405);
    expect(await (await fetch(`http://${served.address}/`)).text()).toContain('href="/metrics"');
  });

  it("answers 500 with the reason when the snapshot fails, and serves again after", async () => {
    let fail = true;
    const failing = new StatsExporter(
      {
        snapshot: () => {
          if (fail) throw new Error("analyser gone");
          return snapshot([]);
        },
      },
      { defaultMetrics: false },
    );
    served = await serveMetrics(failing, { host: "127.0.0.1", port: 0 });
    const res = await fetch(`http://${served.address}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("analyser gone");
    fail = false;
    expect((await fetch(`http://${served.address}/metrics`)).status).toBe(200);
    expect(served.scrapes).toEqual({ ok: 1, failed: 1 });
  });

  it("rejects with EADDRINUSE when the port is taken", async () => {
    const blocker = createServer();
    blocker.listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(serveMetrics(exporter(), { host: "127.0.0.1", port })).rejects.toMatchObject({
        code: "EADDRINUSE",
      });
    } finally {
      blocker.close();
    }
  });

  it("rejects with EADDRNOTAVAIL for an address this machine does not have", async () => {
    await expect(serveMetrics(exporter(), { host: "192.0.2.1", port: 0 })).rejects.toMatchObject({
      code: "EADDRNOTAVAIL",
    });
  });
});
