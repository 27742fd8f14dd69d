// A real Prometheus server for the tests: Debian's `prometheus` binary, on
// loopback, with a temporary configuration and storage, started and stopped
// by the test (no systemd, no service).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const prometheusSkipReason: string | undefined =
  spawnSync("prometheus", ["--version"]).status === 0 && spawnSync("promtool", ["--version"]).status === 0
    ? undefined
    : "prometheus and promtool are not installed (scripts/setup-tools.sh installs Debian's prometheus)";

if (prometheusSkipReason !== undefined) {
  if (process.env.CI) throw new Error(`${prometheusSkipReason}; CI must have them`);
  console.warn(`SKIP: ${prometheusSkipReason}`);
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, "close");
  return port;
}

export interface QueryResult {
  metric: Record<string, string>;
  value: number;
}

export class PrometheusServer {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #dir: string;
  #log = "";

  private constructor(child: ChildProcess, dir: string, url: string) {
    this.#child = child;
    this.#dir = dir;
    this.url = url;
    child.stderr?.on("data", (d: Buffer) => {
      this.#log = (this.#log + d.toString()).slice(-20_000);
    });
  }

  /** Starts a server scraping `targets` (host:port) every `intervalS` seconds as job "pval". */
  static async start(targets: string[], intervalS = 1): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), "pval-prometheus-"));
    const config = join(dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global:",
        `  scrape_interval: ${intervalS}s`,
        `  scrape_timeout: ${intervalS}s`,
        "scrape_configs:",
        "  - job_name: pval",
        "    static_configs:",
        `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
        "",
      ].join("\n"),
    );
    const port = await freePort();
    const child = spawn(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`);
    await server.#waitReady();
    return server;
  }

  get log(): string {
    return this.#log;
  }

  async #waitReady(): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (this.#child.exitCode !== null) throw new Error(`prometheus exited: ${this.#log}`);
      try {
        if ((await fetch(`${this.url}/-/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`prometheus not ready after 30 s: ${this.#log}`);
  }

  /** An instant query; throws with Prometheus's error text when it fails. */
  async query(expr: string): Promise<QueryResult[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== "success" || !body.data) throw new Error(`query ${expr}: ${body.error}`);
    if (body.data.resultType !== "vector") throw new Error(`query ${expr}: a ${body.data.resultType}, not a vector`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The targets' health, as /api/v1/targets reports it. */
  async targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/targets`)).json()) as {
      data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };
    };
    return body.data.activeTargets;
  }

  /** Waits until every target has been scraped successfully at least `scrapes` times. */
  async waitForScrapes(scrapes = 2, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await this.query('count_over_time(up{job="pval"}[1h]) and on() min(up{job="pval"}) == 1');
      if (r.length > 0 && r.every((x) => x.value >= scrapes)) return;
      await sleep(250);
    }
    throw new Error(`no successful scrape in ${timeoutMs} ms: ${JSON.stringify(await this.targets())}`);
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null) {
      this.#child.kill("SIGTERM");
      await once(this.#child, "exit");
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
