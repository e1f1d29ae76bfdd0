// /doc2video: the form flow end to end (command -> views.open -> view_submission -> one upload in
// the right channel and thread), and status / cancel / help answered ephemerally, own jobs only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { waitFor } from '../../helpers/harness.js';
import { smallPdf, startSlackTestbed, type SlackTestbed } from '../../helpers/slack-testbed.js';
import type { FakeFile, FakeSlack } from '../../fakes/slack.js';
import { jobIdFor } from '../../../src/queue/video-queue.js';
import { AVATAR_STYLES } from '../../../src/config.js';
import { doneText } from '../../../bots/texts.js';

/** The test PDF has one page: the finished message says the video covers it. */
const ONE_PAGE = { pagesCovered: 1, pages: 1 };

const finished = (t: SlackTestbed, jobId: string) =>
  waitFor(async () => {
    const rec = await t.h.services.records.get(jobId);
    return rec && ['completed', 'failed', 'cancelled'].includes(rec.state) ? rec : undefined;
  }, `job ${jobId} to finish`);

type Block = { type: string; block_id?: string; optional?: boolean; element?: Record<string, unknown> };

function formValues(slack: FakeSlack, file: FakeFile | undefined, style: string, language?: string) {
  return {
    pdf: { file: { type: 'file_input', files: file ? [slack.fileObject(file)] : [] } },
    avatar: { style: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: style }, value: style } } },
    language: {
      lang: {
        type: 'static_select',
        selected_option: language ? { text: { type: 'plain_text', text: language }, value: language } : null,
      },
    },
  };
}

async function openForm(t: SlackTestbed, user: string, channel: string) {
  const cmd = await t.slack.sendCommand(t.url, { user, channel });
  expect(cmd.status).toBe(200);
  expect(cmd.text).toBe('');
  return waitFor(async () => t.slack.views.find((v) => v.trigger_id === cmd.trigger_id), 'views.open');
}

describe('Slack /doc2video form', () => {
  let t: SlackTestbed;

  beforeAll(async () => {
    t = await startSlackTestbed({ redisUrl: inject('redisUrl') });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('opens a form with one PDF, the presenter styles and an optional language; its submission ends as one upload in the channel', async () => {
    const user = t.slack.addUser('U0ALICE001', 'en-US');
    const channel = t.slack.addChannel('general');
    const opened = await openForm(t, user, channel);

    const blocks = opened.view.blocks as Block[];
    const byId = (id: string) => blocks.find((b) => b.block_id === id)!;
    expect(byId('pdf').element).toMatchObject({ type: 'file_input', max_files: 1, filetypes: ['pdf'] });
    expect((byId('avatar').element!.options as Array<{ value: string }>).map((o) => o.value)).toEqual([...AVATAR_STYLES]);
    expect(byId('language').optional).toBe(true);
    expect(JSON.parse(opened.view.private_metadata as string)).toMatchObject({ channel });

    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    const res = await t.slack.submitView(t.url, user, opened, formValues(t.slack, f, 'friendly'));
    expect(res.status).toBe(200);
    expect(res.text).toBe(''); // an empty answer closes the form

    const jobId = jobIdFor(`slack:${t.slack.teamId}:${f.id}`);
    expect((await finished(t, jobId)).state).toBe('completed');

    const uploads = t.slack.completedUploads().filter((u) => u.channel_id === channel);
    expect(uploads).toHaveLength(1);
    // The progress message is the one top-level message in the channel; the video is in its thread.
    const top = t.slack.botMessages(channel).filter((m) => !m.thread_ts);
    expect(top).toHaveLength(1);
    expect(top[0]!.text).toBe(doneText('en', ONE_PAGE));
    expect(uploads[0]!.thread_ts).toBe(top[0]!.ts);
    // The explainer composite (an MP4 of its own), not the provider's raw video.
    expect(uploads[0]!.bytes!.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(uploads[0]!.bytes!.equals(t.renderer.bytes)).toBe(false);
    expect(t.renderer.created.find((c) => c.jobId === jobId)?.avatarStyle).toBe('friendly');
  });

  it('carries the chosen language into the job', async () => {
    const user = t.slack.addUser('U0BOB00001', 'en-US');
    const channel = t.slack.addChannel('deutsch');
    const opened = await openForm(t, user, channel);
    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    await t.slack.submitView(t.url, user, opened, formValues(t.slack, f, 'professional', 'de'));
    const jobId = jobIdFor(`slack:${t.slack.teamId}:${f.id}`);
    const job = await t.h.services.queue.getJob(jobId);
    expect(job?.data.options).toEqual({ avatarStyle: 'professional', language: 'de' });
    expect(job?.data.requester).toMatchObject({ platform: 'slack', chatId: channel, userKey: `slack:${t.slack.teamId}:${user}` });
    await finished(t, jobId);
  });

  it('offers the layout and captions, the configured defaults preselected, and carries the choice into the job', async () => {
    const user = t.slack.addUser('U0ERIN0001', 'en-US');
    const channel = t.slack.addChannel('styles');
    const opened = await openForm(t, user, channel);
    const blocks = opened.view.blocks as Block[];
    const byId = (id: string) => blocks.find((b) => b.block_id === id)!;
    const values = (id: string) => (byId(id).element!.options as Array<{ value: string }>).map((o) => o.value);
    const initial = (id: string) => (byId(id).element!.initial_option as { value: string }).value;
    expect(values('layout')).toEqual(['slides', 'presenter']);
    expect(values('captions')).toEqual(['on', 'off']);
    expect([initial('layout'), initial('captions')]).toEqual(['slides', 'on']);

    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    const form = {
      ...formValues(t.slack, f, 'professional'),
      layout: {
        layout: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'p' }, value: 'presenter' } },
      },
      captions: {
        captions: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'off' }, value: 'off' } },
      },
    };
    await t.slack.submitView(t.url, user, opened, form);
    const jobId = jobIdFor(`slack:${t.slack.teamId}:${f.id}`);
    const job = await t.h.services.queue.getJob(jobId);
    expect(job?.data.options).toEqual({ avatarStyle: 'professional', layout: 'presenter', captions: false });
    await finished(t, jobId);
  });

  it('keeps the form open with NOT_A_PDF under the file field for another file type, and makes no job', async () => {
    const user = t.slack.addUser('U0CAROL001', 'en-US');
    const channel = t.slack.addChannel('random');
    const opened = await openForm(t, user, channel);
    const f = t.slack.addFile({ name: 'notes.docx', bytes: Buffer.from('PK\x03\x04 not a pdf'), user });
    const res = await t.slack.submitView(t.url, user, opened, formValues(t.slack, f, 'professional'));
    expect(res.status).toBe(200);
    const body = res.json() as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(body.errors.pdf).toContain('NOT_A_PDF');
    expect(await t.h.services.records.get(jobIdFor(`slack:${t.slack.teamId}:${f.id}`))).toBeUndefined();

    const none = await t.slack.submitView(t.url, user, opened, formValues(t.slack, undefined, 'professional'));
    expect((none.json() as { response_action: string }).response_action).toBe('errors');
  });

  it('a form sent from a channel the app is not in delivers to the user’s DM with the app', async () => {
    const user = t.slack.addUser('U0DAVE0001', 'en-US');
    const channel = t.slack.addChannel('private-stuff', { botMember: false, type: 'group' });
    const opened = await openForm(t, user, channel);
    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    await t.slack.submitView(t.url, user, opened, formValues(t.slack, f, 'professional'));
    const jobId = jobIdFor(`slack:${t.slack.teamId}:${f.id}`);
    expect((await finished(t, jobId)).state).toBe('completed');
    const dm = t.slack.im(user);
    const uploads = t.slack.completedUploads().filter((u) => u.channel_id === dm);
    expect(uploads).toHaveLength(1);
    expect(t.slack.completedUploads().filter((u) => u.channel_id === channel)).toHaveLength(0);
  });
});

