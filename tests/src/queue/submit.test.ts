import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { JobSubmitter } from '../../../src/queue/submit.js';
import { createVideoQueue, jobIdFor, type VideoQueue } from '../../../src/queue/video-queue.js';
import { UserLimits } from '../../../src/limits/limits.js';
import { Admission, type AdmissionSettings } from '../../../src/limits/admission.js';
import { redisKeys } from '../../../src/redis/keys.js';
import { JobRecords } from '../../../src/jobs/records.js';
import { cancelJob, isCancelled } from '../../../src/queue/cancel.js';
import { JobError } from '../../../src/errors.js';
import { captureLogs } from '../../helpers/logs.js';
import { commandsDuring } from '../../helpers/redis-monitor.js';

let redis: Redis;
const queues: VideoQueue[] = [];
beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
});
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
});
afterAll(() => redis.disconnect());

type Deps = ConstructorParameters<typeof JobSubmitter>[0];

function setup(
  opts: { guards?: Deps['guards']; access?: Deps['access']; admission?: Partial<AdmissionSettings>; conn?: Redis } = {},
) {
  const prefix = `ts${randomBytes(4).toString('hex')}`;
  const conn = opts.conn ?? redis;
  const queue = createVideoQueue(conn, prefix);
  queues.push(queue);
  const limits = new UserLimits(conn, prefix, { rateMax: 5, rateWindowSeconds: 600, maxActivePerUser: 2 });
  const admission = new Admission(conn, prefix, { rateMax: 5, rateWindowSeconds: 600, maxQueuedJobs: 100, ...opts.admission });
  const records = new JobRecords(conn, prefix, 1800);
  const { logger, logs } = captureLogs();
  const submitter = new JobSubmitter({
    queue,
    admission,
    logger,
    jobTtlSeconds: 1800,
    ...(opts.guards ? { guards: opts.guards } : {}),
    ...(opts.access ? { access: opts.access } : {}),
  });
  return { prefix, queue, limits, admission, records, submitter, logs };
}

const request = (n: number, user = 'tg:1') => ({
  dedupeKey: `tg:100:${n}`,
  requester: { platform: 'telegram' as const, userKey: user, userId: user, chatId: '100' },
  file: { kind: 'telegram' as const, fileId: `f${n}` },
});

describe('JobSubmitter', () => {
  it('enqueues a durable job with a stable id and tells its place in the queue', async () => {
    const { submitter, queue, records, logs } = setup();
    const a = await submitter.submit(request(1));
    const b = await submitter.submit(request(2));
    expect(a).toEqual({ status: 'accepted', jobId: jobIdFor('tg:100:1'), position: 1 });
    expect(b).toMatchObject({ status: 'accepted', position: 2 });
    const job = await queue.getJob(a.status === 'accepted' ? a.jobId : '');
    expect(job?.data.requester.userKey).toBe('tg:1');
    expect(job?.data.checkpoint).toEqual({});
    expect((await records.get(jobIdFor('tg:100:1')))?.state).toBe('queued');
    expect(logs.events('job_created')).toHaveLength(2);
  });

  it('costs one Redis command for an accepted request: admission and the job in one script', async () => {
    const conn = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    try {
      const { submitter, queue } = setup({ conn });
      await queue.waitUntilReady();
      // The first request loads the script on this connection (EVALSHA, NOSCRIPT, EVAL).
      expect((await submitter.submit(request(1))).status).toBe('accepted');
      let second: Awaited<ReturnType<JobSubmitter['submit']>> | undefined;
      const sent = await commandsDuring(conn, async () => {
        second = await submitter.submit(request(2));
      });
      expect(sent).toEqual(['evalsha']);
      expect(second).toMatchObject({ status: 'accepted', position: 2 });
      expect(await queue.getJob(jobIdFor('tg:100:2'))).toBeTruthy();
    } finally {
      conn.disconnect();
    }
  });

  it('makes one job for a request delivered twice, and counts it once', async () => {
    const { submitter, queue } = setup();
    const first = await submitter.submit(request(7));
    const again = await submitter.submit(request(7));
    expect(again).toEqual({ status: 'duplicate', jobId: first.status === 'accepted' ? first.jobId : '' });
    expect(await queue.count()).toBe(1);
    for (let i = 0; i < 4; i++) expect((await submitter.submit(request(10 + i))).status).toBe('accepted');
    expect((await submitter.submit(request(20))).status).toBe('limited');
  });

  it('finishes an admission that stands without its job (an older version died between the two)', async () => {
    const { submitter, admission, queue } = setup();
    const id = jobIdFor('tg:100:9');
    // Admitted without a job (as versions that added it in a second step left it after a crash).
    await admission.admit({ jobId: id, dedupeKey: 'tg:100:9', userKey: 'tg:1', platform: 'telegram' });
    const r = await submitter.submit(request(9));
    expect(r).toMatchObject({ status: 'accepted', jobId: id });
    expect(await queue.getJob(id)).toBeTruthy();
  });

  it('refuses before admission when a guard says so', async () => {
    const { submitter, queue, limits } = setup({
      guards: [
        async () => {
          throw new JobError('BUDGET_EXCEEDED');
        },
      ],
    });
    await expect(submitter.submit(request(1))).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(await queue.count()).toBe(0);
    expect(await limits.used('tg:1')).toBe(0);
  });
});

