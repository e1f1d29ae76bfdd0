// The Telegram bot end to end in webhook mode: the fake Bot API posts updates to the real
// grammY webhook on our HTTP server; real Redis, real worker, real pipeline steps; the video
// provider is a test double that hands back a tiny real MP4.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { acceptedText, cancelText, doneText, duplicateText, failedProgressText, helpText } from '../../../bots/texts.js';
import { describeError } from '../../../src/errors.js';
import { UserPreferences } from '../../../src/jobs/preferences.js';
import type { JobRecord } from '../../../src/jobs/records.js';
import type { AdmissionGuard } from '../../../src/queue/submit.js';
import { waitFor } from '../../helpers/harness.js';
import { corpus, startTelegramRig, tinyMp4, type TelegramRig } from '../../helpers/telegram.js';
import type { FakeChat, FakeUser, StoredMessage } from '../../fakes/telegram.js';

/** The test PDF has one page: the finished message says the video covers it. */
const ONE_PAGE = { pagesCovered: 1, pages: 1 };

const MiB = 1024 * 1024;
const JOB_ID = /Job ([a-z0-9]{10})/;

let rig: TelegramRig;
/** Users whose next submit fails like a Redis outage (a guard throwing a plain Error). */
const failingUsers = new Set<string>();
const flakyGuard: AdmissionGuard = async (req) => {
  if (failingUsers.delete(req.requester.userKey)) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
};

beforeAll(async () => {
  rig = await startTelegramRig({
    redisUrl: inject('redisUrl'),
    mode: 'webhook',
    env: { MAX_PDF_BYTES: String(MiB) },
    guards: [flakyGuard],
  });
});
afterAll(async () => rig?.close());

let nextUser = 2000;
function newUser(extra: Partial<FakeUser> = {}): { u: FakeUser; chat: FakeChat } {
  const u = rig.fake.user(++nextUser, extra);
  return { u, chat: rig.fake.privateChat(u) };
}

async function sendPdf(u: FakeUser, chat: FakeChat, file = 'crazyones-pdfa.pdf', extra: { caption?: string } = {}) {
  const bytes = await corpus(file);
  const update = rig.fake.documentUpdate({ from: u, chat, bytes, fileName: file, mimeType: 'application/pdf', ...extra });
  const res = await rig.fake.send(update);
  const messageId = (update.message as { message_id: number }).message_id;
  return { update, res, messageId };
}

const jobIdIn = (texts: string[]) => texts.map((t) => JOB_ID.exec(t)?.[1]).find(Boolean);

async function finished(jobId: string): Promise<JobRecord> {
  return waitFor(
    async () => {
      const r = await rig.h.services.records.get(jobId);
      return r && ['completed', 'failed', 'cancelled'].includes(r.state) ? r : undefined;
    },
    `job ${jobId} to finish`,
    45_000,
  );
}

const progressMessageOf = (chatId: number): StoredMessage | undefined =>
  rig.fake.botMessages(chatId).find((m) => /^[▰▱⏳]/.test(m.history[0]?.text ?? '') || m.history[0]?.text.startsWith('\u200f⏳'));

