// What the intake benchmarks share (bench/telegram-webhook.ts, slack-events.ts, web-upload.ts):
// the load generator (keep-alive connections posting prepared requests, timing each answer), the
// floor they are compared with (a bare node:http server that answers after one Redis LPUSH), the
// rounds that alternate the servers so background load on a shared machine hits them alike, a
// count of the Redis commands one request costs (MONITOR), and the result table.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { connect, type AddressInfo } from 'node:net';
import os from 'node:os';
import { Redis } from 'ioredis';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { freePort, startRedisServer } from '../../src/redis/embedded.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createCoreServices, type CoreServices } from '../../src/app/services.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';

export interface LoadSettings {
  /** Requests per server per measurement. */
  n: number;
  /** Distinct users the requests come from. */
  users: number;
  concurrency: number;
  warmup: number;
  rounds: number;
}

/** The command line every intake bench takes: `--n 2000 --users 50 --concurrency 32 --warmup 200 --rounds 4`. */
export function loadSettings(): LoadSettings {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '2000' },
      users: { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '200' },
      // Alternate the servers in rounds, so background load on a shared machine hits them alike.
      rounds: { type: 'string', default: '4' },
    },
  });
  return {
    n: Number(values.n),
    users: Number(values.users),
    concurrency: Number(values.concurrency),
    warmup: Number(values.warmup),
    rounds: Math.max(1, Number(values.rounds)),
  };
}

/** REDIS_URL's Redis, or a redis-server of the bench's own (stop it at the end). */
export async function benchRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  const server = await startRedisServer({ dir: '.data/bench-redis' });
  return { url: server.url, stop: () => server.stop() };
}

export interface IntakeServer {
  redisUrl: string;
  prefix: string;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The process's DATA_DIR (removed by close()). */
  dataDir: string;
  services: CoreServices;
  /** Stops the door, the server, the services and the bench's Redis; removes the data folder. */
  close(): Promise<void>;
}

/**
 * The web process as it runs in production, for intake only: the bench's Redis, the services,
 * our HTTP server with one front door mounted by `mount`, the configuration from `env` plus what
 * every intake bench sets (no rate limit, ceiling or worker in the way; warnings only).
 */
export async function startIntakeServer(
  name: string,
  env: Record<string, string>,
  mount: (services: CoreServices, server: HttpServer) => Promise<{ stop(): Promise<void> } | void> | void,
): Promise<IntakeServer> {
  const redis = await benchRedis();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `d2v-bench-${name}-`));
  const port = await freePort();
  const prefix = `bench${name}${Date.now().toString(36)}`;
  const origin = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    PUBLIC_URL: origin,
    RATE_LIMIT_MAX: '10000',
    // Intake only: no ceiling or budget in the way (no worker drains the queue here).
    MAX_QUEUED_JOBS: '1000000',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const logger = createLogger({ level: 'warn' });
  const services = createCoreServices(config, logger, { role: 'web', redisUrl: redis.url });
  const server = createHttpServer(logger);
  const door = await mount(services, server);
  await server.listen(port, '127.0.0.1');
  // The web connection fails fast rather than queueing while Redis is not connected yet.
  if (services.redis.status !== 'ready') await once(services.redis, 'ready');
  return {
    redisUrl: redis.url,
    prefix,
    origin,
    dataDir,
    services,
    async close() {
      if (door) await door.stop();
      await server.close();
      await services.close();
      await redis.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** One prepared request: its body, its own headers, and a key naming it (for acknowledgements). */
export interface LoadRequest {
  body: string | Buffer;
  key: string;
  headers?: Record<string, string>;
}

export interface Run {
  /** ms from sending a request to its full answer. */
  http: number[];
  /** ms from sending a request to its acknowledgement reaching the platform (when measured). */
  ack: number[];
  seconds: number;
  /** Answers that were not 2xx. */
  errors: number;
  count: number;
  /** CPU time spent meanwhile by this process (load generator, server, fakes) and by redis-server, ms. */
  cpuMs: number;
  redisCpuMs: number;
}

export const emptyRun = (): Run => ({ http: [], ack: [], seconds: 0, errors: 0, count: 0, cpuMs: 0, redisCpuMs: 0 });

function addRun(into: Run, r: Run): void {
  into.http.push(...r.http);
  into.ack.push(...r.ack);
  into.seconds += r.seconds;
  into.errors += r.errors;
  into.count += r.count;
  into.cpuMs += r.cpuMs;
  into.redisCpuMs += r.redisCpuMs;
}

export interface DriveOptions {
  concurrency: number;
  /** Headers on every request (a request's own win). */
  headers?: Record<string, string>;
  /** Called just before a request is sent. */
  onSent?: (key: string, t0: number) => void;
  /** Called with every 2xx answer's body (e.g. to play Telegram's part with a webhook reply). */
  onAnswer?: (key: string, body: string) => void | Promise<void>;
}

/** POST `requests` to `origin + path` over `concurrency` keep-alive connections; time each answer. */
export async function drive(origin: string, path: string, requests: LoadRequest[], opts: DriveOptions): Promise<Run> {
  const pool = new Pool(origin, { connections: opts.concurrency, pipelining: 1 });
  const run = emptyRun();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= requests.length) return;
        const { body, key, headers } = requests[i]!;
        const t0 = performance.now();
        opts.onSent?.(key, t0);
        const res = await pool.request({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json', ...opts.headers, ...headers },
          body,
        });
        const text = await res.body.text();
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        if (!ok) run.errors++;
        run.http.push(performance.now() - t0);
        if (ok) await opts.onAnswer?.(key, text);
      }
    }),
  );
  run.seconds = (performance.now() - started) / 1000;
  run.count = requests.length;
  await pool.close();
  return run;
}

