// The worker's Telegram adapter against the fake Bot API and real Redis: file limits and
// downloads (cloud and local Bot API server), the throttled progress message, delivery (file,
// link, retried), failures, and blocked users.
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject } from 'vitest';
import { ChatUnavailableError, type AdapterContext } from '../../../pipeline/ports.js';
import { createTelegramApi } from '../../../bots/telegram/api.js';
import { createTelegramAdapter, type TelegramAdapter } from '../../../bots/telegram/adapter.js';
import { editSlotKey } from '../../../bots/telegram/progress.js';
import { waitFor } from '../../helpers/harness.js';
import { doneText, failedProgressText, linkInsteadText } from '../../../bots/texts.js';
import { JobError, describeError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';
import type { FileRef, VideoJobData } from '../../../pipeline/job.js';
import { FakeTelegram, type FakeChat } from '../../fakes/telegram.js';
import { tinyMp4 } from '../../helpers/telegram.js';

const MiB = 1024 * 1024;
const logger = createLogger({ level: 'silent' });
let redis: Redis;
let fake: FakeTelegram;
let prefix: string;
const adapters: TelegramAdapter[] = [];

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  fake = await FakeTelegram.start();
});
afterAll(async () => {
  redis.disconnect();
  await fake.close();
});
afterEach(async () => {
  for (const a of adapters.splice(0)) await a.close();
});

function adapter(
  opts: {
    token?: string;
    localApi?: boolean;
    localFilesDir?: string;
    maxUploadBytes?: number;
    editIntervalMs?: number;
    f?: FakeTelegram;
  } = {},
) {
  prefix = `ta${randomBytes(4).toString('hex')}`;
  const f = opts.f ?? fake;
  const token = opts.token ?? f.token;
  const a = createTelegramAdapter({
    api: createTelegramApi({ token, apiRoot: f.apiRoot, role: 'worker' }),
    redis,
    prefix,
    logger,
    token,
    apiRoot: f.apiRoot,
    ...(opts.localApi ? { localApi: true } : {}),
    ...(opts.localFilesDir ? { localFilesDir: opts.localFilesDir } : {}),
    ...(opts.maxUploadBytes ? { maxUploadBytes: opts.maxUploadBytes } : {}),
    ...(opts.editIntervalMs ? { editIntervalMs: opts.editIntervalMs } : {}),
  });
  adapters.push(a);
  return a;
}

let nextId = 5000;
/** A job's adapter context as the worker builds it; saveChatState merges into data.chat. */
function context(chat: FakeChat, file: FileRef, replyTo?: number, locale = 'en'): AdapterContext {
  const data: VideoJobData = {
    requester: {
      platform: 'telegram',
      userKey: `tg:${chat.id}`,
      userId: String(chat.id),
      chatId: String(chat.id),
      ...(replyTo ? { replyToMessageId: String(replyTo) } : {}),
      locale,
    },
    file,
    options: {},
    checkpoint: {},
    chat: {},
    createdAt: Date.now(),
  };
  const jobId = `job${++nextId}`;
  return {
    jobId,
    shortId: jobId,
    data,
    logger,
    async saveChatState(patch) {
      data.chat = { ...data.chat, ...patch };
    },
  };
}

/** Wait until the chat's edit window (a Redis key with a TTL) has closed, instead of sleeping past it. */
async function editWindowOpen(chatId: number): Promise<void> {
  await waitFor(async () => (await redis.exists(editSlotKey(prefix, chatId))) === 0, 'the edit window to open', 5_000);
}

