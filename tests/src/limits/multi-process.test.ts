// The per-user limits under load: several real worker processes, many users sending bursts.
// What is checked is observed from outside the limiter: when each job started its paid steps
// and when its video arrived, as the test adapter recorded them.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeOpenRouter, type FakeOpenRouter } from '../../fakes/openrouter.js';
import { startFakeDid, type FakeDid } from '../../fakes/did.js';
import { startHarness, waitFor, type Harness } from '../../helpers/harness.js';
import { startWorkerProcess, type ProcessHandle } from '../../helpers/processes.js';
import { testEventsKey, type TestEvent } from '../../helpers/test-adapter.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../../examples/the-water-cycle.pdf');
const USERS = 6;
const BURST = 7; // each user sends 7 at once; 5 may pass
// The limits are under test, not the explainer: the cheapest video (no page images, no captions),
// and room for 30 composites on a busy 2-core machine.
const OPTIONS = { layout: 'presenter', captions: false } as const;

let h: Harness;
let openrouter: FakeOpenRouter;
let did: FakeDid;
const workers: ProcessHandle[] = [];

beforeAll(async () => {
  openrouter = await startFakeOpenRouter();
  did = await startFakeDid({ stageMs: 250, webhooks: true });
  const env = {
    OPENROUTER_API_KEY: openrouter.apiKey,
    OPENROUTER_BASE_URL: openrouter.url,
    DID_API_KEY: did.apiKey,
    DID_BASE_URL: did.url,
    DID_WEBHOOK_SECRET: 'load-test-webhook-secret',
  };
  h = await startHarness({ redisUrl: inject('redisUrl'), publicUrl: true, env, worker: false });
  for (let i = 0; i < 3; i++) {
    workers.push(
      startWorkerProcess(
        {
          ...env,
          REDIS_URL: inject('redisUrl'),
          REDIS_PREFIX: h.prefix,
          DATA_DIR: path.join(h.dataDir, `w${i}`),
          PUBLIC_URL: h.config.publicUrl!,
          WORKER_CONCURRENCY: '3',
          LOG_LEVEL: 'warn',
          TEST_SLOT_RECHECK_MS: '1000',
        },
        path.join(h.dataDir, `worker${i}.log`),
      ),
    );
  }
}, 60_000);

afterAll(async () => {
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  await h?.close();
  await openrouter?.close();
  await did?.close();
});

describe('limits across 3 worker processes', () => {
  it('accepts exactly 5 per user per window, never runs more than 2 of a user at once, finishes every job', async () => {
    const submissions = [];
    for (let u = 0; u < USERS; u++) {
      for (let n = 0; n < BURST; n++) {
        submissions.push(
          h.services.submitter
            .submit({
              dedupeKey: `load:${u}:${n}`,
              requester: { platform: 'test', userKey: `test:u${u}`, userId: `u${u}`, chatId: `c${u}` },
              file: { kind: 'path', path: EXAMPLE },
              options: OPTIONS,
            })
            .then((r) => ({ user: u, r })),
        );
      }
    }
    // The same burst delivered twice more (platform retries): no extra jobs, no extra counts.
    const outcomes = await Promise.all(submissions);
    const retries = await Promise.all(
      outcomes.map((o, i) =>
        h.services.submitter.submit({
          dedupeKey: `load:${o.user}:${i % BURST}`,
          requester: { platform: 'test', userKey: `test:u${o.user}`, userId: `u${o.user}`, chatId: `c${o.user}` },
          file: { kind: 'path', path: EXAMPLE },
          options: OPTIONS,
        }),
      ),
    );
    expect(retries.filter((r) => r.status === 'accepted')).toHaveLength(0);

    const accepted = new Map<number, string[]>();
    for (const { user, r } of outcomes) if (r.status === 'accepted') accepted.set(user, [...(accepted.get(user) ?? []), r.jobId]);
    for (let u = 0; u < USERS; u++) expect(accepted.get(u), `user ${u}`).toHaveLength(5);
    expect(outcomes.filter((o) => o.r.status === 'limited')).toHaveLength(USERS * (BURST - 5));

    const allJobs = [...accepted.values()].flat();
    const eventsOf = async (jobId: string) =>
      (await h.services.redis.lrange(testEventsKey(h.prefix, jobId), 0, -1)).map((e) => JSON.parse(e) as TestEvent);
    await waitFor(
      async () => {
        for (const id of allJobs) if (!(await eventsOf(id)).some((e) => e.type === 'video' || e.type === 'fail')) return false;
        return true;
      },
      'every accepted job to finish',
      300_000,
    );

    // Exactly one video per job, none failed; the work was spread over several processes.
    const pids = new Set<number>();
    const intervals = new Map<number, Array<[number, number]>>();
    for (const [user, ids] of accepted) {
      for (const id of ids) {
        const ev = await eventsOf(id);
        expect(
          ev.filter((e) => e.type === 'fail'),
          id,
        ).toEqual([]);
        expect(
          ev.filter((e) => e.type === 'video'),
          id,
        ).toHaveLength(1);
        const start = ev.find((e) => e.type === 'progress' && e.step === 'script' && e.phase === 'running')!;
        const end = ev.find((e) => e.type === 'video')!;
        pids.add(end.pid);
        intervals.set(user, [...(intervals.get(user) ?? []), [start.at, end.at]]);
      }
    }
    expect(pids.size).toBeGreaterThan(1);
    // Jobs beyond a user's 2 were told they wait behind the user's running videos.
    let toldWaiting = 0;
    for (const id of allJobs)
      if ((await eventsOf(id)).some((e) => e.type === 'progress' && e.phase === 'waiting-slot')) toldWaiting++;
    expect(toldWaiting).toBeGreaterThan(0);
    expect(did.creates).toHaveLength(USERS * 5);

    // At no moment does a user have more than 2 jobs between "paid steps started" and "delivered".
    let maxOverlap = 0;
    for (const list of intervals.values()) {
      for (const [start] of list) {
        const overlapping = list.filter(([s, e]) => s <= start && start < e).length;
        maxOverlap = Math.max(maxOverlap, overlapping);
      }
    }
    expect(maxOverlap).toBe(2);
  }, 360_000);
});