/** A local server a bench drives: the floor, or a bare contender. */
export interface BareServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The floor: node:http reads the whole body, does one Redis LPUSH (a small record of it) and
 * answers 200: "answer after one durable write" with nothing else in the way.
 */
export async function startFloor(redisUrl: string, listKey: string): Promise<BareServer> {
  const redis = new Redis(redisUrl);
  let n = 0;
  const server: Server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      redis.lpush(listKey, `${++n}:${bytes}`).then(
        () => res.writeHead(200, { 'content-length': 0 }).end(),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await redis.del(listKey);
      redis.disconnect();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A bare node:http server for a contender with no framework: the whole body read, then
 * `handle` decides the status (a rejection answers 500).
 */
export async function startBareServer(
  handle: (body: Buffer, headers: IncomingHttpHeaders) => Promise<number>,
): Promise<BareServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(Buffer.concat(chunks), req.headers).then(
        (status) => res.writeHead(status, { 'content-length': 0 }).end(),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface Contender {
  name: string;
  /** Run `count` requests, return their timings. */
  run(count: number): Promise<Run>;
}

/** redis-server's CPU time so far (INFO cpu: user + system), ms. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/**
 * Warm each contender up, then alternate them for `rounds` rounds of about n/rounds requests.
 * Each run also records the CPU this process and redis-server spent meanwhile: which of the two
 * bounds a contender is what tells where its time goes.
 */
export async function alternate(
  contenders: Contender[],
  n: number,
  rounds: number,
  warmup: number,
  redisUrl: string,
): Promise<Map<string, Run>> {
  const probe = new Redis(redisUrl);
  for (const c of contenders) await c.run(warmup);
  const out = new Map(contenders.map((c) => [c.name, emptyRun()]));
  for (let i = 0; i < rounds; i++) {
    const per = Math.floor(n / rounds) + (i < n % rounds ? 1 : 0);
    for (const c of contenders) {
      const cpu0 = process.cpuUsage();
      const redis0 = await redisCpuMs(probe);
      const r = await c.run(per);
      const cpu = process.cpuUsage(cpu0);
      r.cpuMs = (cpu.user + cpu.system) / 1000;
      r.redisCpuMs = (await redisCpuMs(probe)) - redis0;
      addRun(out.get(c.name)!, r);
    }
  }
  probe.disconnect();
  return out;
}

/**
 * The Redis commands one run of `fn` sends, by name, from MONITOR (commands run inside Lua
 * scripts are not counted: they cost no round trip). A plain socket rather than ioredis's
 * monitor(): that one throws on lines still arriving when it is disconnected mid-traffic.
 */
export async function redisCommandsDuring(redisUrl: string, fn: () => Promise<void>): Promise<Map<string, number>> {
  const url = new URL(redisUrl);
  // Connected before MONITOR starts, so its own start-up commands (INFO) are not counted.
  const probe = new Redis(redisUrl);
  await probe.ping();
  const socket = connect(Number(url.port || 6379), url.hostname);
  await once(socket, 'connect');
  if (url.password) socket.write(`AUTH ${decodeURIComponent(url.username || 'default')} ${decodeURIComponent(url.password)}\r\n`);
  socket.write('MONITOR\r\n');
  const counts = new Map<string, number>();
  const marker = `d2v-bench-end-${Date.now()}`;
  let sawMarker: () => void = () => {};
  const ended = new Promise<void>((r) => (sawMarker = r));
  let started: () => void = () => {};
  const monitoring = new Promise<void>((r) => (started = r));
  let rest = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\r\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '+OK') started();
      // +1796125297.052703 [0 127.0.0.1:40924] "set" "key" ...  ([0 lua] inside scripts)
      const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] "([^"]*)"(?: "([^"]*)")?/.exec(line);
      if (!m) continue;
      const [, source, cmd, arg] = m as unknown as [string, string, string, string | undefined];
      if (cmd.toLowerCase() === 'echo' && arg === marker) sawMarker();
      else if (source !== 'lua') counts.set(cmd.toLowerCase(), (counts.get(cmd.toLowerCase()) ?? 0) + 1);
    }
  });
  await monitoring;
  await fn();
  // MONITOR lines may trail the replies: wait for our own marker, sent last.
  await probe.echo(marker);
  await ended;
  probe.disconnect();
  socket.destroy();
  return counts;
}

