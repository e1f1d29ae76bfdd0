// One job's overhead through doc2video itself: enqueue -> delivered with providers that answer
// instantly, so what remains is our queueing, checkpoints, PDF parsing, progress and delivery.
// Run: npm run bench:pipeline  [-- --jobs 40]   (compiled, as in production: `npm run build` first)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createCoreServices } from '../src/app/services.js';
import { startVideoWorker } from '../src/worker/worker.js';
import { startRedisServer } from '../src/redis/embedded.js';
import { createTestAdapter, type TestEvent } from '../tests/helpers/test-adapter.js';
import type { ScriptWriter, VideoRenderer } from '../pipeline/ports.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '40' } } });
const JOBS = Number(values.jobs);
const EXAMPLE = path.resolve('examples/the-water-cycle.pdf'); // run from the repository root
const MP4 = Buffer.alloc(256 * 1024, 7);
const SCRIPT = Array.from({ length: 30 }, () => 'Water moves from the sea to the sky and back again.').join(' ');

// Instant external providers (stand-ins for OpenRouter and D-ID only).
const writer: ScriptWriter = { name: 'local', write: async () => ({ text: SCRIPT, costUsd: 0 }) };
let n = 0;
const renderer: VideoRenderer = {
  name: 'local',
  create: async () => ({ id: `v${n++}` }),
  findExisting: async () => undefined,
  status: async () => ({ state: 'done', resultUrl: 'mem://video.mp4', durationSeconds: 60 }),
  download: async () => Readable.from([MP4]),
};

const redis = await startRedisServer({ dir: '.data/bench-redis' });
const dataDir = await mkdtemp(path.join(tmpdir(), 'd2v-bench-'));
const config = loadConfig({ REDIS_URL: redis.url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '10000' });
// Keep the step timings the pipeline logs, to split the overhead by step.
const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
    cb();
  },
});
const logger = createLogger({ level: 'info' }, sink);
const services = createCoreServices(config, logger, { role: 'all', redisUrl: redis.url, writer, renderer });
const adapter = createTestAdapter({ redis: services.redis, prefix: config.redisPrefix });
const running = startVideoWorker(services, { test: adapter }, { concurrency: 1 });
await running.worker.waitUntilReady();

async function oneJob(i: number): Promise<number> {
  const t0 = performance.now();
  const r = await services.submitter.submit({
    dedupeKey: `bench:${i}`,
    requester: { platform: 'test', userKey: `bench:${i}`, userId: 'b', chatId: 'b' },
    file: { kind: 'path', path: EXAMPLE },
  });
  if (r.status !== 'accepted') throw new Error(r.status);
  for (;;) {
    const events = (await services.redis.lrange(`${config.redisPrefix}:test-events:${r.jobId}`, 0, -1)).map(
      (e) => JSON.parse(e) as TestEvent,
    );
    if (events.some((e) => e.type === 'video')) return performance.now() - t0;
    if (events.some((e) => e.type === 'fail')) throw new Error(JSON.stringify(events));
    await new Promise((res) => setTimeout(res, 2));
  }
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
await oneJob(-1); // warm-up: loads pdf-parse in the worker thread, JIT
const times: number[] = [];
for (let i = 0; i < JOBS; i++) times.push(await oneJob(i));

const f = (x: number) => `${x.toFixed(0)} ms`;
const parse = lines
  .filter((l) => l.event === 'pdf_extracted')
  .slice(1)
  .map((l) => Number(l.duration_ms));
const rest = times.map((t, i) => t - (parse[i] ?? 0));
console.log(`doc2video pipeline overhead, ${JOBS} sequential jobs, instant providers, concurrency 1`);
console.log(`  enqueue -> delivered: p50 ${f(pct(times, 50))}  p90 ${f(pct(times, 90))}  max ${f(Math.max(...times))}`);
console.log(`  of which PDF parsing (child process): p50 ${f(pct(parse, 50))}`);
console.log(`  everything else (queue, checkpoints, progress, download, delivery): p50 ${f(pct(rest, 50))}`);
console.log(`  node ${process.version}, ${(await import('node:os')).cpus()[0]?.model ?? 'cpu'}`);

await running.close(5_000);
await services.close();
await redis.stop();
await rm(dataDir, { recursive: true, force: true });
