// The new admission answers as a Telegram user sees them, through the real webhook: the intake
// ceiling (SERVICE_BUSY, nothing stored) and the allow-list (NOT_ALLOWED), in English and Arabic.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { describeError } from '../../../src/errors.js';
import { jobIdFor } from '../../../src/queue/video-queue.js';
import { corpus, startTelegramRig, type TelegramRig } from '../../helpers/telegram.js';

describe('Telegram answers to admission refusals', () => {
  let rig: TelegramRig;
  let nextUser = 9100;
  beforeAll(async () => {
    rig = await startTelegramRig({
      redisUrl: inject('redisUrl'),
      mode: 'webhook',
      // One job at a time in all; only users 9101-9103 may use the bot.
      env: { MAX_QUEUED_JOBS: '1', ALLOWED_TELEGRAM_USERS: '9101,9102,9103' },
      worker: false,
    });
  });
  afterAll(async () => rig?.close());

  async function pdfFrom(id: number, lang = 'en') {
    const u = rig.fake.user(id, { language_code: lang });
    const chat = rig.fake.privateChat(u);
    const update = rig.fake.documentUpdate({
      from: u,
      chat,
      bytes: await corpus('crazyones-pdfa.pdf'),
      fileName: 'c.pdf',
      mimeType: 'application/pdf',
    });
    const res = await rig.fake.send(update);
    const messageId = (update.message as { message_id: number }).message_id;
    const text = await rig.fake.waitUntil(() => rig.fake.textsTo(chat.id)[0], 'the answer');
    return { res, text, jobId: jobIdFor(`tg:${chat.id}:${messageId}`) };
  }

  it('past MAX_QUEUED_JOBS the next user is told the service is busy, and nothing of theirs is stored', async () => {
    const first = await pdfFrom(++nextUser);
    expect(first.text).toMatch(/^📄 Got it!/);
    const busy = await pdfFrom(++nextUser);
    expect(busy.res?.status).toBe(200);
    expect(busy.text).toBe(describeError('SERVICE_BUSY', 'en'));
    const arabic = await pdfFrom(++nextUser, 'ar');
    expect(arabic.text).toBe(describeError('SERVICE_BUSY', 'ar'));
    expect(await rig.h.services.records.get(busy.jobId)).toBeUndefined();
    expect(await rig.h.services.queue.getJob(busy.jobId)).toBeUndefined();
    expect(await rig.h.services.queue.count()).toBe(1);
  });

  it('a user outside ALLOWED_TELEGRAM_USERS is told so, and nothing is stored', async () => {
    const stranger = await pdfFrom(4242);
    expect(stranger.text).toBe(describeError('NOT_ALLOWED', 'en'));
    expect(await rig.h.services.records.listForUser('tg:4242')).toEqual([]);
  });
});
