// PDFs shared with the app (message/file_share events), end to end: real Redis, the real worker
// and pipeline, the Bolt app on our HTTP server, a fake Slack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { waitFor } from '../../helpers/harness.js';
import { smallPdf, startSlackTestbed, type SlackTestbed } from '../../helpers/slack-testbed.js';
import { jobIdFor } from '../../../src/queue/video-queue.js';
import { doneText } from '../../../bots/texts.js';
import { JobError } from '../../../src/errors.js';
import type { AdmissionGuard } from '../../../src/queue/submit.js';

/** The test PDF has one page: the finished message says the video covers it. */
const ONE_PAGE = { pagesCovered: 1, pages: 1 };

describe('Slack file_share events', () => {
  let t: SlackTestbed;

  beforeAll(async () => {
    t = await startSlackTestbed({ redisUrl: inject('redisUrl'), env: { RATE_LIMIT_MAX: '2' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const jobOf = (fileId: string) => jobIdFor(`slack:${t.slack.teamId}:${fileId}`);
  const finished = (jobId: string) =>
    waitFor(async () => {
      const rec = await t.h.services.records.get(jobId);
      return rec && ['completed', 'failed', 'cancelled'].includes(rec.state) ? rec : undefined;
    }, `job ${jobId} to finish`);

  it('a PDF in a DM with the app ends as exactly one upload in the thread of that message', async () => {
    const user = t.slack.addUser('U0ALICE001', 'en-US');
    const dm = t.slack.im(user);
    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    const m = t.slack.userMessage(dm, user, '', { files: [f.id] });

    const res = await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m));
    expect(res.status).toBe(200);
    const rec = await finished(jobOf(f.id));
    expect(rec.state).toBe('completed');

    const uploads = t.slack.completedUploads().filter((u) => u.channel_id === dm);
    expect(uploads).toHaveLength(1);
    const up = uploads[0]!;
    expect(up.thread_ts).toBe(m.ts);
    // The explainer composite (an MP4 of its own), not the provider's raw video.
    expect(up.bytes!.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(up.bytes!.equals(t.renderer.bytes)).toBe(false);
    expect(up.filename).toMatch(/\.mp4$/);
    expect(up.initial_comment).toMatch(/^🎬 /);

    // One progress message in the thread, edited as the job went, ending "done".
    const progress = t.slack.thread(dm, m.ts).filter((x) => x.bot && !x.files);
    expect(progress).toHaveLength(1);
    expect(progress[0]!.text).toBe(doneText('en', ONE_PAGE));
    expect(progress[0]!.history.length).toBeGreaterThan(2);
    // The file was fetched with the bot token from Slack's file host.
    const dl = t.slack.downloads.filter((d) => d.path.includes(f.id));
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ status: 200, authorization: `Bearer ${t.h.config.slack.botToken}` });
    // The token is in no log line.
    expect(t.h.logs.text()).not.toContain(t.h.config.slack.botToken!);
  });

  it('an event Slack redelivers (X-Slack-Retry-Num) makes one job, one message and one upload', async () => {
    const user = t.slack.addUser('U0BOB00001', 'en-US');
    const dm = t.slack.im(user);
    const f = t.slack.addFile({ name: 'retried.pdf', bytes: smallPdf(), user });
    const m = t.slack.userMessage(dm, user, 'please', { files: [f.id] });
    const event = t.slack.fileShareEvent(m);

    const first = await t.slack.sendEvent(t.url, event, { eventId: 'Ev0RETRY01' });
    const retries = await Promise.all([
      t.slack.sendEvent(t.url, event, { eventId: 'Ev0RETRY01', retryNum: 1 }),
      t.slack.sendEvent(t.url, event, { eventId: 'Ev0RETRY01', retryNum: 2 }),
    ]);
    expect([first, ...retries].map((r) => r.status)).toEqual([200, 200, 200]);
    await finished(jobOf(f.id));
    await t.door.idle();

    expect(await t.h.services.records.listForUser(`slack:${t.slack.teamId}:${user}`)).toHaveLength(1);
    expect(t.renderer.created.filter((c) => c.jobId === jobOf(f.id))).toHaveLength(1);
    expect(t.slack.completedUploads().filter((u) => u.channel_id === dm)).toHaveLength(1);
    const threadBotMessages = t.slack.thread(dm, m.ts).filter((x) => x.bot);
    expect(threadBotMessages).toHaveLength(2); // the progress message and the video
  });

  it('in a channel: ignored without a mention of the app, handled with one (answered in Arabic for an Arabic user)', async () => {
    const user = t.slack.addUser('U0CAROL001', 'ar-SA');
    const channel = t.slack.addChannel('docs');
    const quiet = t.slack.addFile({ name: 'quiet.pdf', bytes: smallPdf(), user });
    const m1 = t.slack.userMessage(channel, user, 'for the team', { files: [quiet.id] });
    expect((await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m1))).status).toBe(200);

    const loud = t.slack.addFile({ name: 'loud.pdf', bytes: smallPdf(), user });
    const m2 = t.slack.userMessage(channel, user, `<@${t.slack.botUserId}> a video please`, { files: [loud.id] });
    expect((await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m2))).status).toBe(200);
    await finished(jobOf(loud.id));

    expect(await t.h.services.records.get(jobOf(quiet.id))).toBeUndefined();
    expect(t.slack.thread(channel, m1.ts)).toHaveLength(0);
    const uploads = t.slack.completedUploads().filter((u) => u.channel_id === channel);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.thread_ts).toBe(m2.ts);
    const progress = t.slack.thread(channel, m2.ts).filter((x) => x.bot && !x.files);
    expect(progress.map((x) => x.text)).toEqual([doneText('ar', ONE_PAGE)]);
  });

  it('a file that is not a PDF gets NOT_A_PDF in its thread, once however often Slack redelivers, and no job', async () => {
    const user = t.slack.addUser('U0DAVE0001', 'en-US');
    const dm = t.slack.im(user);
    const f = t.slack.addFile({ name: 'photo.png', bytes: Buffer.from('\x89PNG\r\n\x1a\n....'), user });
    const m = t.slack.userMessage(dm, user, '', { files: [f.id] });
    const event = t.slack.fileShareEvent(m);
    await t.slack.sendEvent(t.url, event);
    await t.slack.sendEvent(t.url, event, { retryNum: 1 });
    await t.door.idle();

    const replies = t.slack.thread(dm, m.ts).filter((x) => x.bot);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain('NOT_A_PDF');
    expect(replies[0]!.text).toContain('photo.png');
    expect(await t.h.services.records.get(jobOf(f.id))).toBeUndefined();
  });

  it('one job per PDF of a message; beyond the rate limit the user alone is told (ephemeral) in a channel', async () => {
    const user = t.slack.addUser('U0ERIN0001', 'en-US');
    const channel = t.slack.addChannel('reports');
    const files = ['a.pdf', 'b.pdf', 'c.pdf'].map((name) => t.slack.addFile({ name, bytes: smallPdf(), user }));
    const m = t.slack.userMessage(channel, user, `<@${t.slack.botUserId}>`, { files: files.map((f) => f.id) });
    await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m));
    await Promise.all(files.slice(0, 2).map((f) => finished(jobOf(f.id))));
    await t.door.idle();

    expect(await t.h.services.records.get(jobOf(files[2]!.id))).toBeUndefined();
    const uploads = t.slack.completedUploads().filter((u) => u.channel_id === channel && u.thread_ts === m.ts);
    expect(uploads).toHaveLength(2);
    const told = t.slack.ephemerals.filter((e) => e.channel === channel && e.user === user);
    expect(told).toHaveLength(1);
    expect(told[0]!.text).toContain('RATE_LIMITED');
    expect(t.slack.thread(channel, m.ts).some((x) => x.text.includes('RATE_LIMITED'))).toBe(false);
  });
});

