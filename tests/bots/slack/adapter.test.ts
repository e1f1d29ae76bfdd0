// The Slack chat adapter against the fake Slack (and real Redis): the token goes to Slack's file
// host only, sizes are checked from metadata, progress is one message edited in place, 429s wait
// for Retry-After within bounded retries, and a conversation that is gone stops the job quietly.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { FakeSlack } from '../../fakes/slack.js';
import { captureLogs, waitFor } from '../../helpers/harness.js';
import { corpusPath } from '../../helpers/corpus.js';
import {
  SLACK_BOT_TOKEN,
  SLACK_SIGNING_SECRET,
  smallPdf,
  startSlackTestbed,
  type SlackTestbed,
} from '../../helpers/slack-testbed.js';
import { createSlackAdapter, SLACK_MAX_UPLOAD_BYTES } from '../../../bots/slack/adapter.js';
import { createSlackWebClient } from '../../../bots/slack/api.js';
import { tokenHostAllowed } from '../../../bots/slack/files.js';
import { SlackProgressMessages } from '../../../bots/slack/progress.js';
import { ChatUnavailableError, type AdapterContext, type ChatAdapter } from '../../../pipeline/ports.js';
import { JobError } from '../../../src/errors.js';
import { loadConfig } from '../../../src/config.js';
import { jobIdFor } from '../../../src/queue/video-queue.js';
import type { FileRef, VideoJobData } from '../../../pipeline/job.js';

