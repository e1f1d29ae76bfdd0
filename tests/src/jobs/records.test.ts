import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { JobRecords } from '../../../src/jobs/records.js';
import { Admission } from '../../../src/limits/admission.js';
import type { Platform } from '../../../pipeline/job.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

/** Records are written by admission, in the same step that admits the job. */
function admitted(prefix: string) {
  const admission = new Admission(redis, prefix, { rateMax: 100, rateWindowSeconds: 600, maxQueuedJobs: 100 });
  return (r: { jobId: string; userKey: string; platform: Platform; title?: string }) =>
    admission.admit({ ...r, dedupeKey: r.jobId });
}

describe('JobRecords', () => {
  it('lists only the user’s own jobs, newest first, with state and step', async () => {
    const prefix = `tr${randomBytes(4).toString('hex')}`;
    const records = new JobRecords(redis, prefix, 1800);
    const create = admitted(prefix);
    await create({ jobId: 'a1', userKey: 'tg:1', platform: 'telegram', title: 'First' });
    await new Promise((r) => setTimeout(r, 5));
    await create({ jobId: 'a2', userKey: 'tg:1', platform: 'telegram' });
    await create({ jobId: 'b1', userKey: 'tg:2', platform: 'telegram' });
    await records.update('a2', { state: 'active', step: 'script' });
    const mine = await records.listForUser('tg:1');
    expect(mine.map((r) => r.jobId)).toEqual(['a2', 'a1']);
    expect(mine[0]).toMatchObject({ state: 'active', step: 'script', userKey: 'tg:1' });
    expect(mine[1]).toMatchObject({ state: 'queued', title: 'First' });
    expect((await records.listForUser('tg:2')).map((r) => r.jobId)).toEqual(['b1']);
  });

  it('keeps finished jobs JOB_TTL seconds, then the sweep removes them everywhere', async () => {
    const prefix = `tr${randomBytes(4).toString('hex')}`;
    const records = new JobRecords(redis, prefix, 60);
    const create = admitted(prefix);
    await create({ jobId: 'old', userKey: 'u', platform: 'test' });
    await create({ jobId: 'new', userKey: 'u', platform: 'test' });
    await records.finish('old', 'failed', 'PDF_SCANNED');
    await records.finish('new', 'completed');
    expect(await records.sweep(Date.now())).toBe(0);
    expect((await records.get('old'))?.code).toBe('PDF_SCANNED');
    expect(await redis.ttl(`${prefix}:rec:old`)).toBeGreaterThan(60);
    // 61 s later both are past their TTL.
    expect(await records.sweep(Date.now() + 61_000)).toBe(2);
    expect(await records.get('old')).toBeUndefined();
    expect(await redis.zcard(`${prefix}:user-jobs:u`)).toBe(0);
  });

  it('does not resurrect a swept record on a late update', async () => {
    const records = new JobRecords(redis, `tr${randomBytes(4).toString('hex')}`, 60);
    await records.update('ghost', { state: 'active' });
    expect(await records.get('ghost')).toBeUndefined();
  });
});
