// The HTTP side: GET /metrics in the Prometheus text format, or OpenMetrics
// when the scraper's Accept header prefers it (Prometheus itself does).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import { CONTENT_TYPES, type MetricsFormat, type StatsExporter } from "./exporter.js";

export interface ListenAddress {
  /** Undefined: every address (Node's default, `::` with IPv4 mapped). */
  host?: string;
  port: number;
}

export class ListenAddressError extends Error {
  override name = "ListenAddressError";
}

/**
 * Parses `[ADDR:]PORT`: `9464`, `:9464`, `127.0.0.1:9464`, `localhost:9464`,
 * `[::1]:9464`. PORT 0 takes a free port.
 */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:(?:\[([^\]]*)\]|([^:[\]]*)):)?([^:]*)$/.exec(text);
  if (!m) throw new ListenAddressError(`"${text}" is not [ADDR:]PORT (write an IPv6 address as [ADDR]:PORT)`);
  const [, v6, host, portText] = m;
  if (!/^(0|[1-9][0-9]{0,4})$/.test(portText ?? "") || Number(portText) > 65535) {
    throw new ListenAddressError(`"${portText}" in "${text}" is not a port (0 to 65535)`);
  }
  const port = Number(portText);
  if (v6 !== undefined) {
    if (isIP(v6) !== 6) throw new ListenAddressError(`"${v6}" in "${text}" is not an IPv6 address`);
    return { host: v6, port };
  }
  if (host === undefined || host === "") return { port };
  if (!/^[A-Za-z0-9.-]+$/.test(host))
    throw new ListenAddressError(`"${host}" in "${text}" is not a host name or address`);
  return { host, port };
}

/** `[host]:port` as one would type it back. */
export function formatAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The format a scraper asked for: OpenMetrics when `application/openmetrics-text`
 * has a higher q than `text/plain` (and than any wildcard), else the text format.
 */
export function negotiateFormat(accept: string | undefined): MetricsFormat {
  if (!accept) return "prometheus";
  let om = -1;
  let text = -1;
  for (const part of accept.split(",")) {
    const [type = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    let q = 1;
    for (const p of params) {
      const qm = /^q=([0-9.]+)$/.exec(p);
      if (qm) q = Number(qm[1]);
    }
    if (!(q > 0)) continue;
    if (type === "application/openmetrics-text") om = Math.max(om, q);
    else if (type === "text/plain" || type === "text/*" || type === "*/*") text = Math.max(text, q);
  }
  return om > text ? "openmetrics" : "prometheus";
}

export interface MetricsServer {
  readonly server: Server;
  /** The bound address, `host:port`. */
  readonly address: string;
  readonly port: number;
  /** Scrapes answered, and those that failed (500). */
  readonly scrapes: { ok: number; failed: number };
  close(): Promise<void>;
}

const INDEX = `<html><head><title>pval stats</title></head><body><a href="/metrics">/metrics</a></body></html>\n`;

/** Serves `exporter` on `address`; rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL, ENOTFOUND, EACCES). */
export function serveMetrics(exporter: StatsExporter, address: ListenAddress): Promise<MetricsServer> {
  const scrapes = { ok: 0, failed: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" }).end("method not allowed\n");
      return;
    }
    if (path === "/") {
      res.writeHead(200, { "Content-Type": "text/html" }).end(INDEX);
      return;
    }
    if (path !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found: try /metrics\n");
      return;
    }
    const format = negotiateFormat(req.headers.accept);
    exporter.render(format).then(
      (body) => {
        scrapes.ok++;
        res.writeHead(200, { "Content-Type": CONTENT_TYPES[format] });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      (err: unknown) => {
        scrapes.failed++;
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`rendering the metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };
  const server = createServer(handler);
  // A scraper that stops reading holds only its own socket.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off("error", reject);
      const bound = server.address();
      const port = typeof bound === "object" && bound ? bound.port : address.port;
      const host = typeof bound === "object" && bound ? bound.address : (address.host ?? "::");
      resolve({
        server,
        address: formatAddress(host, port),
        port,
        scrapes,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
