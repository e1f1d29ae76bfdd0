// The job the admission script adds (BullMQ's own addStandardJob, run inside it) against real
// Redis: byte for byte what Queue.add writes, taken and finished by a real BullMQ Worker, with
// the remembered choices merged by the same rule as rememberedFrom(), and nothing written for a
// refused request. These fail when a BullMQ upgrade changes how a job is added.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject } from 'vitest';
import { Admission } from '../../../src/limits/admission.js';
import { prepareVideoJob } from '../../../src/queue/prepared-job.js';
import { createVideoQueue, videoJobOptions, type VideoQueue } from '../../../src/queue/video-queue.js';
import { rememberedFrom } from '../../../src/jobs/preferences.js';
import { redisKeys } from '../../../src/redis/keys.js';
import type { JobOptions, VideoJobData } from '../../../pipeline/job.js';

let redis: Redis;
const closing: { close(): Promise<unknown> }[] = [];
beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
});
afterEach(async () => {
  await Promise.all(closing.splice(0).map((c) => c.close()));
});
afterAll(() => redis.disconnect());

function setup(maxQueuedJobs = 100) {
  const prefix = `tp${randomBytes(4).toString('hex')}`;
  const queue = createVideoQueue(redis, prefix);
  closing.push(queue);
  const admission = new Admission(redis, prefix, { rateMax: 1000, rateWindowSeconds: 600, maxQueuedJobs });
  return { prefix, queue, admission };
}

const base = (n: number): Omit<VideoJobData, 'options'> => ({
  requester: { platform: 'telegram', userKey: `tg:${n}`, userId: String(n), chatId: String(n) },
  // A file name that spells the placeholder's neighbourhood must stay data, not structure.
  file: { kind: 'telegram', fileId: `f${n}`, name: '"options":"x"}.pdf' },
  checkpoint: {},
  chat: {},
  createdAt: 1_800_000_000_000 + n,
});

async function admitWith(
  s: ReturnType<typeof setup>,
  n: number,
  options: JobOptions,
  withRemembered = false,
  timestamp = 1_800_000_000_000,
) {
  const jobId = `job${n}`;
  const job = await prepareVideoJob(s.queue, 'video', base(n), options, { ...videoJobOptions(1800), jobId, timestamp });
  return s.admission.admit({ jobId, dedupeKey: `d${n}`, userKey: `tg:${n}`, platform: 'telegram', withRemembered, job });
}

/** A job's hash and where the queue lists it, as Redis holds them. */
async function stored(queue: VideoQueue, jobId: string) {
  const hash = await redis.hgetall(queue.toKey(jobId));
  const events = await redis.xrange(queue.keys.events!, '-', '+');
  return {
    hash: { ...hash, data: JSON.parse(hash.data ?? 'null') as unknown },
    waiting: await redis.lrange(queue.keys.wait!, 0, -1),
    marker: await redis.zrange(queue.keys.marker!, 0, -1),
    events: events.map(([, fields]: [string, string[]]) => fields),
  };
}

describe('a job added inside the admission script', () => {
  it('is what Queue.add writes: the same hash, wait list, marker and events', async () => {
    const viaScript = setup();
    const viaAdd = setup();
    const options: JobOptions = { language: 'ar', captions: false };
    expect(await admitWith(viaScript, 1, options)).toMatchObject({ status: 'accepted', jobId: 'job1', position: 1 });
    await viaAdd.queue.add(
      'video',
      { ...base(1), options },
      { ...videoJobOptions(1800), jobId: 'job1', timestamp: 1_800_000_000_000 },
    );

    const a = await stored(viaScript.queue, 'job1');
    const b = await stored(viaAdd.queue, 'job1');
    expect(a.hash.data).toEqual({ ...base(1), options });
    expect(a).toEqual(b);
    expect(a.waiting).toEqual(['job1']);
  });

  it('is taken and finished by a real Worker, with the data the request gave', async () => {
    const s = setup();
    await admitWith(s, 2, { layout: 'presenter' });
    const seen: VideoJobData[] = [];
    const done = new Promise<void>((resolve) => {
      const worker = new Worker<VideoJobData>(
        s.queue.name,
        async (job) => {
          seen.push(job.data);
          return {};
        },
        { connection: redis.duplicate(), prefix: s.prefix },
      );
      closing.push(worker);
      worker.on('completed', () => resolve());
    });
    await done;
    expect(seen).toEqual([{ ...base(2), options: { layout: 'presenter' } }]);
    expect(await s.queue.getJobState('job2')).toBe('completed');
  });

  it('merges the remembered choices under the request’s own, by the rule rememberedFrom() states', async () => {
    const s = setup();
    const remembered: Record<string, string>[] = [
      {},
      { avatar: 'friendly' },
      { avatar: 'nobody', layout: 'presenter', captions: 'off' },
      { captions: 'on', layout: 'old' },
    ];
    const own: JobOptions[] = [
      {},
      { avatarStyle: 'professional' },
      { captions: true, language: 'fr' },
      { layout: 'slides', avatarStyle: 'friendly' },
    ];
    let n = 100;
    for (const h of remembered) {
      for (const options of own) {
        n += 1;
        const key = redisKeys(s.prefix).preferences(`tg:${n}`);
        if (Object.keys(h).length) await redis.hset(key, h);
        const r = await admitWith(s, n, options, true);
        expect(r.status).toBe('accepted');
        const job = await s.queue.getJob(`job${n}`);
        expect(job?.data.options, JSON.stringify({ h, options })).toEqual({ ...rememberedFrom(h), ...options });
      }
    }
  });

  it('is not written when the request is refused', async () => {
    const s = setup(1);
    expect((await admitWith(s, 3, {})).status).toBe('accepted');
    expect((await admitWith(s, 4, {})).status).toBe('busy');
    expect(await s.queue.getJob('job4')).toBeUndefined();
    expect(await s.queue.count()).toBe(1);
  });
});
