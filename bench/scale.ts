// Scale, proven (issue 16): many jobs whose renders take a minute each, through a couple of real
// worker processes. The fake D-ID (tests/fakes/did.ts) takes SCALE_RENDER_SECONDS per render and
// calls our webhook when done; its videos are the 2 s sample MP4, so compositing stays small and
// the run measures the queue. A web side (the test harness: services, HTTP server with the D-ID
// webhook route) submits the jobs from SCALE_USERS users; SCALE_WORKERS worker processes
// (tests/helpers/worker-process.ts: src/main/worker.ts plus the test adapter, which records each
// delivery in Redis) run them. The intake ceiling, the rate limit and the budget are set out of
// the way. Checked and reported:
//   - every render is created within SCALE_CREATE_WITHIN_SECONDS (60) of its job's admission,
//     and renders in flight go far above the workers' total concurrency (parked jobs hold no slot);
//   - every video is delivered exactly once (deliveries counted per job), D-ID creates = jobs;
//   - Redis memory per parked job (INFO used_memory over the baseline, at the most parked);
//   - each worker's peak RSS (VmHWM from /proc/<pid>/status).
// Run: npm run bench:scale   (knobs: SCALE_JOBS=500 SCALE_USERS=250 SCALE_RENDER_SECONDS=60
//      SCALE_WORKERS=2 SCALE_CONCURRENCY=4 SCALE_ARRIVAL_SECONDS=0 SCALE_LAYOUT=slides)
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer } from '../src/redis/embedded.js';
import { startFakeOpenRouter } from '../tests/fakes/openrouter.js';
import { startFakeDid } from '../tests/fakes/did.js';
import { startHarness } from '../tests/helpers/harness.js';
import { startWorkerProcess, type ProcessHandle } from '../tests/helpers/processes.js';
import { testEventsKey, type TestEvent } from '../tests/helpers/test-adapter.js';