function newChat() {
  const u = fake.user(++nextId);
  return fake.privateChat(u);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const stepUpdate = (step: 'fetch' | 'extract' | 'script' | 'render' | 'wait' | 'deliver', index: number) => ({
  step,
  phase: 'running' as const,
  index,
  total: 6,
});

describe('openFile', () => {
  it('downloads the PDF through getFile and /file/bot<token>/<path> on the API root', async () => {
    const chat = newChat();
    const bytes = Buffer.from('%PDF-1.4 fake but fine for the adapter\n');
    const f = fake.addFile(bytes);
    const src = await adapter().openFile(
      context(chat, { kind: 'telegram', fileId: f.file_id, size: f.file_size, name: 'a.pdf' }),
      MiB,
    );
    expect(src.size).toBe(bytes.length);
    expect(src.name).toBe('a.pdf');
    expect((await readAll(src.stream)).equals(bytes)).toBe(true);
    expect(fake.callsOf('GET /file').at(-1)?.params.file_path).toMatch(/^documents\/file_\d+\.pdf$/);
  });

  it('refuses from the metadata alone, without calling getFile, when the size is above the limit', async () => {
    const chat = newChat();
    const f = fake.addFile(Buffer.from('%PDF-1.4'), 3 * MiB);
    const before = fake.callsOf('getFile').length;
    const err = await adapter()
      .openFile(context(chat, { kind: 'telegram', fileId: f.file_id, size: f.file_size }), 2 * MiB)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe('PDF_TOO_LARGE');
    expect((err as JobError).userMessage()).toBe(describeError('PDF_TOO_LARGE', 'en', { limit: '2 MiB' }));
    expect(fake.callsOf('getFile')).toHaveLength(before);
  });

  it("caps downloads at the cloud Bot API's 20 MB even when MAX_PDF_BYTES allows more", async () => {
    const chat = newChat();
    // No size in the job's metadata: Telegram's getFile refuses ("file is too big").
    const f = fake.addFile(Buffer.from('%PDF-1.4'), 25 * MiB);
    const err = await adapter()
      .openFile(context(chat, { kind: 'telegram', fileId: f.file_id }), 100 * MiB)
      .catch((e: unknown) => e);
    expect((err as JobError).code).toBe('PDF_TOO_LARGE');
    expect((err as JobError).userMessage()).toContain('20 MiB');
    expect(fake.callsOf('getFile').at(-1)?.description).toBe('Bad Request: file is too big');

    // With the size in the metadata, getFile is not even asked.
    const before = fake.callsOf('getFile').length;
    const err2 = await adapter()
      .openFile(context(chat, { kind: 'telegram', fileId: f.file_id, size: f.file_size }), 100 * MiB)
      .catch((e: unknown) => e);
    expect((err2 as JobError).code).toBe('PDF_TOO_LARGE');
    expect(fake.callsOf('getFile')).toHaveLength(before);
  });

  it('reads the absolute path a local Bot API server answers, with no 20 MB cap', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'd2v-tg-local-'));
    const local = await FakeTelegram.start({ localDir: dir });
    try {
      const u = local.user(77);
      const chat = local.privateChat(u);
      const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(1000)]);
      const f = local.addFile(bytes, 30 * MiB); // above the cloud cap: fine locally
      const a = adapter({ f: local, localApi: true, localFilesDir: dir });
      expect(a.maxUploadBytes).toBe(2000 * MiB);
      // The claimed size passes the local limit; the real file on disk is what is read.
      const src = await a.openFile(context(chat, { kind: 'telegram', fileId: f.file_id }), 50 * MiB);
      expect(src.size).toBe(bytes.length);
      expect((await readAll(src.stream)).equals(bytes)).toBe(true);
      expect(local.callsOf('getFile').at(-1)?.status).toBe(200);
      expect(local.callsOf('GET /file')).toHaveLength(0);
    } finally {
      await local.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('absolute getFile paths (issue 13)', () => {
    let dir: string;
    let outside: string;
    let local: FakeTelegram;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'd2v-tg-local-'));
      outside = await mkdtemp(path.join(tmpdir(), 'd2v-tg-outside-'));
      local = await FakeTelegram.start({ localDir: dir });
    });
    afterAll(async () => {
      await local.close();
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    });

    async function refusal(a: TelegramAdapter, f: { file_id: string }) {
      const chat = local.privateChat(local.user(nextId++));
      const err = await a.openFile(context(chat, { kind: 'telegram', fileId: f.file_id }), MiB).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobError);
      expect((err as JobError).code).toBe('INTERNAL');
      expect((err as JobError).retryable).toBe(false);
      // The path (a local server keeps files under a folder named by the token) is not told.
      expect((err as JobError).message).not.toContain(dir);
      return (err as JobError).message;
    }

    it('are refused when the local Bot API mode is off: the worker reads no file from its disk', async () => {
      const f = local.addFile(Buffer.from('%PDF-1.4\n'));
      expect(await refusal(adapter({ f: local }), f)).toMatch(/local Bot API mode is off/);
      expect(local.callsOf('getFile').at(-1)?.status).toBe(200);
      expect(local.callsOf('GET /file')).toHaveLength(0);
    });

    it('are refused in local mode when they point outside TELEGRAM_LOCAL_FILES_DIR (other folder, symlink out)', async () => {
      const f = local.addFile(Buffer.from('%PDF-1.4\n'));
      expect(await refusal(adapter({ f: local, localApi: true, localFilesDir: outside }), f)).toMatch(
        /outside TELEGRAM_LOCAL_FILES_DIR/,
      );
      expect(await refusal(adapter({ f: local, localApi: true }), f)).toMatch(/no TELEGRAM_LOCAL_FILES_DIR/);

      // Inside the folder by name, outside it in fact: its documents/ is a link to elsewhere.
      const linked = await mkdtemp(path.join(tmpdir(), 'd2v-tg-linked-'));
      await symlink(outside, path.join(linked, 'documents'));
      const other = await FakeTelegram.start({ localDir: linked });
      try {
        const g = other.addFile(Buffer.from('%PDF-1.4\n'));
        const chat = other.privateChat(other.user(nextId++));
        const a = adapter({ f: other, localApi: true, localFilesDir: linked });
        const err = await a.openFile(context(chat, { kind: 'telegram', fileId: g.file_id }), MiB).catch((e: unknown) => e);
        expect((err as JobError).message).toMatch(/outside TELEGRAM_LOCAL_FILES_DIR/);
      } finally {
        await other.close();
        await rm(linked, { recursive: true, force: true });
      }
    });
  });

  it('reports a failed getFile without the token in the message', async () => {
    const chat = newChat();
    const f = fake.addFile(Buffer.from('%PDF-1.4'));
    const wrong = `${fake.token.split(':')[0]}:WRONG${randomBytes(16).toString('hex')}`;
    const err = await adapter({ token: wrong })
      .openFile(context(chat, { kind: 'telegram', fileId: f.file_id }), MiB)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe('INTERNAL');
    expect((err as JobError).message).toContain('401');
    expect((err as JobError).message).not.toContain(wrong.split(':')[1]);
  });
});