describe('Slack /doc2video status, cancel, help', () => {
  let t: SlackTestbed;
  const alice = 'U0ALICE001';
  const bob = 'U0BOB00001';
  let aliceJob: string;

  beforeAll(async () => {
    // No worker: Alice's job stays queued, so it can be cancelled.
    t = await startSlackTestbed({ redisUrl: inject('redisUrl'), worker: false });
    t.slack.addUser(alice, 'en-US');
    t.slack.addUser(bob, 'en-US');
    const f = t.slack.addFile({ name: 'alice.pdf', bytes: smallPdf(), user: alice });
    const m = t.slack.userMessage(t.slack.im(alice), alice, '', { files: [f.id] });
    await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m));
    aliceJob = jobIdFor(`slack:${t.slack.teamId}:${f.id}`);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function command(user: string, text: string): Promise<Record<string, unknown>> {
    const res = await t.slack.sendCommand(t.url, { user, channel: t.slack.im(user), text });
    expect(res.status).toBe(200);
    const id = res.response_url.split('/').pop()!;
    const answer = await waitFor(async () => t.slack.responses.find((r) => r.id === id), `answer to "${text}"`);
    return answer.body;
  }

  it('status lists the caller’s own jobs only, ephemerally', async () => {
    const mine = await command(alice, 'status');
    expect(mine.response_type).toBe('ephemeral');
    expect(mine.text).toContain(aliceJob);
    const theirs = await command(bob, 'status');
    expect(theirs.response_type).toBe('ephemeral');
    expect(theirs.text).not.toContain(aliceJob);
  });

  it('cancel works for the owner only', async () => {
    const denied = await command(bob, `cancel ${aliceJob}`);
    expect(denied.response_type).toBe('ephemeral');
    expect(denied.text).toContain(`No job ${aliceJob} of yours`);
    expect((await t.h.services.records.get(aliceJob))?.state).toBe('queued');
    expect(await t.h.services.queue.getJob(aliceJob)).toBeDefined();

    const done = await command(alice, `cancel ${aliceJob.toUpperCase()}`);
    expect(done.text).toContain(`Job ${aliceJob} is cancelled`);
    expect((await t.h.services.records.get(aliceJob))?.state).toBe('cancelled');
    expect(await t.h.services.queue.getJob(aliceJob)).toBeUndefined();
  });

  it('help (and anything unknown) explains the Slack commands', async () => {
    const help = await command(alice, 'help');
    expect(help.response_type).toBe('ephemeral');
    expect(help.text).toContain('/doc2video status');
    expect(help.text).not.toContain('/avatar');
    expect((await command(alice, 'what?')).text).toBe(help.text);
  });
});