describe('Telegram webhook: a PDF in a private chat', () => {
  it('acknowledges within the request, edits one progress message, and replies with exactly one MP4', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    const { res, messageId } = await sendPdf(u, chat);

    // The webhook was answered only after the job was enqueued, with the acknowledgement as its
    // body (a webhook reply: no Bot API request of its own), which Telegram then sent.
    expect(res?.status).toBe(200);
    const ackTexts = fake.textsTo(chat.id);
    expect(ackTexts).toHaveLength(1);
    const jobId = jobIdIn(ackTexts)!;
    expect(ackTexts[0]).toBe(acceptedText('en', jobId, 1));
    expect(fake.botMessages(chat.id)[0]!.replyTo).toBe(messageId);
    expect(JSON.parse(res!.body)).toMatchObject({ method: 'sendMessage', chat_id: chat.id, text: ackTexts[0] });
    const acks = fake.callsOf('sendMessage').filter((c) => String(c.params.chat_id) === String(chat.id));
    expect(acks.map((c) => [c.viaWebhookReply, c.status])).toEqual([[true, 200]]);

    const rec = await finished(jobId);
    expect(rec.state).toBe('completed');
    const progress = await fake.waitUntil(() => {
      const p = progressMessageOf(chat.id);
      return p?.text === doneText('en', ONE_PAGE) ? p : undefined;
    }, 'the progress message to say done');

    // One progress message, edited in place; never the same text twice in a row.
    const progressMessages = fake.botMessages(chat.id).filter((m) => m.history[0]?.text.startsWith('▰'));
    expect(progressMessages).toHaveLength(1);
    const texts = progress.history.map((h) => h.text);
    expect(texts[0]).toBe('▰▱▱▱▱▱▱ Downloading the PDF…');
    expect(texts.at(-1)).toBe(doneText('en', ONE_PAGE));
    for (let i = 1; i < texts.length; i++) expect(texts[i]).not.toBe(texts[i - 1]);
    const edits = fake.callsOf('editMessageText').filter((c) => String(c.params.chat_id) === String(chat.id));
    expect(edits.every((c) => c.status === 200)).toBe(true);
    // At most one change every 3 s in this chat (the first send opens the window too).
    const times = progress.history.map((h) => h.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(2_900);

    // Exactly one video: the MP4's bytes, in this chat, as a reply to the PDF, with a caption.
    const videos = fake.videosTo(chat.id);
    expect(videos).toHaveLength(1);
    const video = videos[0]!;
    expect(video.replyTo).toBe(messageId);
    expect(video.videoBytes!.subarray(4, 8).toString('latin1')).toBe('ftyp');
    // The explainer composite made from the renderer's clip, not the clip itself.
    expect(video.videoBytes!.equals(await tinyMp4())).toBe(false);
    expect(video.caption).toMatch(/^🎬 The Crazy Ones · 0:01$/);
    const sendVideos = fake.callsOf('sendVideo').filter((c) => String(c.params.chat_id) === String(chat.id));
    expect(sendVideos).toHaveLength(1);
    expect(sendVideos[0]!.contentType).toMatch(/^multipart\/form-data/);
    // upload_video was shown while uploading.
    const action = fake.callsOf('sendChatAction').find((c) => String(c.params.chat_id) === String(chat.id));
    expect(action?.params.action).toBe('upload_video');
    expect(action!.at).toBeLessThanOrEqual(sendVideos[0]!.at);
  });
});

