// Chaos: N jobs through a real web process and real worker processes against the fakes, while
// workers are killed with SIGKILL and restarted, and Redis (AOF on) is restarted, at random
// moments. Then: videos delivered = jobs, duplicates = 0, D-ID creates = jobs, and every kind of
// fault the test names did happen in this run, at least once while jobs were in flight.
//
//   npm run test:chaos       40 jobs, a new random seed each run, printed (replay: CHAOS_SEED=…)
// `npm test` (CI) runs a short version: CHAOS_JOBS 8 and the fixed seed 1, so it is repeatable.
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenRouter, type FakeOpenRouter } from '../fakes/openrouter.js';
import { startFakeDid, type FakeDid } from '../fakes/did.js';
import { startProcess, startWorkerProcess, type ProcessHandle } from '../helpers/processes.js';
import { freePort, startRedisServer, type RedisServerHandle } from '../../src/redis/embedded.js';
import { loadConfig } from '../../src/config.js';
import { createCoreServices, type CoreServices } from '../../src/app/services.js';
import { captureLogs } from '../helpers/logs.js';
import { testEventsKey, type TestEvent } from '../helpers/test-adapter.js';
import { waitFor } from '../helpers/harness.js';

const JOBS = Number(process.env.CHAOS_JOBS ?? 8);
// A fixed default seed keeps CI repeatable; set CHAOS_SEED to explore other schedules.
const SEED = Number(process.env.CHAOS_SEED ?? 1);
console.log(`chaos: seed ${SEED}, ${JOBS} jobs (replay with CHAOS_SEED=${SEED} CHAOS_JOBS=${JOBS})`);
const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/the-water-cycle.pdf');
const PREFIX = 'chaos';
const WORKERS = 2;

// A small deterministic PRNG so a failing run can be replayed with CHAOS_SEED.
function mulberry32(a: number) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);

let dir: string;
let redisPort: number;
let redisServer: RedisServerHandle;
let openrouter: FakeOpenRouter;
let did: FakeDid;
let webPort: number;
let web: ProcessHandle;
const workers: (ProcessHandle | undefined)[] = [];
let submitter: CoreServices;
let env: Record<string, string>;

const startRedis = () =>
  startRedisServer({ dir: path.join(dir, 'redis'), port: redisPort, persistence: true, appendFsync: 'always' });
const startWeb = () =>
  startProcess('src/main/web.ts', { ...env, PORT: String(webPort) }, path.join(dir, 'web.log'), 'web_started');
const startWorker = (i: number) =>
  startWorkerProcess({ ...env, DATA_DIR: path.join(dir, `w${i}`) }, path.join(dir, `worker${i}.log`));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-chaos-'));
  redisPort = await freePort();
  redisServer = await startRedis();
  openrouter = await startFakeOpenRouter();
  did = await startFakeDid({ stageMs: 400, webhooks: true });
  webPort = await freePort();
  env = {
    REDIS_URL: redisServer.url,
    REDIS_PREFIX: PREFIX,
    PUBLIC_URL: `http://127.0.0.1:${webPort}`,
    OPENROUTER_API_KEY: openrouter.apiKey,
    OPENROUTER_BASE_URL: openrouter.url,
    DID_API_KEY: did.apiKey,
    DID_BASE_URL: did.url,
    DID_WEBHOOK_SECRET: 'chaos-webhook-secret',
    LOG_LEVEL: 'info',
    RATE_LIMIT_MAX: '1000',
    // Chaos measures delivery, not budgets: 40 paid jobs at once hold more than the default cap.
    DAILY_BUDGET_USD: 'off',
    WORKER_CONCURRENCY: '3',
    TEST_LOCK_MS: '3000',
    TEST_STALLED_MS: '1500',
    TEST_SLOT_RECHECK_MS: '1000',
    TEST_CLOSE_MS: '8000',
  };
  web = startWeb();
  for (let i = 0; i < WORKERS; i++) workers[i] = startWorker(i);
  await Promise.all([web.ready, ...workers.map((w) => w!.ready)]);
  const { logger } = captureLogs('silent');
  // The test plays the front door: it submits through the same JobSubmitter the bots use.
  submitter = createCoreServices(loadConfig({ ...env, DATA_DIR: path.join(dir, 'front') }), logger, {
    role: 'worker',
    redisUrl: redisServer.url,
  });
}, 60_000);

afterAll(async () => {
  for (const w of workers) w?.kill('SIGKILL');
  web?.kill('SIGKILL');
  await submitter?.close();
  await redisServer?.stop();
  await openrouter?.close();
  await did?.close();
  if (!process.env.CHAOS_KEEP) await rm(dir, { recursive: true, force: true });
  else console.log(`chaos logs kept in ${dir}`);
});

async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