/** A host that is not Slack's, recording whatever reaches it. */
async function foreignHost(): Promise<{
  url: string;
  hits: Array<{ path: string; authorization?: string }>;
  close(): Promise<void>;
}> {
  const hits: Array<{ path: string; authorization?: string }> = [];
  const server: Server = createServer((req, res) => {
    hits.push({ path: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    res.writeHead(200, { 'content-type': 'application/pdf' }).end(smallPdf());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('tokenHostAllowed', () => {
  // SLACK_FILE_HOSTS as a test sets it for its fake.
  const hosts = ['127.0.0.1:4000'];
  it.each([
    ['https://files.slack.com/files-pri/T1-F1/download/a.pdf', true],
    ['http://127.0.0.1:4000/files-pri/T1-F1/a.pdf', true],
    ['http://files.slack.com/files-pri/T1-F1/a.pdf', false],
    ['https://files.slack.com.evil.example/a.pdf', false],
    ['https://evil.example/files.slack.com/a.pdf', false],
    ['https://slack.com/files-pri/a.pdf', false],
    ['http://127.0.0.1:4001/files-pri/a.pdf', false],
    ['http://localhost:4000/files-pri/a.pdf', false],
  ])('%s -> %s', (url, allowed) => {
    expect(tokenHostAllowed(new URL(url), hosts)).toBe(allowed);
  });

  it('by default only files.slack.com gets the token, whatever SLACK_API_URL points at', () => {
    const config = loadConfig({ SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL: 'http://127.0.0.1:4000/api' });
    expect(config.slack.fileHosts).toEqual([]);
    expect(tokenHostAllowed(new URL('http://127.0.0.1:4000/files-pri/T1-F1/a.pdf'), config.slack.fileHosts)).toBe(false);
    expect(tokenHostAllowed(new URL('https://files.slack.com/files-pri/T1-F1/a.pdf'), config.slack.fileHosts)).toBe(true);
  });
});

describe('Slack adapter', () => {
  let slack: FakeSlack;
  let redis: Redis;
  let adapter: ChatAdapter;
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const { logger } = captureLogs('debug', [SLACK_BOT_TOKEN]);
  const user = 'U0ALICE001';
  let n = 0;

  beforeAll(async () => {
    slack = new FakeSlack({ botToken: SLACK_BOT_TOKEN, signingSecret: SLACK_SIGNING_SECRET });
    await slack.start();
    slack.addUser(user, 'en-US');
    redis = new Redis(inject('redisUrl'));
    const config = loadConfig({ SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL: slack.apiUrl });
    adapter = createSlackAdapter({
      client: createSlackWebClient(config, logger),
      botToken: SLACK_BOT_TOKEN,
      fileHosts: [new URL(slack.apiUrl).host],
      messages: new SlackProgressMessages(redis, prefix, 3600),
      logger,
    });
  });
  afterAll(async () => {
    redis?.disconnect();
    await slack?.close();
  });

  function context(file: FileRef, channel: string, threadId?: string): AdapterContext {
    const data: VideoJobData = {
      requester: {
        platform: 'slack',
        userKey: `slack:${slack.teamId}:${user}`,
        userId: user,
        chatId: channel,
        teamId: slack.teamId,
        ...(threadId ? { threadId } : {}),
        locale: 'en-US',
      },
      file,
      options: {},
      checkpoint: {},
      chat: {},
      createdAt: Date.now(),
    };
    return {
      jobId: `job${++n}`,
      shortId: `job${n}`,
      data,
      logger,
      saveChatState: async (patch) => {
        data.chat = { ...data.chat, ...patch };
      },
    };
  }

  const slackRef = (f: { id: string; url_private_download: string; size: number; name: string }): FileRef => ({
    kind: 'slack',
    fileId: f.id,
    url: f.url_private_download,
    size: f.size,
    name: f.name,
  });

  it('downloads a Slack file with the bot token', async () => {
    const f = slack.addFile({ name: 'a.pdf', bytes: smallPdf(), user });
    const src = await adapter.openFile(context(slackRef(f), slack.im(user)), 10 * 1024 * 1024);
    const chunks: Buffer[] = [];
    for await (const c of src.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(smallPdf());
    expect(src.size).toBe(f.size);
    expect(slack.downloads.at(-1)).toMatchObject({ status: 200, authorization: `Bearer ${SLACK_BOT_TOKEN}` });
  });

  it('never sends the token to a host that is not Slack’s', async () => {
    const evil = await foreignHost();
    try {
      const ref: FileRef = {
        kind: 'slack',
        fileId: 'F0EVIL',
        url: `${evil.url}/files-pri/T1-F0EVIL/a.pdf`,
        size: 100,
        name: 'a.pdf',
      };
      const err = await adapter.openFile(context(ref, slack.im(user)), 10 * 1024 * 1024).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobError);
      expect((err as JobError).code).toBe('INTERNAL');
      expect((err as JobError).retryable).toBe(false);
      expect((err as JobError).message).toContain('refused');
      expect(evil.hits).toHaveLength(0);
    } finally {
      await evil.close();
    }
  });

  it('the fake file host refuses a download without the token (a redirect to sign-in), and the adapter reports it', async () => {
    const f = slack.addFile({ name: 'b.pdf', bytes: smallPdf(), user });
    const res = await fetch(f.url_private_download, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-wrong-token-000000', SLACK_SIGNING_SECRET, SLACK_API_URL: slack.apiUrl });
    const wrong = createSlackAdapter({
      client: createSlackWebClient(config, logger),
      botToken: 'xoxb-wrong-token-000000',
      fileHosts: [new URL(slack.apiUrl).host],
      messages: new SlackProgressMessages(redis, prefix, 3600),
      logger,
    });
    const err = await wrong.openFile(context(slackRef(f), slack.im(user)), 10 * 1024 * 1024).catch((e: unknown) => e);
    expect((err as JobError).code).toBe('INTERNAL');
    expect((err as JobError).message).toMatch(/redirected/);
    // Only the one request to Slack's host: the redirect was not followed.
    expect(slack.downloads.filter((d) => d.path.includes(f.id))).toHaveLength(2);
  });

  it('refuses a PDF above the limit from its metadata, before downloading', async () => {
    const f = slack.addFile({ name: 'big.pdf', bytes: smallPdf(), user, size: 50 * 1024 * 1024 });
    const before = slack.downloads.length;
    const err = await adapter.openFile(context(slackRef(f), slack.im(user)), 20 * 1024 * 1024).catch((e: unknown) => e);
    expect((err as JobError).code).toBe('PDF_TOO_LARGE');
    expect(slack.downloads.length).toBe(before);
  });

  it('asks files.info when the event carried no URL or size (and checks that size too)', async () => {
    const f = slack.addFile({ name: 'c.pdf', bytes: smallPdf(), user });
    const src = await adapter.openFile(context({ kind: 'slack', fileId: f.id }, slack.im(user)), 10 * 1024 * 1024);
    src.stream.resume();
    expect(src.size).toBe(f.size);
    expect(slack.callsOf('files.info').at(-1)?.params.file).toBe(f.id);

    const big = slack.addFile({ name: 'd.pdf', bytes: smallPdf(), user, size: 99 * 1024 * 1024 });
    const err = await adapter
      .openFile(context({ kind: 'slack', fileId: big.id }, slack.im(user)), 1024 * 1024)
      .catch((e: unknown) => e);
    expect((err as JobError).code).toBe('PDF_TOO_LARGE');
  });

  it('keeps one progress message, edits it only when the text changes, and honours Retry-After on a 429', async () => {
    const dm = slack.im(user);
    const m = slack.userMessage(dm, user, '');
    const ctx = context({ kind: 'slack', fileId: 'F0X' }, dm, m.ts);
    await adapter.progress(ctx, { step: 'fetch', phase: 'running', index: 1, total: 6 });
    slack.failNext('chat.update', { status: 429, retryAfter: 1 });
    const updatesBefore = slack.callsOf('chat.update').length;
    await adapter.progress(ctx, { step: 'extract', phase: 'running', index: 2, total: 6 });
    await adapter.progress(ctx, { step: 'extract', phase: 'running', index: 2, total: 6 });

    const updates = slack.callsOf('chat.update').slice(updatesBefore);
    expect(updates.map((c) => c.status)).toEqual([429, 200]);
    const progress = slack.thread(dm, m.ts).filter((x) => x.bot);
    expect(progress).toHaveLength(1);
    expect(progress[0]!.text).toContain('Reading the document');
  });

  it('the web’s "Got it" and the worker’s first progress make one message between them, whoever comes first', async () => {
    const dm = slack.im(user);
    const bot = (ts: string) => slack.thread(dm, ts).filter((x) => x.bot);

    // The worker first: the web's acknowledgement then posts nothing.
    const m1 = slack.userMessage(dm, user, '');
    const workerFirst = context({ kind: 'slack', fileId: 'F0W1' }, dm, m1.ts);
    await adapter.progress(workerFirst, { step: 'fetch', phase: 'running', index: 1, total: 6 });
    await adapter.acknowledge(workerFirst, { position: 1 });
    expect(bot(m1.ts).map((x) => x.text)).toEqual([expect.stringContaining('Downloading the PDF')]);

    // The web first: the worker edits the "Got it" message instead of posting its own.
    const m2 = slack.userMessage(dm, user, '');
    const webFirst = context({ kind: 'slack', fileId: 'F0W2' }, dm, m2.ts);
    await adapter.acknowledge(webFirst, { position: 1 });
    await adapter.acknowledge(webFirst, { position: 1 });
    expect(bot(m2.ts)).toHaveLength(1);
    await adapter.progress(webFirst, { step: 'fetch', phase: 'running', index: 1, total: 6 });
    expect(bot(m2.ts).map((x) => x.text)).toEqual([expect.stringContaining('Downloading the PDF')]);
  });

  it('gives up after a bounded number of retries when Slack keeps answering 429', async () => {
    const dm = slack.im(user);
    const ctx = context({ kind: 'slack', fileId: 'F0Y' }, dm, slack.userMessage(dm, user, '').ts);
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 0 }, 10);
    const before = slack.callsOf('chat.postMessage').length;
    try {
      await expect(adapter.progress(ctx, { step: 'fetch', phase: 'running', index: 1, total: 6 })).rejects.toThrow(/rate limit/i);
      expect(slack.callsOf('chat.postMessage').length - before).toBe(4); // the call and 3 retries
    } finally {
      slack.clearFailures();
    }
  }, 20_000);

  it('turns is_archived / token_revoked into ChatUnavailableError', async () => {
    const dm = slack.im(user);
    const ctx = context({ kind: 'slack', fileId: 'F0Z' }, dm, slack.userMessage(dm, user, '').ts);
    slack.failNext('chat.postMessage', { error: 'is_archived' });
    const err = await adapter.progress(ctx, { step: 'fetch', phase: 'running', index: 1, total: 6 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatUnavailableError);
    expect((err as ChatUnavailableError).reason).toContain('is_archived');

    slack.failNext('files.completeUploadExternal', { error: 'token_revoked' });
    const up = await adapter
      .deliverVideo(ctx, { path: corpusPath('py-pdf/minimal-document.pdf'), bytes: 10, fileName: 'v.mp4', title: 'v' })
      .catch((e: unknown) => e);
    expect(up).toBeInstanceOf(ChatUnavailableError);
  });

  it('uploads the video into the thread once, even when the deliver step runs again', async () => {
    const dm = slack.im(user);
    const m = slack.userMessage(dm, user, '');
    const ctx = context({ kind: 'slack', fileId: 'F0V' }, dm, m.ts);
    const video = {
      path: corpusPath('py-pdf/minimal-document.pdf'),
      bytes: 10,
      fileName: 'talk.mp4',
      title: 'Talk',
      durationSeconds: 75,
    };
    expect(await adapter.deliverVideo(ctx, video)).toEqual({ as: 'file' });
    expect(await adapter.deliverVideo(ctx, video)).toEqual({ as: 'file' });
    const ups = slack.completedUploads().filter((u) => u.thread_ts === m.ts);
    expect(ups).toHaveLength(1);
    expect(ups[0]).toMatchObject({ channel_id: dm, filename: 'talk.mp4', initial_comment: '🎬 Talk · 1:15' });
    expect(adapter.maxUploadBytes).toBe(SLACK_MAX_UPLOAD_BYTES);
  });

  it('posts a download link instead when the video is above Slack’s upload limit', async () => {
    const dm = slack.im(user);
    const m = slack.userMessage(dm, user, '');
    const ctx = context({ kind: 'slack', fileId: 'F0L' }, dm, m.ts);
    const uploadsBefore = slack.uploads.length;
    const sent = await adapter.deliverVideo(ctx, {
      path: '/nonexistent.mp4',
      bytes: SLACK_MAX_UPLOAD_BYTES + 1,
      fileName: 'huge.mp4',
      title: 'Huge',
      linkUrl: 'https://videos.example/huge.mp4',
    });
    expect(sent).toEqual({ as: 'link' });
    expect(slack.uploads.length).toBe(uploadsBefore);
    const replies = slack.thread(dm, m.ts).filter((x) => x.bot);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain('https://videos.example/huge.mp4');
  });

  it('posts the link once, even when the deliver step runs again (the job records it)', async () => {
    const dm = slack.im(user);
    const m = slack.userMessage(dm, user, '');
    const ctx = context({ kind: 'slack', fileId: 'F0R' }, dm, m.ts);
    const video = {
      path: '/nonexistent.mp4',
      bytes: SLACK_MAX_UPLOAD_BYTES + 1,
      fileName: 'huge.mp4',
      title: 'Huge',
      linkUrl: 'https://videos.example/again.mp4',
    };
    expect(await adapter.deliverVideo(ctx, video)).toEqual({ as: 'link' });
    expect(ctx.data.chat).toMatchObject({ slackVideoAs: 'link' });
    // The retried step: a new attempt reads the job's chat state back.
    expect(await adapter.deliverVideo(ctx, video)).toEqual({ as: 'link' });
    const links = slack.thread(dm, m.ts).filter((x) => x.bot && x.text?.includes('https://videos.example/again.mp4'));
    expect(links).toHaveLength(1);
  });

  it('posts a failure in the thread with its code', async () => {
    const dm = slack.im(user);
    const m = slack.userMessage(dm, user, '');
    const ctx = context({ kind: 'slack', fileId: 'F0W' }, dm, m.ts);
    await adapter.fail(ctx, new JobError('PDF_ENCRYPTED'));
    const replies = slack.thread(dm, m.ts).filter((x) => x.bot);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain('PDF_ENCRYPTED: The PDF is protected by a password.');
  });
});

describe('Slack adapter in a running system', () => {
  let t: SlackTestbed;

  beforeAll(async () => {
    t = await startSlackTestbed({ redisUrl: inject('redisUrl'), worker: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a file URL on another host is refused: the job fails with its code in the thread and the host sees no token', async () => {
    if (!t.h.worker) t.h.startWorker();
    const evil = await foreignHost();
    try {
      const user = t.slack.addUser('U0MALLORY1', 'en-US');
      const dm = t.slack.im(user);
      const f = t.slack.addFile({ name: 'elsewhere.pdf', bytes: smallPdf(), user });
      const m = t.slack.userMessage(dm, user, '', { files: [f.id] });
      const event = t.slack.fileShareEvent(m);
      const file = (event.files as Array<Record<string, unknown>>)[0]!;
      file.url_private_download = `${evil.url}/files-pri/${t.slack.teamId}-${f.id}/download/elsewhere.pdf`;
      file.url_private = file.url_private_download;
      await t.slack.sendEvent(t.url, event);

      const jobId = jobIdFor(`slack:${t.slack.teamId}:${f.id}`);
      const rec = await waitFor(async () => {
        const r = await t.h.services.records.get(jobId);
        return r?.state === 'failed' ? r : undefined;
      }, 'the job to fail');
      expect(rec.code).toBe('INTERNAL');
      expect(evil.hits).toHaveLength(0);
      const replies = t.slack.thread(dm, m.ts).filter((x) => x.bot);
      expect(replies.some((x) => x.text.startsWith('❌ INTERNAL:'))).toBe(true);
      expect(t.slack.completedUploads().filter((u) => u.channel_id === dm)).toHaveLength(0);
    } finally {
      await evil.close();
    }
  });

  it('an archived channel ends the job quietly: no more messages, no video, a log line', async () => {
    const w = t.h.worker;
    if (w) {
      await w.close(2_000);
      t.h.worker = undefined;
    }
    const user = t.slack.addUser('U0OSCAR001', 'en-US');
    const channel = t.slack.addChannel('soon-archived');
    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    const m = t.slack.userMessage(channel, user, `<@${t.slack.botUserId}>`, { files: [f.id] });
    await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m));
    await t.door.idle();
    const jobId = jobIdFor(`slack:${t.slack.teamId}:${f.id}`);
    expect(t.slack.thread(channel, m.ts).filter((x) => x.bot)).toHaveLength(1); // "Got it"

    t.slack.archive(channel);
    const callsBefore = t.slack.calls.length;
    t.h.startWorker();
    const rec = await waitFor(async () => {
      const r = await t.h.services.records.get(jobId);
      return r && ['completed', 'failed', 'cancelled'].includes(r.state) ? r : undefined;
    }, 'the job to stop');

    expect(rec.state).toBe('cancelled');
    expect(t.h.logs.events('chat_unavailable').some((l) => l.jobId === jobId)).toBe(true);
    const later = t.slack.calls.slice(callsBefore);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((c) => c.error === 'is_archived')).toBe(true);
    expect(later.filter((c) => c.method === 'chat.postMessage' && String(c.params.text).includes('❌'))).toHaveLength(0);
    expect(t.renderer.created.filter((c) => c.jobId === jobId)).toHaveLength(0);
    expect(t.slack.completedUploads().filter((u) => u.channel_id === channel)).toHaveLength(0);
  });
});