describe('Telegram webhook: bad input is answered with its code', () => {
  it('refuses a PDF above MAX_PDF_BYTES at once, without calling getFile or making a job', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    const getFiles = fake.callsOf('getFile').length;
    const update = fake.documentUpdate({
      from: u,
      chat,
      bytes: await corpus('crazyones-pdfa.pdf'),
      size: 5 * MiB,
      fileName: 'big.pdf',
      mimeType: 'application/pdf',
    });
    const res = await fake.send(update);
    expect(res?.status).toBe(200);
    expect(fake.textsTo(chat.id)).toEqual([describeError('PDF_TOO_LARGE', 'en', { limit: '1 MiB' })]);
    expect(fake.callsOf('getFile')).toHaveLength(getFiles);
    expect(await rig.h.services.records.listForUser(`tg:${u.id}`)).toEqual([]);
  });

  it('refuses a document that is not a PDF (mime type and name) before enqueueing', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    const update = fake.documentUpdate({
      from: u,
      chat,
      bytes: Buffer.from('PK\u0003\u0004 a word document'),
      fileName: 'notes.docx',
      mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    });
    await fake.send(update);
    expect(fake.textsTo(chat.id)).toEqual([describeError('NOT_A_PDF', 'en')]);
    expect(await rig.h.services.records.listForUser(`tg:${u.id}`)).toEqual([]);
  });

  it('answers NOT_A_PDF for a ".pdf" whose bytes have no %PDF- header, and marks the progress stopped', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    const update = fake.documentUpdate({
      from: u,
      chat,
      bytes: Buffer.from('this is only text pretending to be a PDF\n'.repeat(10)),
      fileName: 'report.pdf',
      mimeType: 'application/pdf',
    });
    const pdfMessageId = (update.message as { message_id: number }).message_id;
    await fake.send(update);
    const jobId = jobIdIn(fake.textsTo(chat.id))!;
    expect((await finished(jobId)).code).toBe('NOT_A_PDF');
    const reply = await fake.waitUntil(
      () => fake.botMessages(chat.id).find((m) => m.text?.startsWith('❌ NOT_A_PDF')),
      'the failure reply',
    );
    expect(reply.text).toBe(`❌ ${describeError('NOT_A_PDF', 'en')}`);
    expect(reply.replyTo).toBe(pdfMessageId);
    await fake.waitUntil(() => progressMessageOf(chat.id)?.text === failedProgressText('en', 'NOT_A_PDF'), 'progress stopped');
    expect(fake.videosTo(chat.id)).toHaveLength(0);
  });

  it('answers PDF_SCANNED for an image-only PDF', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    await sendPdf(u, chat, 'imagemagick-images.pdf');
    const jobId = jobIdIn(fake.textsTo(chat.id))!;
    expect((await finished(jobId)).code).toBe('PDF_SCANNED');
    await fake.waitUntil(() => fake.textsTo(chat.id).includes(`❌ ${describeError('PDF_SCANNED', 'en')}`), 'PDF_SCANNED reply');
    expect(fake.videosTo(chat.id)).toHaveLength(0);
  });

  it('answers in Arabic for an Arabic-speaking user (TEXT_TOO_SHORT for a short Arabic PDF)', async () => {
    const { fake } = rig;
    const { u, chat } = newUser({ language_code: 'ar' });
    await sendPdf(u, chat, 'habibi.pdf');
    const texts = fake.textsTo(chat.id);
    const jobId = /([a-z0-9]{10})/.exec(texts[0]!)![1]!;
    expect(texts[0]).toBe(acceptedText('ar', jobId, 1));
    expect((await finished(jobId)).code).toBe('TEXT_TOO_SHORT');
    await fake.waitUntil(
      () => fake.textsTo(chat.id).includes(`❌ ${describeError('TEXT_TOO_SHORT', 'ar')}`),
      'Arabic failure reply',
    );
    // The progress message speaks Arabic too.
    expect(progressMessageOf(chat.id)?.history[0]?.text).toBe('▰▱▱▱▱▱▱ جارٍ تنزيل الملف…');
  });
});