describe('progress', () => {
  it('sends one message, then edits it at most once per window, showing the newest step and never the same text', async () => {
    const chat = newChat();
    const a = adapter({ editIntervalMs: 800 });
    const ctx = context(chat, { kind: 'telegram', fileId: 'x' }, undefined);
    await a.progress(ctx, stepUpdate('fetch', 1));
    await a.progress(ctx, stepUpdate('fetch', 1)); // same text: nothing
    await a.progress(ctx, stepUpdate('extract', 2)); // window closed: kept for later
    await a.progress(ctx, stepUpdate('script', 3)); // replaces the kept text
    const msgs = fake.botMessages(chat.id);
    expect(msgs).toHaveLength(1);
    expect(ctx.data.chat.progressMessageId).toBe(msgs[0]!.message_id);

    const m = await fake.waitUntil(
      () => (fake.message(chat.id, msgs[0]!.message_id)!.history.length === 2 ? msgs[0] : undefined),
      'the trailing edit',
    );
    expect(m.history.map((h) => h.text)).toEqual(['▰▱▱▱▱▱ Downloading the PDF…', '▰▰▰▱▱▱ Writing the script…']);
    expect(m.history[1]!.at - m.history[0]!.at).toBeGreaterThanOrEqual(750);

    // The window is open again (wait it out): the next step is shown at once.
    await editWindowOpen(chat.id);
    await a.progress(ctx, stepUpdate('render', 4));
    expect(fake.message(chat.id, m.message_id)!.text).toBe('▰▰▰▰▱▱ Starting the video…');
    expect(
      fake
        .callsOf('editMessageText')
        .filter((c) => String(c.params.chat_id) === String(chat.id))
        .every((c) => c.status === 200),
    ).toBe(true);
  });

  it('shares the edit window between the jobs of one chat', async () => {
    const chat = newChat();
    const a = adapter({ editIntervalMs: 800 });
    const one = context(chat, { kind: 'telegram', fileId: 'x' });
    const two = context(chat, { kind: 'telegram', fileId: 'y' });
    await a.progress(one, stepUpdate('fetch', 1));
    await editWindowOpen(chat.id);
    await a.progress(two, stepUpdate('fetch', 1)); // a send (opens the window)
    await a.progress(one, stepUpdate('extract', 2)); // must wait for the window
    await fake.waitUntil(() => fake.botMessages(chat.id)[0]!.history.length === 2, 'the first job edit');
    const all = fake
      .botMessages(chat.id)
      .flatMap((m) => m.history.map((h) => h.at))
      .sort((x, y) => x - y);
    for (let i = 1; i < all.length; i++) expect(all[i]! - all[i - 1]!).toBeGreaterThanOrEqual(750);
  });

  it('ignores "message is not modified"', async () => {
    const chat = newChat();
    const a = adapter({ editIntervalMs: 300 });
    const ctx = context(chat, { kind: 'telegram', fileId: 'x' });
    await a.progress(ctx, stepUpdate('fetch', 1));
    // Our memory of the text is gone (e.g. expired), the message still shows it.
    for (const key of await redis.keys(`${prefix}:tg:progress:*`)) await redis.hdel(key, 'text');
    await editWindowOpen(chat.id);
    await expect(a.progress(ctx, stepUpdate('fetch', 1))).resolves.toBeUndefined();
    const last = fake.callsOf('editMessageText').at(-1)!;
    expect(last.status).toBe(400);
    expect(last.description).toMatch(/^Bad Request: message is not modified/);
  });

  it('turns 403 (bot blocked) into ChatUnavailableError', async () => {
    const chat = newChat();
    fake.block(chat.id);
    const err = await adapter()
      .progress(context(chat, { kind: 'telegram', fileId: 'x' }), stepUpdate('fetch', 1))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatUnavailableError);
  });
});

