// The Slack front door in Socket Mode (SLACK_APP_TOKEN, no signing secret, no public URL), end to
// end: real Redis, the real worker and pipeline, the Bolt app on a WebSocket to a fake Slack that
// speaks Socket Mode (apps.connections.open, hello, envelopes, acks, redelivery).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { request } from 'undici';
import { waitFor } from '../../helpers/harness.js';
import { SLACK_APP_TOKEN, smallPdf, startSlackTestbed, type SlackTestbed } from '../../helpers/slack-testbed.js';
import { jobIdFor } from '../../../src/queue/video-queue.js';
import { doneText } from '../../../bots/texts.js';
import { SLACK_EVENTS_PATH } from '../../../bots/slack/index.js';
import type { AdmissionGuard } from '../../../src/queue/submit.js';

/** The test PDF has one page: the finished message says the video covers it. */
const ONE_PAGE = { pagesCovered: 1, pages: 1 };

describe('Slack front door in Socket Mode', () => {
  let t: SlackTestbed;

  beforeAll(async () => {
    t = await startSlackTestbed({ redisUrl: inject('redisUrl'), socketMode: true });
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

  it('starts with the app token and no signing secret, and connects without an HTTP events route', async () => {
    expect(t.door.mode).toBe('socket');
    expect(t.h.config.slack.signingSecret).toBeUndefined();
    // apps.connections.open was called with the app-level token, on the configured API URL.
    const opens = t.slack.callsOf('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]).toMatchObject({ authorization: `Bearer ${SLACK_APP_TOKEN}`, status: 200 });
    expect(opens[0]!.error).toBeUndefined();
    // The bot token was never sent where the app token belongs, nor the other way round.
    expect(t.slack.calls.filter((c) => c.method !== 'apps.connections.open' && c.authorization?.includes('xapp-'))).toEqual([]);
    expect(t.slack.socketConnections).toMatchObject([{ open: true }]);
    // Nothing listens at /slack/events: the HTTP server does not know the path.
    const res = await request(`${t.h.baseUrl}${SLACK_EVENTS_PATH}`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    await res.body.dump();
    expect(res.statusCode).toBe(404);
  });

  it('a PDF in a DM: the envelope is acked, one upload lands in the thread, and a redelivery makes no second job', async () => {
    const user = t.slack.addUser('U0ALICE001', 'en-US');
    const dm = t.slack.im(user);
    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    const m = t.slack.userMessage(dm, user, '', { files: [f.id] });
    const event = t.slack.fileShareEvent(m);

    const env = t.slack.pushEvent(event, { eventId: 'Ev0SOCKET01' });
    const ack = await t.slack.acked(env.envelope_id);
    expect(ack.envelope_id).toBe(env.envelope_id);
    const rec = await finished(jobOf(f.id));
    expect(rec.state).toBe('completed');

    // Slack sends the event again (as it does when it thinks the ack was lost): acked, no new job.
    const again = t.slack.pushEvent(event, { eventId: 'Ev0SOCKET01', retryAttempt: 1 });
    expect(again.retry_attempt).toBe(1);
    expect(again.retry_reason).toBe('timeout');
    await t.slack.acked(again.envelope_id);
    await t.door.idle();

    expect(await t.h.services.records.listForUser(`slack:${t.slack.teamId}:${user}`)).toHaveLength(1);
    expect(t.renderer.created.filter((c) => c.jobId === jobOf(f.id))).toHaveLength(1);
    const uploads = t.slack.completedUploads().filter((u) => u.channel_id === dm);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.thread_ts).toBe(m.ts);
    // The explainer composite (an MP4 of its own), not the provider's raw video.
    expect(uploads[0]!.bytes!.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(uploads[0]!.bytes!.equals(t.renderer.bytes)).toBe(false);
    const progress = t.slack.thread(dm, m.ts).filter((x) => x.bot && !x.files);
    expect(progress.map((x) => x.text)).toEqual([doneText('en', ONE_PAGE)]);
    // Each delivery was acknowledged once, and nothing was sent a third time.
    expect(t.slack.deliveriesOf('Ev0SOCKET01').map((e) => e.retry_attempt)).toEqual([0, 1]);
    expect(t.slack.acks.filter((a) => a.envelope_id === env.envelope_id || a.envelope_id === again.envelope_id)).toHaveLength(2);
    // Neither token is in any log line.
    expect(t.h.logs.text()).not.toContain(SLACK_APP_TOKEN);
    expect(t.h.logs.text()).not.toContain(t.h.config.slack.botToken!);
  });

  it('/doc2video over the socket: acked at once, the form opens, a submission without a file is answered with errors in the ack', async () => {
    const user = t.slack.addUser('U0BOB00001', 'en-US');
    const channel = t.slack.addChannel('general');
    const cmd = t.slack.pushCommand({ user, channel });
    expect((await t.slack.acked(cmd.envelope_id)).payload).toEqual({});
    const opened = await waitFor(async () => t.slack.views.find((v) => v.trigger_id === cmd.trigger_id), 'views.open');
    expect(JSON.parse(opened.view.private_metadata as string)).toMatchObject({ channel });

    const noFile = { pdf: { file: { type: 'file_input', files: [] } }, avatar: {}, language: {} };
    const sub = t.slack.pushViewSubmission(user, opened, noFile);
    const ack = await t.slack.acked(sub.envelope_id);
    expect(ack.payload).toMatchObject({ response_action: 'errors', errors: { pdf: expect.any(String) } });

    // `help` is answered through the command's response_url, not in the ack.
    const help = t.slack.pushCommand({ user, channel, text: 'help' });
    await t.slack.acked(help.envelope_id);
    await t.door.idle();
    expect(t.slack.responses).toHaveLength(1);
    expect(t.slack.responses[0]!.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/doc2video') });
  });

  it('stop() closes the socket with a normal close (1000) from the app, and resolves only once it has', async () => {
    await t.door.stop();
    // stop() waits for the close handshake: Slack has the app's close frame by then.
    expect(t.slack.socketState(0)).not.toBe('open');
    // Without a close from the app this never resolves (and the test times out).
    const conn = await t.slack.socketClosed(0);
    expect(conn).toMatchObject({ open: false, closeCode: 1000, closedBy: 'app' });
    expect(t.slack.socketConnections).toHaveLength(1);
  });
});

describe('Slack front door in Socket Mode when the job cannot be stored', () => {
  let t: SlackTestbed;
  let storeFailures = 1;
  // Stands in for a Redis outage inside submit(): the first attempt to store the job fails.
  const guard: AdmissionGuard = async (req) => {
    if (req.requester.userId === 'U0BROKEN01' && storeFailures-- > 0) throw new Error('connection to Redis lost');
  };

  beforeAll(async () => {
    // A short ack timeout: the fake redelivers an unacknowledged envelope after 300 ms.
    t = await startSlackTestbed({
      redisUrl: inject('redisUrl'),
      socketMode: { ackTimeoutMs: 300 },
      worker: false,
      guards: [guard],
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('leaves the envelope unacknowledged so that Slack redelivers it, and the redelivery makes the job', async () => {
    const user = t.slack.addUser('U0BROKEN01', 'en-US');
    const dm = t.slack.im(user);
    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    const event = t.slack.fileShareEvent(t.slack.userMessage(dm, user, '', { files: [f.id] }));
    const jobId = jobIdFor(`slack:${t.slack.teamId}:${f.id}`);

    const first = t.slack.pushEvent(event, { eventId: 'Ev0BROKEN01' });
    // The fake sends the event again, unasked, only if the first envelope goes unacknowledged.
    const retry = await waitFor(
      async () => t.slack.deliveriesOf('Ev0BROKEN01').find((e) => e.retry_attempt === 1),
      'a redelivery',
    );
    expect(retry.retry_reason).toBe('timeout');
    expect(retry.envelope_id).not.toBe(first.envelope_id);
    await t.slack.acked(retry.envelope_id);
    expect(first.ack).toBeUndefined();
    expect(await t.h.services.records.get(jobId)).toMatchObject({ state: 'queued' });
    expect(await t.h.services.queue.getJob(jobId)).toBeDefined();
  });
});