describe('Telegram webhook: commands', () => {
  it('/start and /help explain the bot and its limits', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    await fake.send(fake.textUpdate({ from: u, chat, text: '/start' }));
    await fake.send(fake.textUpdate({ from: u, chat, text: '/help' }));
    const limits = { max: 20, windowSeconds: 600, maxActive: 2, maxPdfBytes: MiB };
    expect(fake.textsTo(chat.id)).toEqual([helpText('en', limits), helpText('en', limits)]);
  });

  it("/status lists the user's own jobs and never another user's", async () => {
    const { fake } = rig;
    const a = newUser();
    const b = newUser();
    await sendPdf(a.u, a.chat);
    await sendPdf(b.u, b.chat);
    const jobA = jobIdIn(fake.textsTo(a.chat.id))!;
    const jobB = jobIdIn(fake.textsTo(b.chat.id))!;
    expect(jobA).not.toBe(jobB);

    await fake.send(fake.textUpdate({ from: a.u, chat: a.chat, text: '/status' }));
    await fake.send(fake.textUpdate({ from: b.u, chat: b.chat, text: '/status' }));
    const statusA = fake.textsTo(a.chat.id).find((t) => t.startsWith('Your jobs'))!;
    const statusB = fake.textsTo(b.chat.id).find((t) => t.startsWith('Your jobs'))!;
    expect(statusA).toContain(jobA);
    expect(statusA).not.toContain(jobB);
    expect(statusB).toContain(jobB);
    expect(statusB).not.toContain(jobA);
    await finished(jobA);
    await finished(jobB);
  });

  it('/cancel stops a waiting job of the user; nothing is sent for it afterwards; others cannot cancel it', async () => {
    const { fake, renderer, h } = rig;
    const { u, chat } = newUser();
    const other = newUser();
    renderer.hold();
    try {
      const first = await sendPdf(u, chat);
      const jobId = jobIdIn(fake.textsTo(chat.id))!;
      // Parked while the (held) render is pending (no worker holds it), its progress on "rendering".
      await waitFor(async () => (await h.services.queue.getJob(jobId))?.isDelayed(), 'the job to wait for its render');
      const progress = await fake.waitUntil(() => {
        const p = fake.botMessages(chat.id).find((m) => m.replyTo === first.messageId && m.history[0]?.text.startsWith('▰'));
        return p?.text === '▰▰▰▰▰▱▱ Rendering the video…' ? p : undefined;
      }, 'the progress message to show the render');

      await fake.send(fake.textUpdate({ from: other.u, chat: other.chat, text: `/cancel ${jobId}` }));
      expect(fake.textsTo(other.chat.id)).toEqual([cancelText('en', 'not-found', jobId)]);

      await fake.send(fake.textUpdate({ from: u, chat, text: `/cancel ${jobId}` }));
      expect(fake.textsTo(chat.id).at(-1)).toBe(cancelText('en', 'cancelled', jobId));
      const afterCancel = fake.calls.length;
      expect((await h.services.records.get(jobId))?.state).toBe('cancelled');
      expect(await h.services.queue.getJob(jobId)).toBeUndefined();

      // Renders finish again; a new PDF from the same user goes all the way...
      renderer.release();
      const second = await sendPdf(u, chat);
      const secondJob = jobIdIn(fake.textsTo(chat.id).slice(-1))!;
      expect((await finished(secondJob)).state).toBe('completed');
      await fake.waitUntil(() => fake.videosTo(chat.id).length === 1, 'the second video');

      // ...and nothing more was ever sent about the cancelled one.
      const videos = fake.videosTo(chat.id);
      expect(videos.map((v) => v.replyTo)).toEqual([second.messageId]);
      const laterAboutFirst = fake.calls
        .slice(afterCancel)
        .filter((c) => String(c.params.chat_id) === String(chat.id))
        .filter((c) => (c.params.reply_parameters as { message_id?: unknown } | undefined)?.message_id === first.messageId);
      expect(laterAboutFirst).toEqual([]);
      const laterEdits = fake.calls
        .slice(afterCancel)
        .filter((c) => c.method === 'editMessageText' && String(c.params.chat_id) === String(chat.id))
        .filter((c) => Number(c.params.message_id) === progress.message_id);
      expect(laterEdits).toEqual([]);
      expect(fake.textsTo(chat.id).some((t) => t.startsWith('CANCELLED'))).toBe(false);
    } finally {
      renderer.release();
    }
  });

  it('/cancel without an id explains how to use it', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    await fake.send(fake.textUpdate({ from: u, chat, text: '/cancel' }));
    expect(fake.textsTo(chat.id)[0]).toMatch(/^Type \/cancel followed by the job id/);
  });

  it('/avatar offers the configured styles; the choice is remembered in Redis and used for the next video', async () => {
    const { fake, h, renderer } = rig;
    const { u, chat } = newUser();
    await fake.send(fake.textUpdate({ from: u, chat, text: '/avatar' }));
    const prompt = fake.botMessages(chat.id)[0]!;
    const keyboard = (prompt.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard;
    expect(keyboard.flat().map((b) => b.callback_data)).toEqual(['avatar:professional', 'avatar:friendly']);

    const answered = fake.callsOf('answerCallbackQuery').length;
    const res = await fake.send(fake.callbackUpdate({ from: u, message: prompt, data: 'avatar:friendly' }));
    expect(res?.status).toBe(200);
    const answers = fake.callsOf('answerCallbackQuery').slice(answered);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.status).toBe(200);
    expect(answers[0]!.params.text).toMatch(/Friendly/);
    expect(fake.message(chat.id, prompt.message_id)!.text).toMatch(/Friendly/);

    const prefs = new UserPreferences(h.services.redis, h.prefix);
    expect(await prefs.getAvatar(`tg:${u.id}`)).toBe('friendly');

    await sendPdf(u, chat);
    const jobId = jobIdIn(fake.textsTo(chat.id))!;
    await finished(jobId);
    const created = renderer.creates.filter((r) => r.title === 'The Crazy Ones').at(-1);
    expect(created?.avatarStyle).toBe('friendly');
    const job = (await h.services.queue.getJob(jobId))!;
    expect(job.data.options.avatarStyle).toBe('friendly');
  });

  it('a private message that is not a PDF gets a hint', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    await fake.send(fake.textUpdate({ from: u, chat, text: 'hello?' }));
    expect(fake.textsTo(chat.id)[0]).toMatch(/^Send me a PDF/);
  });
});