describe('Slack file_share events when the job cannot be stored', () => {
  let t: SlackTestbed;
  let storeFailures = 1;
  // Admission guards run inside submit(): one stands in for a Redis outage, one for the budget.
  const guard: AdmissionGuard = async (req) => {
    if (req.requester.userId === 'U0BROKEN01' && storeFailures-- > 0) throw new Error('connection to Redis lost');
    if (req.requester.userId === 'U0BUDGET01') throw new JobError('BUDGET_EXCEEDED');
  };

  beforeAll(async () => {
    t = await startSlackTestbed({ redisUrl: inject('redisUrl'), worker: false, guards: [guard] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 500 so that Slack redelivers, and the redelivery makes the job', async () => {
    const user = t.slack.addUser('U0BROKEN01', 'en-US');
    const dm = t.slack.im(user);
    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    const event = t.slack.fileShareEvent(t.slack.userMessage(dm, user, '', { files: [f.id] }));
    const jobId = jobIdFor(`slack:${t.slack.teamId}:${f.id}`);

    expect((await t.slack.sendEvent(t.url, event)).status).toBe(500);
    expect(await t.h.services.records.get(jobId)).toBeUndefined();
    expect((await t.slack.sendEvent(t.url, event, { retryNum: 1 })).status).toBe(200);
    expect(await t.h.services.records.get(jobId)).toMatchObject({ state: 'queued' });
    expect(await t.h.services.queue.getJob(jobId)).toBeDefined();
  });

  it('a refusal by an admission guard (budget) is answered in the thread with its code, and no job', async () => {
    const user = t.slack.addUser('U0BUDGET01', 'en-US');
    const dm = t.slack.im(user);
    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    const m = t.slack.userMessage(dm, user, '', { files: [f.id] });
    expect((await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m))).status).toBe(200);
    await t.door.idle();
    const replies = t.slack.thread(dm, m.ts).filter((x) => x.bot);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain('BUDGET_EXCEEDED');
    expect(await t.h.services.records.get(jobIdFor(`slack:${t.slack.teamId}:${f.id}`))).toBeUndefined();
  });
});
