// /metrics after end-to-end jobs: the web side and the worker side are two separate "processes"
// (two registries with their own `process` label, as in production), so the worker's counts can
// only reach the web's /metrics through the snapshots it pushes to Redis.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Registry, Counter } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeOpenRouter, type FakeOpenRouter } from '../fakes/openrouter.js';
import { startFakeDid, type FakeDid } from '../fakes/did.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { createTestAdapter } from '../helpers/test-adapter.js';
import { createOps, type Ops } from '../../src/ops/wiring.js';
import { LogEventTap } from '../../src/ops/log-events.js';
import { MetricsSnapshots, RenderTracker, createOpsMetrics, renderMetrics } from '../../src/ops/metrics.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/the-water-cycle.pdf');

/** The value of the first sample named `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) got[lm[1]!] = lm[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics after end-to-end jobs', () => {
  let h: Harness | undefined;
  let workerOps: Ops | undefined;
  let openrouter: FakeOpenRouter | undefined;
  let did: FakeDid | undefined;
  afterEach(async () => {
    await h?.close();
    await workerOps?.close();
    await openrouter?.close();
    await did?.close();
    h = workerOps = openrouter = did = undefined;
  });

  it("shows the jobs' counts, including those counted in the worker", async () => {
    openrouter = await startFakeOpenRouter();
    did = await startFakeDid({ stageMs: 100, webhooks: true });
    let adapter!: ReturnType<typeof createTestAdapter>;
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      publicUrl: true,
      env: {
        OPENROUTER_API_KEY: openrouter.apiKey,
        OPENROUTER_BASE_URL: openrouter.url,
        DID_API_KEY: did.apiKey,
        DID_BASE_URL: did.url,
        DID_WEBHOOK_SECRET: 'webhook-secret-for-tests',
        DID_PRICE_PER_MINUTE: '0.5',
        RATE_LIMIT_MAX: '1',
        METRICS_TOKEN: 'metrics-token-for-tests',
      },
      // The harness's own ops play the web process; the worker gets its own below.
      ops: { role: 'web', instance: 'web-test' },
      worker: false,
      adapters: (s) => {
        adapter = createTestAdapter({ redis: s.redis, prefix: s.queue.opts.prefix! });
        return { test: adapter };
      },
    });
    workerOps = createOps(h.services, {
      role: 'worker',
      instance: 'worker-test',
      logTap: h.logTap,
      pushEveryMs: 100,
      defaultMetrics: false,
    });
    workerOps.start();
    h.startWorker(workerOps.workerOptions());

    const submit = (n: number, user: string, file: string) =>
      h!.services.submitter.submit({
        dedupeKey: `metrics:${n}`,
        requester: { platform: 'test', userKey: user, userId: user, chatId: 'chat' },
        file: { kind: 'path', path: file },
      });
    const good = await submit(1, 'alice', EXAMPLE);
    const bad = await submit(2, 'bob', import.meta.filename); // not a PDF
    const limited = await submit(3, 'alice', EXAMPLE); // alice's second within the window
    expect(good.status).toBe('accepted');
    expect(bad.status).toBe('accepted');
    expect(limited.status).toBe('limited');

    const scrape = async () => {
      const res = await fetch(`${h!.baseUrl}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-tests' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return res.text();
    };
    const text = await waitFor(async () => {
      const t = await scrape();
      const done = sample(t, 'doc2video_jobs_total', { outcome: 'completed', process: 'worker-test' });
      const failed = sample(t, 'doc2video_jobs_total', { outcome: 'failed', process: 'worker-test' });
      // The worker counts a job as it settles it; BullMQ moves it to completed/failed just after.
      const moved =
        sample(t, 'doc2video_queue_jobs', { state: 'completed', process: 'web-test' }) === 1 &&
        sample(t, 'doc2video_queue_jobs', { state: 'failed', process: 'web-test' }) === 1;
      return done === 1 && failed === 1 && moved ? t : undefined;
    }, 'the worker counts and the queue states to reach /metrics');

    const w = { process: 'worker-test' };
    const web = { process: 'web-test' };
    expect(sample(text, 'doc2video_jobs_total', { outcome: 'completed', code: 'none', ...w })).toBe(1);
    expect(sample(text, 'doc2video_jobs_total', { outcome: 'failed', code: 'NOT_A_PDF', ...w })).toBe(1);
    // Provider calls counted from the worker's log events.
    expect(sample(text, 'doc2video_llm_requests_total', w)).toBe(openrouter.requests.length);
    expect(openrouter.requests.length).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'doc2video_did_requests_total', { op: 'create', ...w })).toBe(1);
    expect(sample(text, 'doc2video_did_requests_total', { op: 'status', ...w })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'doc2video_did_requests_total', { op: 'download', ...w })).toBe(1);
    // Step durations as histograms.
    for (const step of ['script', 'render', 'deliver']) {
      expect(sample(text, 'doc2video_step_duration_seconds_count', { step, ...w })).toBe(1);
    }
    expect(sample(text, 'doc2video_step_duration_seconds_bucket', { step: 'script', le: '+Inf', ...w })).toBe(1);
    // Costs.
    expect(sample(text, 'doc2video_cost_usd_total', { kind: 'llm', ...w })).toBeGreaterThan(0);
    expect(sample(text, 'doc2video_cost_usd_total', { kind: 'video', ...w })).toBeGreaterThan(0);
    // The web process's own: queue depth, renders in flight, the rate-limit refusal.
    expect(sample(text, 'doc2video_queue_jobs', { state: 'completed', ...web })).toBe(1);
    expect(sample(text, 'doc2video_queue_jobs', { state: 'failed', ...web })).toBe(1);
    expect(sample(text, 'doc2video_queue_jobs', { state: 'waiting', ...web })).toBe(0);
    expect(sample(text, 'doc2video_renders_in_flight', web)).toBe(0);
    expect(sample(text, 'doc2video_limit_rejections_total', { limit: 'rate', at: 'submit', ...web })).toBe(1);
    // One family per metric name, even with two processes in it.
    expect(text.match(/^# TYPE doc2video_jobs_total counter$/gm)).toHaveLength(1);

    // The web process itself never counted a job: that number came through Redis.
    const webJobs = await h.ops!.metrics.registry.getSingleMetric('doc2video_jobs_total')!.get();
    expect(webJobs.values).toEqual([]);
    expect(sample(text, 'doc2video_jobs_total', web)).toBeUndefined();
  });
});

describe('metrics plumbing', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis.disconnect());
  const prefix = () => `t${randomBytes(5).toString('hex')}`;

  it('merges live snapshots of other processes and forgets expired ones', async () => {
    const p = prefix();
    const snapshots = new MetricsSnapshots(redis, p);
    const mk = (instance: string) => {
      const registry = new Registry();
      registry.setDefaultLabels({ process: instance });
      const c = new Counter({ name: 'x_total', help: 'x', registers: [registry] });
      return { registry, c, instance };
    };
    const a = mk('a');
    const b = mk('b');
    a.c.inc(2);
    b.c.inc(5);
    await snapshots.push('a', a.registry, 60_000);
    await snapshots.push('b', b.registry, 1); // lapses at once
    await new Promise((r) => setTimeout(r, 5));
    const read = await snapshots.read('self');
    expect(read).toHaveLength(1);
    expect(read[0]![0]!.values).toEqual([{ value: 2, labels: { process: 'a' } }]);
    expect(await snapshots.read('a')).toEqual([]);

    // The reader's own registry is served live, not from its own (stale) snapshot.
    const me = createOpsMetrics({ role: 'web', instance: 'a', defaultMetrics: false });
    me.limitRejected('rate', 'submit');
    const { body } = await renderMetrics(me, snapshots);
    expect(body).not.toMatch(/^x_total/m);
    expect(body).toMatch(/^doc2video_limit_rejections_total\{limit="rate",at="submit",process="a"\} 1$/m);
  });

  it('counts renders in flight until they end, and forgets stale ones', async () => {
    const tracker = new RenderTracker(redis, prefix(), 60_000);
    await tracker.touch('j1');
    await tracker.touch('j2');
    await tracker.touch('j1');
    expect(await tracker.count()).toBe(2);
    await tracker.done('j1');
    expect(await tracker.count()).toBe(1);
    const stale = new RenderTracker(redis, prefix(), 0);
    await stale.touch('old');
    await new Promise((r) => setTimeout(r, 5));
    expect(await stale.count()).toBe(0);
  });

  it('counts provider calls and errors from log events, each in its own kind of process', () => {
    const tap = new LogEventTap();
    const worker = createOpsMetrics({ role: 'worker', instance: 'w', defaultMetrics: false });
    const web = createOpsMetrics({ role: 'web', instance: 'web', defaultMetrics: false });
    worker.attachLogTap(tap);
    web.attachLogTap(tap);
    const line = (o: Record<string, unknown>) => `${JSON.stringify({ level: 'info', ...o })}\n`;
    tap.write(line({ event: 'llm_request' }) + line({ event: 'llm_error', status: 429 }) + line({ event: 'llm_error' }));
    tap.write(line({ event: 'did_error', op: 'status' }));
    tap.write(line({ event: 'rate_limited' }));
    tap.write('not json at all\n');
    const get = async (m: ReturnType<typeof createOpsMetrics>, name: string) =>
      (await m.registry.getSingleMetric(name)!.get()).values.map((v) => [v.labels, v.value]);
    return Promise.all([
      expect(get(worker, 'doc2video_llm_requests_total')).resolves.toEqual([[{}, 1]]),
      expect(get(worker, 'doc2video_llm_errors_total')).resolves.toEqual([
        [{ status: '429' }, 1],
        [{ status: 'network' }, 1],
      ]),
      expect(get(worker, 'doc2video_did_errors_total')).resolves.toEqual([[{ op: 'status' }, 1]]),
      expect(get(worker, 'doc2video_limit_rejections_total')).resolves.toEqual([]),
      expect(get(web, 'doc2video_limit_rejections_total')).resolves.toEqual([[{ limit: 'rate', at: 'submit' }, 1]]),
      expect(get(web, 'doc2video_llm_requests_total')).resolves.toEqual([[{}, 0]]),
    ]);
  });
});