const num = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number >= 0`);
  return v;
};
const JOBS = num('SCALE_JOBS', 500);
const USERS = Math.max(1, num('SCALE_USERS', 250));
const RENDER_SECONDS = num('SCALE_RENDER_SECONDS', 60);
const WORKERS = Math.max(1, num('SCALE_WORKERS', 2));
const CONCURRENCY = Math.max(1, num('SCALE_CONCURRENCY', 4));
const ARRIVAL_SECONDS = num('SCALE_ARRIVAL_SECONDS', 0);
const CREATE_WITHIN_MS = num('SCALE_CREATE_WITHIN_SECONDS', 60) * 1000;
const LAYOUT = process.env.SCALE_LAYOUT ?? 'slides';
const EXAMPLE = path.resolve(import.meta.dirname, '../examples/the-water-cycle.pdf');

const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const log = (s: string) => console.log(`[${since()}] ${s}`);

const redisServer = process.env.REDIS_URL ? undefined : await startRedisServer({ dir: '.data/bench-redis' });
const redisUrl = process.env.REDIS_URL ?? redisServer!.url;
const openrouter = await startFakeOpenRouter();
// Two stages (created -> started -> done), each half the render time.
const did = await startFakeDid({ stageMs: (RENDER_SECONDS * 1000) / 2, webhooks: true, credits: JOBS + 10 });
const env = {
  OPENROUTER_API_KEY: openrouter.apiKey,
  OPENROUTER_BASE_URL: openrouter.url,
  DID_API_KEY: did.apiKey,
  DID_BASE_URL: did.url,
  DID_WEBHOOK_SECRET: 'scale-bench-webhook-secret',
  DID_RENDER_DEADLINE_SECONDS: '3600',
  // Out of the way for the run: the intake ceiling, the per-user rate window, the spend caps.
  MAX_QUEUED_JOBS: String(Math.max(1000, JOBS * 2)),
  RATE_LIMIT_MAX: '10000',
  DAILY_BUDGET_USD: 'off',
  VIDEO_LAYOUT: LAYOUT,
  LOG_LEVEL: 'warn',
};
const h = await startHarness({ redisUrl, publicUrl: true, env, worker: false });
const workers: ProcessHandle[] = [];
for (let i = 0; i < WORKERS; i++) {
  workers.push(
    startWorkerProcess(
      {
        ...env,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: h.prefix,
        DATA_DIR: path.join(h.dataDir, `w${i}`),
        PUBLIC_URL: h.config.publicUrl!,
        WORKER_CONCURRENCY: String(CONCURRENCY),
        // The start line ("worker_started") is an info line: the processes' ready signal.
        LOG_LEVEL: 'info',
      },
      path.join(h.dataDir, `worker${i}.log`),
    ),
  );
}
await Promise.race([
  Promise.all(workers.map((w) => w.ready)),
  ...workers.map((w) => w.exited.then((c) => Promise.reject(new Error(`a worker exited at start (${c})`)))),
  new Promise((_, reject) => setTimeout(() => reject(new Error('workers not ready after 120 s')), 120_000).unref()),
]);
log(
  `${WORKERS} workers ready (concurrency ${CONCURRENCY} each); ${JOBS} jobs from ${USERS} users, renders take ${RENDER_SECONDS} s`,
);

const redis = h.services.redis;
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
const baselineMemory = await usedMemory();

// Sample once a second: Redis memory, parked / active jobs, renders in flight at the fake D-ID.
interface Sample {
  at: number;
  used: number;
  parked: number;
  /** In the wait list: promoted by the webhook or a poll timer, or new, until a worker takes them. */
  waiting: number;
  active: number;
  inFlight: number;
}
const samples: Sample[] = [];
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    const counts = await h.services.queue.getJobCounts('delayed', 'active', 'wait', 'prioritized');
    let inFlight = 0;
    for (const v of did.videos.values()) if (v.status === 'created' || v.status === 'started') inFlight++;
    samples.push({
      at: Date.now(),
      used: await usedMemory(),
      parked: counts.delayed ?? 0,
      waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      inFlight,
    });
    await new Promise((r) => setTimeout(r, 1000));
  }
})();

// Submit: job i belongs to user i % USERS, spread evenly over ARRIVAL_SECONDS (0: all at once).
const admittedAt = new Map<string, number>();
let refused = 0;
const submissions: Promise<void>[] = [];
const submitStart = Date.now();
for (let i = 0; i < JOBS; i++) {
  const due = submitStart + (ARRIVAL_SECONDS * 1000 * i) / JOBS;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  const u = i % USERS;
  submissions.push(
    h.services.submitter
      .submit({
        dedupeKey: `scale:${i}`,
        requester: { platform: 'test', userKey: `test:u${u}`, userId: `u${u}`, chatId: `c${u}` },
        file: { kind: 'path', path: EXAMPLE },
      })
      .then((r) => {
        if (r.status === 'accepted') admittedAt.set(r.jobId, Date.now());
        else refused++;
      }),
  );
}
await Promise.all(submissions);
log(`admitted ${admittedAt.size}, refused ${refused} (in ${((Date.now() - submitStart) / 1000).toFixed(1)} s)`);

// Wait until every job has delivered or failed (the test adapter's events in Redis).
const eventsOf = async (jobId: string) =>
  (await redis.lrange(testEventsKey(h.prefix, jobId), 0, -1)).map((e) => JSON.parse(e) as TestEvent);
const pending = new Set(admittedAt.keys());
const finishedAt = new Map<string, number>();
let lastReport = 0;
const deadline = Date.now() + (RENDER_SECONDS * 1000 + 60_000) * 10 + JOBS * 2000;
while (pending.size > 0) {
  for (const id of [...pending]) {
    const ev = await eventsOf(id);
    const end = ev.find((e) => e.type === 'video' || e.type === 'fail');
    if (end) {
      pending.delete(id);
      finishedAt.set(id, end.at);
    }
  }
  if (Date.now() - lastReport > 15_000) {
    lastReport = Date.now();
    const s = samples.at(-1);
    log(
      `finished ${finishedAt.size}/${admittedAt.size}; D-ID creates ${did.creates.length}, in flight ${s?.inFlight}, parked ${s?.parked}, queued ${s?.waiting}, active ${s?.active}`,
    );
  }
  if (Date.now() > deadline) throw new Error(`gave up: ${pending.size} jobs unfinished`);
  if (pending.size > 0) await new Promise((r) => setTimeout(r, 2000));
}
// Let a late duplicate delivery (if any) show up before counting.
await new Promise((r) => setTimeout(r, 3000));
sampling = false;
await sampler;
const finalMemory = await usedMemory();

// Peak RSS of each worker process (the Node process itself; its ffmpeg / parser children are apart).
const peakRss = await Promise.all(
  workers.map(async (w) => {
    const status = await readFile(`/proc/${w.child.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
  }),
);