/** "3.0 round trips per request (evalsha 1.0, exists 1.0, ...)". */
export function perRequest(counts: Map<string, number>, requests: number): string {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / requests).toFixed(1)}`);
  return `${(total / requests).toFixed(1)} Redis commands per request (${parts.join(', ')})`;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (v: number) => `${v.toFixed(2)} ms`;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

/** The Markdown table of a benchmark's runs, the floor's row last, and each row's share of it. */
export function report(title: string, runs: Map<string, Run>, floorName: string, withAck: boolean): string {
  const floor = runs.get(floorName)!;
  const lines = [
    `\n${title}; Node ${process.version}; ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
    `| server | 2xx p50 | 2xx p99 |${withAck ? ' ack p50 | ack p99 |' : ''} requests/s | non-2xx | CPU µs/request: bench process, redis-server |`,
    `|---|---|---|${withAck ? '---|---|' : ''}---|---|---|`,
  ];
  for (const [name, r] of runs) {
    const h = sorted(r.http);
    const a = sorted(r.ack);
    const ack = withAck ? (a.length ? ` ${ms(pct(a, 50))} | ${ms(pct(a, 99))} |` : ' — | — |') : '';
    const cpu = `${Math.round((1000 * r.cpuMs) / r.count)}, ${Math.round((1000 * r.redisCpuMs) / r.count)}`;
    lines.push(
      `| ${name} | ${ms(pct(h, 50))} | ${ms(pct(h, 99))} |${ack} ${Math.round(r.count / r.seconds)} | ${r.errors} | ${cpu} |`,
    );
  }
  lines.push('');
  const floorP99 = pct(sorted(floor.http), 99);
  for (const [name, r] of runs) {
    if (name === floorName) continue;
    const share = Math.round((100 * (r.count / r.seconds)) / (floor.count / floor.seconds));
    lines.push(
      `${name}: ${share}% of the floor's throughput, p99 ${(pct(sorted(r.http), 99) / floorP99).toFixed(1)}x the floor's`,
    );
  }
  return lines.join('\n');
}

export interface FloorComparison {
  redisUrl: string;
  settings: LoadSettings;
  /** The table's first line: what was sent, how. */
  title: string;
  /** Names the Redis command count: "Slack events: 5.0 Redis commands per request (...)". */
  label: string;
  /** What is measured against the floor (the first one's Redis commands are counted). */
  contenders: Contender[];
  /** The first contender's requests one at a time: for the count of its Redis commands. */
  oneAtATime(count: number): Promise<unknown>;
  /** The same bodies for the floor. */
  floorRequests(count: number): LoadRequest[];
  /** Redis list the floor pushes to (deleted at the end). */
  floorKey: string;
  withAck?: boolean;
}

export const FLOOR = 'bare node:http + 1 Redis LPUSH (the floor)';

/**
 * What every intake bench does once its server is up: count the Redis commands of 20 requests
 * sent one at a time (MONITOR slows Redis: not during the timing), alternate the contenders with
 * the floor, print the table and the count. Returns the runs (the floor's under FLOOR).
 */
export async function compareWithFloor(o: FloorComparison): Promise<Map<string, Run>> {
  const { n, rounds, warmup, concurrency } = o.settings;
  const floor = await startFloor(o.redisUrl, o.floorKey);
  await o.oneAtATime(5);
  const commands = await redisCommandsDuring(o.redisUrl, async () => {
    await o.oneAtATime(20);
  });
  const runs = await alternate(
    [...o.contenders, { name: FLOOR, run: (count) => drive(floor.url, '/', o.floorRequests(count), { concurrency }) }],
    n,
    rounds,
    warmup,
    o.redisUrl,
  );
  console.log(report(o.title, runs, FLOOR, o.withAck ?? false));
  console.log(`\n${o.label}: ${perRequest(commands, 20)}`);
  await floor.close();
  return runs;
}
