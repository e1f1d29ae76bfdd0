// The Telegram front door under load: N webhook updates (each a PDF) from M users, posted the
// way Telegram does (up to `--concurrency` connections), against the real grammY webhook on our
// HTTP server with real Redis (admission Lua, job record, BullMQ add) and the fake Bot API
// receiving the acknowledgements. Reported: p50/p99 time to the HTTP 200, p50/p99 time until
// the fake received the acknowledgement (sendMessage replying to that PDF), and updates/s.
// Beside it, in the same run on the same machine and Redis: a bare node:http server that does
// one Redis write per request, the floor for "answer a webhook after a durable write", and a
// bare node:http server that calls only JobSubmitter.submit (one admission script + BullMQ's
// Queue.add), to tell the submit's share of the cost from the front door's (grammY, the update
// dedupe, the user's preferences, the acknowledgement sent to the Bot API).
// No worker runs: this measures intake only.
// Run: npm run bench:telegram  [-- --n 2000 --users 50 --concurrency 32]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createCoreServices } from '../src/app/services.js';
import { createHttpServer } from '../src/http/server.js';
import { freePort, startRedisServer } from '../src/redis/embedded.js';
import { startTelegramFrontDoor } from '../bots/telegram/index.js';
import { WEBHOOK_PATH } from '../bots/telegram/webhook.js';
import { FakeTelegram, type ApiCall } from '../tests/fakes/telegram.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    users: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '200' },
    // Alternate the two servers in rounds, so background load on a shared machine hits both alike.
    rounds: { type: 'string', default: '4' },
  },
});
const N = Number(values.n);
const USERS = Number(values.users);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = Number(values.warmup);
const ROUNDS = Math.max(1, Number(values.rounds));

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (v: number) => `${v.toFixed(2)} ms`;

interface Run {
  http: number[];
  ack: number[];
  seconds: number;
  errors: number;
}

/** Post `bodies` to `url` over `CONCURRENCY` keep-alive connections; time each answer. */
async function drive(
  origin: string,
  pathName: string,
  bodies: { body: string; key: string }[],
  headers: Record<string, string>,
  onSent: (key: string, t0: number) => void,
): Promise<{ http: number[]; seconds: number; errors: number }> {
  const pool = new Pool(origin, { connections: CONCURRENCY, pipelining: 1 });
  const http: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const i = next++;
        if (i >= bodies.length) return;
        const { body, key } = bodies[i]!;
        const t0 = performance.now();
        onSent(key, t0);
        const res = await pool.request({
          method: 'POST',
          path: pathName,
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });
        await res.body.dump();
        if (res.statusCode !== 200) errors++;
        http.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { http, seconds, errors };
}

// ---------------------------------------------------------------------------------------------
const redisServer = process.env.REDIS_URL ? undefined : await startRedisServer({ dir: '.data/bench-redis' });
const redisUrl = process.env.REDIS_URL ?? redisServer!.url;
const dataDir = await mkdtemp(path.join(tmpdir(), 'd2v-bench-tg-'));
const fake = await FakeTelegram.start();
const port = await freePort();
const secret = 'bench_secret_0123456789';
const prefix = `benchtg${Date.now().toString(36)}`;
const config = loadConfig({
  REDIS_URL: redisUrl,
  REDIS_PREFIX: prefix,
  DATA_DIR: dataDir,
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  TELEGRAM_BOT_TOKEN: fake.token,
  TELEGRAM_API_ROOT: fake.apiRoot,
  TELEGRAM_WEBHOOK_SECRET: secret,
  RATE_LIMIT_MAX: '10000',
  // Intake only: no ceiling or budget in the way (no worker drains the queue here).
  MAX_QUEUED_JOBS: '1000000',
  LOG_LEVEL: 'warn',
});
const logger = createLogger({ level: 'warn' });
const services = createCoreServices(config, logger, { role: 'web', redisUrl });
const server = createHttpServer(logger);
await startTelegramFrontDoor(services, server);
await server.listen(port, '127.0.0.1');

// Updates: user u sends PDFs in their private chat; the fake knows the users, chats and files.
const users = Array.from({ length: USERS }, (_, i) => fake.user(10_000 + i));
const chats = users.map((u) => fake.privateChat(u));
const pdf = Buffer.from('%PDF-1.4\n% a small PDF the worker never fetches in this benchmark\n');
function makeUpdates(count: number): { body: string; key: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const k = i % USERS;
    const update = fake.documentUpdate({
      from: users[k]!,
      chat: chats[k]!,
      bytes: pdf,
      fileName: `doc${i}.pdf`,
      mimeType: 'application/pdf',
    });
    const msg = update.message as { message_id: number; chat: { id: number } };
    return { body: JSON.stringify(update), key: `${msg.chat.id}:${msg.message_id}` };
  });
}