describe('Telegram webhook: delivery and idempotence', () => {
  it('the same update delivered twice makes one job and one acknowledgement', async () => {
    const { fake, h } = rig;
    const { u, chat } = newUser();
    const bytes = await corpus('crazyones-pdfa.pdf');
    const update = fake.documentUpdate({ from: u, chat, bytes, fileName: 'a.pdf', mimeType: 'application/pdf' });
    const [r1, r2] = [await fake.send(update), await fake.send(update)];
    expect(r1?.status).toBe(200);
    expect(r2?.status).toBe(200);
    // The second delivery is answered with an empty 200: no second acknowledgement.
    expect(r2?.body).toBe('');
    expect(fake.textsTo(chat.id)).toHaveLength(1);
    expect(h.logs.events('telegram_update_repeated').filter((e) => e.updateId === update.update_id)).toHaveLength(1);
    const jobs = await h.services.records.listForUser(`tg:${u.id}`);
    expect(jobs).toHaveLength(1);
    expect(h.logs.events('job_created').filter((e) => e.userKey === `tg:${u.id}`)).toHaveLength(1);
    await finished(jobs[0]!.jobId);
    await fake.waitUntil(() => fake.videosTo(chat.id).length === 1, 'the video');
  });

  it('an enqueue failure answers 500 (Telegram redelivers) and the redelivery makes the job', async () => {
    const { fake, h } = rig;
    const { u, chat } = newUser();
    failingUsers.add(`tg:${u.id}`);
    const update = fake.documentUpdate({
      from: u,
      chat,
      bytes: await corpus('crazyones-pdfa.pdf'),
      fileName: 'a.pdf',
      mimeType: 'application/pdf',
    });
    const first = await fake.send(update);
    expect(first?.status).toBe(500);
    expect(fake.textsTo(chat.id)).toEqual([]);
    const second = await fake.send(update);
    expect(second?.status).toBe(200);
    expect(fake.textsTo(chat.id)).toHaveLength(1);
    const jobs = await h.services.records.listForUser(`tg:${u.id}`);
    expect(jobs).toHaveLength(1);
    await finished(jobs[0]!.jobId);
  });

  it('a missing or wrong secret header gets 401 and does nothing', async () => {
    const { fake, h } = rig;
    const { u, chat } = newUser();
    const bytes = await corpus('crazyones-pdfa.pdf');
    const update = fake.documentUpdate({ from: u, chat, bytes, fileName: 'a.pdf', mimeType: 'application/pdf' });
    expect((await fake.postToWebhook(update, { secret: null })).status).toBe(401);
    expect((await fake.postToWebhook(update, { secret: 'wrong-secret' })).status).toBe(401);
    expect(fake.textsTo(chat.id)).toEqual([]);
    expect(await h.services.records.listForUser(`tg:${u.id}`)).toEqual([]);
  });

  it('honours 429 retry_after on sendVideo: the video arrives once, after the wait', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    fake.rateLimitNext('sendVideo', 2, { chatId: chat.id });
    await sendPdf(u, chat);
    const jobId = jobIdIn(fake.textsTo(chat.id))!;
    expect((await finished(jobId)).state).toBe('completed');
    const calls = fake.callsOf('sendVideo').filter((c) => String(c.params.chat_id) === String(chat.id));
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1_900);
    expect(fake.videosTo(chat.id)).toHaveLength(1);
  });

  it('a user who blocked the bot: the job ends quietly, nothing paid is spent, the worker goes on', async () => {
    const { fake, h, renderer } = rig;
    const blocked = newUser();
    fake.block(blocked.chat.id);
    const rendersBefore = renderer.creates.length;
    const { res } = await sendPdf(blocked.u, blocked.chat, 'pdflatex-4-pages.pdf');
    expect(res?.status).toBe(200); // the job is durable; only the acknowledgement failed
    const [job] = await h.services.records.listForUser(`tg:${blocked.u.id}`);
    expect((await finished(job!.jobId)).state).toBe('cancelled');
    expect(h.logs.events('chat_unavailable').some((e) => e.jobId === job!.jobId)).toBe(true);
    expect(renderer.creates).toHaveLength(rendersBefore);
    // The acknowledgement went as the webhook's reply: Telegram refused it (403) and told nobody.
    const acks = fake.callsOf('sendMessage').filter((c) => String(c.params.chat_id) === String(blocked.chat.id));
    // (Later 403s are the worker's progress message, which ends the job.)
    expect(acks[0]).toMatchObject({ viaWebhookReply: true, status: 403 });
    expect(acks.filter((c) => c.viaWebhookReply)).toHaveLength(1);

    // The worker is alive: the next user's video goes out.
    const { u, chat } = newUser();
    await sendPdf(u, chat);
    const jobId = jobIdIn(fake.textsTo(chat.id))!;
    expect((await finished(jobId)).state).toBe('completed');
    expect(fake.videosTo(chat.id)).toHaveLength(1);
  });
});