describe('deliverVideo and fail', () => {
  async function videoFile(bytes: Buffer) {
    const dir = await mkdtemp(path.join(tmpdir(), 'd2v-tg-video-'));
    const p = path.join(dir, 'video.mp4');
    await writeFile(p, bytes);
    return p;
  }

  it('uploads the MP4 as a reply once, and a retried delivery does not send it again', async () => {
    const chat = newChat();
    const pdf = fake.documentUpdate({ from: fake.user(chat.id), chat, bytes: Buffer.from('%PDF-1.4'), fileName: 'x.pdf' });
    const pdfId = (pdf.message as { message_id: number }).message_id;
    const a = adapter({ editIntervalMs: 300 });
    const ctx = context(chat, { kind: 'telegram', fileId: 'x' }, pdfId);
    await a.progress(ctx, stepUpdate('deliver', 6));
    const mp4 = await tinyMp4();
    const video = {
      path: await videoFile(mp4),
      bytes: mp4.length,
      fileName: 'Über das Leben — حياة.mp4',
      title: 'Über das Leben',
      durationSeconds: 61,
    };
    expect(await a.deliverVideo(ctx, video)).toEqual({ as: 'file' });
    expect(await a.deliverVideo(ctx, video)).toEqual({ as: 'file' });
    const videos = fake.videosTo(chat.id);
    expect(videos).toHaveLength(1);
    expect(videos[0]!.replyTo).toBe(pdfId);
    expect(videos[0]!.caption).toBe('🎬 Über das Leben · 1:01');
    expect(videos[0]!.videoFileName).toBe('Über das Leben — حياة.mp4');
    expect(videos[0]!.videoBytes!.equals(mp4)).toBe(true);
    expect(videos[0]!.video!.duration).toBe(61);
    expect(fake.botMessages(chat.id)[0]!.text).toBe(doneText('en'));
  });

  it('sends a download link instead when the video is above the upload limit', async () => {
    const chat = newChat();
    const a = adapter({ maxUploadBytes: 1000 });
    const ctx = context(chat, { kind: 'telegram', fileId: 'x' }, undefined, 'ar');
    const mp4 = await tinyMp4();
    const url = 'https://d-id.example/results/abc.mp4';
    const sent = await a.deliverVideo(ctx, {
      path: await videoFile(mp4),
      bytes: mp4.length,
      fileName: 'v.mp4',
      title: 'T',
      linkUrl: url,
    });
    expect(sent).toEqual({ as: 'link' });
    expect(fake.videosTo(chat.id)).toHaveLength(0);
    expect(fake.textsTo(chat.id)).toEqual([linkInsteadText('ar', url, mp4.length, 1000)]);
  });

  it('fails with VIDEO_TOO_LARGE when the video is above the limit and there is no link', async () => {
    const chat = newChat();
    const a = adapter({ maxUploadBytes: 1000 });
    const mp4 = await tinyMp4();
    const err = await a
      .deliverVideo(context(chat, { kind: 'telegram', fileId: 'x' }), {
        path: await videoFile(mp4),
        bytes: mp4.length,
        fileName: 'v.mp4',
        title: 'T',
      })
      .catch((e: unknown) => e);
    expect((err as JobError).code).toBe('VIDEO_TOO_LARGE');
  });

  it('throws ChatUnavailableError when the user blocked the bot before the upload', async () => {
    const chat = newChat();
    fake.block(chat.id);
    const mp4 = await tinyMp4();
    const err = await adapter()
      .deliverVideo(context(chat, { kind: 'telegram', fileId: 'x' }), {
        path: await videoFile(mp4),
        bytes: mp4.length,
        fileName: 'v.mp4',
        title: 'T',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatUnavailableError);
  });

  it('fail() replies with the code and what to do, and marks the progress message stopped', async () => {
    const chat = newChat();
    const a = adapter({ editIntervalMs: 300 });
    const ctx = context(chat, { kind: 'telegram', fileId: 'x' });
    await a.progress(ctx, stepUpdate('extract', 2));
    await a.fail(ctx, new JobError('PDF_ENCRYPTED'));
    const texts = fake.botMessages(chat.id).map((m) => m.text);
    expect(texts).toEqual([failedProgressText('en', 'PDF_ENCRYPTED'), `❌ ${describeError('PDF_ENCRYPTED', 'en')}`]);
  });
});