async function runDoc2Video(count: number): Promise<Run> {
  const bodies = makeUpdates(count);
  const sentAt = new Map<string, number>();
  const ack: number[] = [];
  const onCall = (c: ApiCall) => {
    if (c.method !== 'sendMessage') return;
    const replyTo = (c.params.reply_parameters as { message_id?: number } | undefined)?.message_id;
    const key = `${String(c.params.chat_id)}:${replyTo}`;
    const t0 = sentAt.get(key);
    if (t0 !== undefined) ack.push(performance.now() - t0);
  };
  fake.on('call', onCall);
  const r = await drive(
    `http://127.0.0.1:${port}`,
    WEBHOOK_PATH,
    bodies,
    { 'x-telegram-bot-api-secret-token': secret },
    (key, t0) => sentAt.set(key, t0),
  );
  fake.off('call', onCall);
  return { ...r, ack };
}

// The floor: node:http + one Redis write (SET with a TTL), then 200.
const bareRedis = new Redis(redisUrl);
const bare = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const update = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { update_id: number };
    bareRedis.set(`${prefix}:bare:${update.update_id}`, '1', 'EX', 600).then(
      () => res.writeHead(200, { 'content-length': 0 }).end(),
      () => res.writeHead(500).end(),
    );
  });
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
const barePort = (bare.address() as AddressInfo).port;

async function runBare(count: number): Promise<Run> {
  const r = await drive(`http://127.0.0.1:${barePort}`, '/', makeUpdates(count), {}, () => {});
  return { ...r, ack: [] };
}

// The submit alone: node:http + JobSubmitter.submit, then 200 (the same services and Redis).
interface BenchUpdate {
  message: { message_id: number; chat: { id: number }; from: { id: number }; document: { file_id: string } };
}
const submitOnly = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { message: m } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as BenchUpdate;
    const userKey = `tg:${m.from.id}`;
    services.submitter
      .submit({
        dedupeKey: `tg:${m.chat.id}:${m.message_id}`,
        requester: { platform: 'telegram', userKey, userId: String(m.from.id), chatId: String(m.chat.id) },
        file: { kind: 'telegram', fileId: m.document.file_id },
      })
      .then(
        (o) => res.writeHead(o.status === 'accepted' ? 200 : 429, { 'content-length': 0 }).end(),
        () => res.writeHead(500).end(),
      );
  });
});
await new Promise<void>((r) => submitOnly.listen(0, '127.0.0.1', r));
const submitPort = (submitOnly.address() as AddressInfo).port;

async function runSubmitOnly(count: number): Promise<Run> {
  const r = await drive(`http://127.0.0.1:${submitPort}`, '/', makeUpdates(count), {}, () => {});
  return { ...r, ack: [] };
}

await runDoc2Video(WARMUP);
await runBare(WARMUP);
await runSubmitOnly(WARMUP);
const d2v: Run = { http: [], ack: [], seconds: 0, errors: 0 };
const floor: Run = { http: [], ack: [], seconds: 0, errors: 0 };
const submitRun: Run = { http: [], ack: [], seconds: 0, errors: 0 };
const add = (into: Run, r: Run) => {
  into.http.push(...r.http);
  into.ack.push(...r.ack);
  into.seconds += r.seconds;
  into.errors += r.errors;
};
for (let i = 0; i < ROUNDS; i++) {
  const per = Math.floor(N / ROUNDS) + (i < N % ROUNDS ? 1 : 0);
  add(d2v, await runDoc2Video(per));
  add(floor, await runBare(per));
  add(submitRun, await runSubmitOnly(per));
}

function row(name: string, r: Run): string {
  const h = [...r.http].sort((a, b) => a - b);
  const a = [...r.ack].sort((x, y) => x - y);
  const ackCols = a.length ? `${ms(pct(a, 50))} | ${ms(pct(a, 99))}` : '— | —';
  return `| ${name} | ${ms(pct(h, 50))} | ${ms(pct(h, 99))} | ${ackCols} | ${Math.round(N / r.seconds)} | ${r.errors} |`;
}

const os = await import('node:os');
const cpu = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}`;
console.log(
  `\nN=${N} updates from M=${USERS} users, ${CONCURRENCY} connections, ${ROUNDS} alternating rounds, warm-up ${WARMUP}; ` +
    `Node ${process.version}; ${cpu}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
);
console.log('| server | HTTP 200 p50 | HTTP 200 p99 | ack p50 | ack p99 | updates/s | non-200 |');
console.log('|---|---|---|---|---|---|---|');
console.log(row('doc2video Telegram webhook (grammY, submit, ack)', d2v));
console.log(row('bare node:http + JobSubmitter.submit (admission script + Queue.add)', submitRun));
console.log(row('bare node:http + 1 Redis SET (the floor)', floor));
const share = (r: Run) => {
  const p99 = (x: Run) =>
    pct(
      [...x.http].sort((a, b) => a - b),
      99,
    );
  return `${Math.round((100 * floor.seconds) / r.seconds)}% of the floor's throughput, p99 ${(p99(r) / p99(floor)).toFixed(1)}x the floor's`;
};
console.log(`\nTelegram webhook: ${share(d2v)}; submit alone: ${share(submitRun)}`);
console.log(`\nacknowledgements received: ${d2v.ack.length}/${N}`);

bare.close();
submitOnly.close();
bareRedis.disconnect();
await server.close();
await services.close();
await fake.close();
await redisServer?.stop();
await rm(dataDir, { recursive: true, force: true });