describe('Telegram webhook: groups', () => {
  it('ignores PDFs not addressed to the bot, acts on /video in the caption, a mention, or /video as a reply', async () => {
    const { fake } = rig;
    const group = fake.groupChat(-1001234567);
    const { u } = newUser();
    const v = newUser();
    const pdf = await corpus('crazyones-pdfa.pdf');
    const doc = (caption?: string) =>
      fake.documentUpdate({
        from: u,
        chat: group,
        bytes: pdf,
        fileName: 'g.pdf',
        mimeType: 'application/pdf',
        ...(caption ? { caption } : {}),
      });

    await fake.send(doc());
    await fake.send(doc('look at this'));
    expect(fake.botMessages(group.id)).toEqual([]);

    const idOf = (update: Record<string, unknown>) => (update.message as { message_id: number }).message_id;
    const ackFor = (pdfId: number) =>
      fake.botMessages(group.id).find((m) => m.replyTo === pdfId && JOB_ID.test(m.history[0]?.text ?? ''));

    const addressed = doc('/video');
    await fake.send(addressed);
    const ack = ackFor(idOf(addressed));
    expect(ack?.text).toMatch(/^📄 Got it!/);

    const mention = doc(`@${fake.botInfo.username} make a video please`);
    await fake.send(mention);
    const ack2 = ackFor(idOf(mention));
    expect(ack2?.text).toMatch(/^📄 Got it!/);

    // /video replying to an earlier PDF (by someone else) makes a job for the one who asked.
    const plain = doc();
    await fake.send(plain);
    const plainId = idOf(plain);
    const ask = fake.textUpdate({ from: v.u, chat: group, text: `/video@${fake.botInfo.username}`, replyTo: plainId });
    await fake.send(ask);
    // The acknowledgement answers the one who asked; the job's progress and video answer the PDF.
    const ack3 = ackFor(idOf(ask));
    expect(ack3?.text).toMatch(/^📄 Got it!/);
    const [vJob] = await rig.h.services.records.listForUser(`tg:${v.u.id}`);
    expect(vJob?.jobId).toBe(JOB_ID.exec(ack3!.text!)![1]);

    // Asking again for the same PDF is the same job.
    const again = fake.textUpdate({ from: v.u, chat: group, text: '/video', replyTo: plainId });
    await fake.send(again);
    const dup = fake.botMessages(group.id).find((m) => m.replyTo === idOf(again));
    expect(dup?.text).toBe(duplicateText('en', vJob!.jobId));

    // Each job ends with its video in the group, as a reply to its PDF.
    for (const [a, pdfId] of [
      [ack, idOf(addressed)],
      [ack2, idOf(mention)],
      [ack3, plainId],
    ] as const) {
      expect((await finished(JOB_ID.exec(a!.text!)![1]!)).state).toBe('completed');
      await fake.waitUntil(() => fake.videosTo(group.id).some((m) => m.replyTo === pdfId), 'the group video');
    }
    expect(fake.videosTo(group.id)).toHaveLength(3);
  });
});

describe('Telegram webhook: secrets', () => {
  it('never writes the bot token into the logs', () => {
    expect(rig.h.logs.lines.length).toBeGreaterThan(10);
    expect(rig.h.logs.text()).not.toContain(rig.fake.token);
    expect(rig.h.logs.text()).not.toContain(rig.fake.token.split(':')[1]!);
  });
});