describe('JobSubmitter refusals store nothing', () => {
  it('SERVICE_BUSY past MAX_QUEUED_JOBS: no record, no dedupe, no rate entry, no job, no hold', async () => {
    const budget = { dailyUsd: 50, userDailyUsd: undefined, holdUsd: 1.55 };
    const { submitter, queue, records, prefix, logs } = setup({ admission: { maxQueuedJobs: 2, budget } });
    expect((await submitter.submit(request(1, 'tg:1'))).status).toBe('accepted');
    expect((await submitter.submit(request(2, 'tg:2'))).status).toBe('accepted');
    const busy = await submitter.submit(request(3, 'tg:3'));
    expect(busy.status).toBe('busy');
    expect(busy.status === 'busy' && busy.error.userMessage()).toBe(
      'SERVICE_BUSY: The service is busy with many videos right now. Please try again in a few minutes.',
    );
    expect(busy.status === 'busy' && busy.error.userMessage('ar')).toMatch(/^SERVICE_BUSY: الخدمة مشغولة/);
    const k = redisKeys(prefix);
    const id = jobIdFor('tg:100:3');
    expect(await records.get(id)).toBeUndefined();
    expect(await redis.exists(k.dedupe('tg:100:3'), k.rate('tg:3'), k.userJobs('tg:3'))).toBe(0);
    expect(await redis.hkeys(k.ops.reservations)).toHaveLength(2);
    expect(await queue.count()).toBe(2);
    expect(logs.events('service_busy')).toEqual([expect.objectContaining({ queued: 2, userKey: 'tg:3' })]);

    // The redelivered request, once a job has ended, is admitted normally.
    await records.finish(jobIdFor('tg:100:1'), 'completed');
    expect(await submitter.submit(request(3, 'tg:3'))).toMatchObject({ status: 'accepted', jobId: id });
  });

  it('a duplicate holds nothing more than the first delivery', async () => {
    const budget = { dailyUsd: 50, userDailyUsd: undefined, holdUsd: 1.55 };
    const { submitter, prefix, limits } = setup({ admission: { budget } });
    const first = await submitter.submit(request(5));
    for (let i = 0; i < 3; i++)
      expect(await submitter.submit(request(5))).toEqual({ status: 'duplicate', jobId: (first as { jobId: string }).jobId });
    expect(await redis.hgetall(redisKeys(prefix).ops.reservations)).toEqual({
      [jobIdFor('tg:100:5')]: JSON.stringify({ usd: 1.55, user: 'tg:1' }),
    });
    expect(await limits.used('tg:1')).toBe(1);
  });

  it('allow-lists: only listed Telegram users and Slack teams, before anything is counted', async () => {
    const { submitter, limits, queue } = setup({ access: { telegramUsers: ['42'], slackTeams: ['T0OK'] } });
    const stranger = await submitter.submit(request(1, 'tg:7'));
    expect(stranger.status).toBe('refused');
    expect(stranger.status === 'refused' && stranger.error.code).toBe('NOT_ALLOWED');
    expect(await limits.used('tg:7')).toBe(0);
    const listed = { ...request(2, 'tg:42'), requester: { ...request(2, 'tg:42').requester, userId: '42' } };
    expect((await submitter.submit(listed)).status).toBe('accepted');
    const slack = (team: string, n: number) => ({
      dedupeKey: `slack:${team}:F${n}`,
      requester: { platform: 'slack' as const, userKey: `${team}:U1`, userId: 'U1', teamId: team, chatId: 'D1' },
      file: { kind: 'slack' as const, fileId: `F${n}` },
    });
    expect((await submitter.submit(slack('T0OTHER', 1))).status).toBe('refused');
    expect((await submitter.submit(slack('T0OK', 2))).status).toBe('accepted');
    // Other platforms (the CLI, the web) are not subject to these lists.
    expect(await queue.count()).toBe(2);
  });
});