describe(`chaos (${JOBS} jobs, seed ${SEED})`, () => {
  it('delivers every video exactly once and pays D-ID once per job through crashes and restarts', async () => {
    await waitFor(() => ready(webPort), 'web process ready', 30_000);

    const jobIds: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const r = await submitter.submitter.submit({
        dedupeKey: `chaos:${i}`,
        requester: { platform: 'test', userKey: `test:c${i % 5}`, userId: `c${i % 5}`, chatId: `chat${i}` },
        file: { kind: 'path', path: EXAMPLE },
      });
      if (r.status !== 'accepted') throw new Error(`submit ${i}: ${r.status}`);
      jobIds.push(r.jobId);
    }

    const probe = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    probe.on('error', () => {});
    const eventsOf = async (id: string) =>
      (await probe.lrange(testEventsKey(PREFIX, id), 0, -1)).map((e) => JSON.parse(e) as TestEvent);
    const finishedCount = async () => {
      let n = 0;
      for (const id of jobIds) if ((await eventsOf(id)).some((e) => e.type === 'video' || e.type === 'fail')) n++;
      return n;
    };

    const actions = { workerKills: 0, redisRestarts: 0, webRestarts: 0, sigterms: 0, readyzDownSeen: 0 };
    /** Faults that struck while some job was still unfinished. */
    let faultsMidRun = 0;
    const deadline = Date.now() + 150_000;
    let finished = 0;
    // Every kind of fault happens at least once (in a seeded order), then faults at random until
    // every job is done. The first ones run even if the jobs are done by then, so the assertions
    // below on each kind hold for every seed.
    const firsts = [0.1, 0.6, 0.75, 0.85].sort(() => rand() - 0.5);
    while (((finished = await finishedCount().catch(() => finished)) < JOBS || firsts.length > 0) && Date.now() < deadline) {
      // A random pause between faults (the schedule), not a wait for something to happen.
      await new Promise((r) => setTimeout(r, 1000 + rand() * 2500));
      if (finished < JOBS) faultsMidRun++;
      const roll = firsts.shift() ?? rand();
      if (roll < 0.55) {
        // kill -9 a worker at whatever it is doing, then start a new one.
        const i = Math.floor(rand() * WORKERS);
        workers[i]?.kill('SIGKILL');
        await workers[i]?.exited;
        workers[i] = startWorker(i);
        await workers[i]!.ready;
        actions.workerKills++;
      } else if (roll < 0.7) {
        // Redis goes away for a moment (AOF on); /readyz must say not ready meanwhile.
        await redisServer.stop();
        const sawDown = await waitFor(async () => !(await ready(webPort)), '/readyz to report Redis down', 10_000).catch(
          () => false,
        );
        if (sawDown) actions.readyzDownSeen++;
        redisServer = await startRedis();
        actions.redisRestarts++;
      } else if (roll < 0.8) {
        web.kill('SIGKILL');
        await web.exited;
        web = startWeb();
        await web.ready;
        actions.webRestarts++;
      } else if (roll < 0.9) {
        // A graceful stop: exit 0 within 25 s, and the work is handed back.
        const i = Math.floor(rand() * WORKERS);
        const w = workers[i]!;
        const t0 = Date.now();
        w.kill('SIGTERM');
        const code = await w.exited;
        expect(code).toBe(0);
        expect(Date.now() - t0).toBeLessThan(25_000);
        workers[i] = startWorker(i);
        await workers[i]!.ready;
        actions.sigterms++;
      }
    }
    await waitFor(async () => (await finishedCount().catch(() => 0)) === JOBS, 'all jobs to finish', 60_000);

    let delivered = 0;
    let duplicates = 0;
    let failures = 0;
    const failedWith: string[] = [];
    for (const id of jobIds) {
      const ev = await eventsOf(id);
      const videos = ev.filter((e) => e.type === 'video').length;
      if (videos >= 1) delivered++;
      duplicates += Math.max(0, videos - 1);
      for (const e of ev) if (e.type === 'fail') failedWith.push(`${id}: ${e.code} ${e.message}`);
      failures += ev.filter((e) => e.type === 'fail').length;
    }
    const createsPerJob = new Map<string, number>();
    for (const c of did.creates) {
      const id = String(c.body.user_data);
      createsPerJob.set(id, (createsPerJob.get(id) ?? 0) + 1);
    }
    probe.disconnect();

    const figures = {
      jobs: JOBS,
      seed: SEED,
      delivered,
      duplicates,
      failures,
      didCreates: did.creates.length,
      llmRequests: openrouter.requests.length,
      faultsMidRun,
      ...actions,
      ...(failedWith.length ? { failedWith } : {}),
    };
    console.log(`chaos figures: ${JSON.stringify(figures)}`);
    expect(failures).toBe(0);
    expect(delivered).toBe(JOBS);
    expect(duplicates).toBe(0);
    expect(did.creates).toHaveLength(JOBS);
    expect([...createsPerJob.values()].every((n) => n === 1)).toBe(true);
    // The faults this test claims, each seen in this run; /readyz said "not ready" every time Redis was down.
    expect(actions.workerKills).toBeGreaterThan(0);
    expect(actions.redisRestarts).toBeGreaterThan(0);
    expect(actions.webRestarts).toBeGreaterThan(0);
    expect(actions.sigterms).toBeGreaterThan(0);
    expect(actions.readyzDownSeen).toBe(actions.redisRestarts);
    expect(faultsMidRun).toBeGreaterThan(0);
  }, 240_000);
});