// ---- what happened --------------------------------------------------------------------------
const deliveries = new Map<string, number>();
const failures: string[] = [];
const perWorker = new Map<number, number>();
for (const id of admittedAt.keys()) {
  const ev = await eventsOf(id);
  const videos = ev.filter((e) => e.type === 'video');
  deliveries.set(id, videos.length);
  for (const v of videos) perWorker.set(v.pid, (perWorker.get(v.pid) ?? 0) + 1);
  for (const f of ev) if (f.type === 'fail') failures.push(`${id}: ${f.code} ${f.message}`);
}
const createdAt = new Map<string, number>();
const createsPerJob = new Map<string, number>();
for (const c of did.creates) {
  const jobId = String(c.body.user_data);
  createsPerJob.set(jobId, (createsPerJob.get(jobId) ?? 0) + 1);
  if (!createdAt.has(jobId)) createdAt.set(jobId, Date.parse(did.videos.get(c.id)!.createdAt));
}
const createDelays = [...admittedAt].map(([id, at]) => (createdAt.get(id) ?? Infinity) - at).sort((a, b) => a - b);
const endToEnd = [...admittedAt].map(([id, at]) => (finishedAt.get(id) ?? Infinity) - at).sort((a, b) => a - b);
const pct = (a: number[], p: number) => a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))]!;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
// Jobs held in Redis without a worker slot: parked (delayed) plus queued (wait list).
const idle = (s: Sample) => s.parked + s.waiting;
const peakParked = samples.reduce((best, s) => (idle(s) > idle(best) ? s : best), samples[0]!);
const peakInFlight = Math.max(...samples.map((s) => s.inFlight));
const peakActive = Math.max(...samples.map((s) => s.active));
const memPerParked = idle(peakParked) > 0 ? (peakParked.used - baselineMemory) / idle(peakParked) : NaN;
const exactlyOnce = [...deliveries.values()].filter((n) => n === 1).length;
const duplicated = [...deliveries.values()].filter((n) => n > 1).length;
const missing = [...deliveries.values()].filter((n) => n === 0).length;
const lateCreates = createDelays.filter((d) => d > CREATE_WITHIN_MS).length;
const doubleCreates = [...createsPerJob.values()].filter((n) => n > 1).length;

const checks: Array<[string, boolean]> = [
  [`all ${JOBS} jobs admitted`, admittedAt.size === JOBS],
  [`every render created within ${CREATE_WITHIN_MS / 1000} s of admission (late: ${lateCreates})`, lateCreates === 0],
  [
    `renders in flight above the workers' total concurrency (${peakInFlight} > ${WORKERS * CONCURRENCY})`,
    peakInFlight > WORKERS * CONCURRENCY,
  ],
  [`active jobs never above the workers' total concurrency (peak ${peakActive})`, peakActive <= WORKERS * CONCURRENCY],
  [`every video delivered exactly once (${exactlyOnce}; twice+: ${duplicated}; none: ${missing})`, exactlyOnce === JOBS],
  [`no job failed (${failures.length})`, failures.length === 0],
  [
    `D-ID creates = jobs (${did.creates.length}; jobs created twice: ${doubleCreates})`,
    did.creates.length === JOBS && doubleCreates === 0,
  ],
];

const cpu = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}`;
console.log(
  `\n${JOBS} jobs, ${USERS} users, ${WORKERS} workers x concurrency ${CONCURRENCY}, renders ${RENDER_SECONDS} s, ` +
    `arrivals over ${ARRIVAL_SECONDS} s, layout ${LAYOUT}; Node ${process.version}; ${cpu}; ` +
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; run took ${since()}\n`,
);
console.log('| measure | value |');
console.log('|---|---|');
console.log(
  `| admission -> D-ID create, p50 / p99 / max | ${sec(pct(createDelays, 50))} / ${sec(pct(createDelays, 99))} / ${sec(createDelays.at(-1)!)} |`,
);
console.log(
  `| admission -> delivered, p50 / p99 / max | ${sec(pct(endToEnd, 50))} / ${sec(pct(endToEnd, 99))} / ${sec(endToEnd.at(-1)!)} |`,
);
console.log(`| renders in flight at D-ID, peak | ${peakInFlight} (workers' total concurrency ${WORKERS * CONCURRENCY}) |`);
console.log(`| jobs active (holding a worker slot), peak | ${peakActive} |`);
console.log(`| jobs parked (delayed) + queued (wait), at their peak | ${peakParked.parked} + ${peakParked.waiting} |`);
console.log(`| deliveries per job | exactly 1: ${exactlyOnce}, 2+: ${duplicated}, 0: ${missing} |`);
console.log(`| D-ID creates | ${did.creates.length} |`);
console.log(
  `| Redis used_memory: baseline / at peak parked / end | ${(baselineMemory / 1048576).toFixed(1)} / ${(peakParked.used / 1048576).toFixed(1)} / ${(finalMemory / 1048576).toFixed(1)} MiB |`,
);
console.log(
  `| Redis memory per job held without a slot (used_memory delta / (parked + queued), at their peak) | ${(memPerParked / 1024).toFixed(1)} KiB |`,
);
console.log(`| worker peak RSS (VmHWM) | ${peakRss.map((m) => `${m.toFixed(0)} MiB`).join(', ')} |`);
console.log(`| videos delivered per worker | ${[...perWorker.values()].join(', ')} |`);
console.log('');
for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
if (failures.length) console.log(`\nfailures (first 5):\n${failures.slice(0, 5).join('\n')}`);
if (!checks.every(([, ok]) => ok)) {
  for (let i = 0; i < WORKERS; i++) {
    const text = await readFile(path.join(h.dataDir, `worker${i}.log`), 'utf8').catch(() => '');
    console.log(`\nworker ${i} log (last 20 lines):\n${text.trim().split('\n').slice(-20).join('\n')}`);
  }
}

for (const w of workers) w.kill('SIGTERM');
await Promise.all(workers.map((w) => w.exited));
await h.close();
await openrouter.close();
await did.close();
await redisServer?.stop();
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