describe('cancelJob', () => {
  it('cancels only the owner’s job and removes a waiting job at once', async () => {
    const { submitter, queue, records, prefix } = setup();
    const r = await submitter.submit(request(1));
    const jobId = r.status === 'accepted' ? r.jobId : '';
    const deps = { redis, queue, records, prefix };
    expect(await cancelJob(deps, jobId, 'tg:someone-else')).toBe('not-found');
    expect(await queue.getJob(jobId)).toBeTruthy();
    expect(await cancelJob(deps, jobId, 'tg:1')).toBe('cancelled');
    expect(await queue.getJob(jobId)).toBeUndefined();
    expect(await isCancelled(redis, prefix, jobId)).toBe(true);
    expect((await records.get(jobId))?.state).toBe('cancelled');
    expect(await cancelJob(deps, jobId, 'tg:1')).toBe('already-finished');
  });
});

describe('cancelJob and admission', () => {
  it('a queued job cancelled by its user gives back its budget hold and its place under the ceiling', async () => {
    const budget = { dailyUsd: 50, userDailyUsd: undefined, holdUsd: 1.55 };
    const { submitter, queue, records, admission, prefix } = setup({ admission: { maxQueuedJobs: 1, budget } });
    const r = await submitter.submit(request(1));
    const jobId = r.status === 'accepted' ? r.jobId : '';
    expect((await submitter.submit(request(2, 'tg:2'))).status).toBe('busy');
    expect(await cancelJob({ redis, queue, records, prefix }, jobId, 'tg:1')).toBe('cancelled');
    expect(await redis.hkeys(redisKeys(prefix).ops.reservations)).toEqual([]);
    expect(await admission.queued()).toBe(0);
    expect((await submitter.submit(request(2, 'tg:2'))).status).toBe('accepted');
  });
});

describe('cancelJob and concurrency slots', () => {
  it('gives a parked job’s slot to the user’s next waiting job at once', async () => {
    const { submitter, queue, records, limits, prefix } = setup();
    const a = await submitter.submit(request(1));
    const b = await submitter.submit(request(2));
    const [ja, jb] = [a, b].map((r) => (r.status === 'accepted' ? r.jobId : ''));
    // A third job of the user, parked (delayed) while it waits for a slot.
    const jc = 'waiting3';
    const parked = await queue.add('video', (await queue.getJob(ja!))!.data, { jobId: jc, delay: 60_000 });
    // a and b hold the user's 2 slots (parked while rendering); c waits, delayed.
    expect(await limits.acquireSlot('tg:1', ja!)).toBe(true);
    expect(await limits.acquireSlot('tg:1', jb!)).toBe(true);
    expect(await limits.acquireSlot('tg:1', jc)).toBe(false);
    expect(await parked.isDelayed()).toBe(true);

    expect(await cancelJob({ redis, queue, records, prefix, limits }, ja!, 'tg:1')).toBe('cancelled');
    expect(await limits.activeJobs('tg:1')).toEqual([jb]);
    expect(await (await queue.getJob(jc))!.isDelayed()).toBe(false);
    expect(await limits.acquireSlot('tg:1', jc)).toBe(true);
  });
});
