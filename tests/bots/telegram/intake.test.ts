// Refusals at the door, answered with their codes before any work is queued: the per-user rate
// limit, an admission guard's BUDGET_EXCEEDED, the cloud Bot API's 20 MB download cap, and (in
// long polling, where Telegram will not redeliver, an enqueue failure is retried until the job is
// stored). No worker runs here.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { rateLimitedText } from '../../../bots/texts.js';
import { JobError, describeError } from '../../../src/errors.js';
import type { AdmissionGuard } from '../../../src/queue/submit.js';
import { corpus, startTelegramRig, type TelegramRig } from '../../helpers/telegram.js';

const MiB = 1024 * 1024;
const overBudget = new Set<string>();
/** userKey -> how many more submits fail as if Redis were down. */
const broken = new Map<string, number>();
const guard: AdmissionGuard = async (req) => {
  if (overBudget.has(req.requester.userKey)) throw new JobError('BUDGET_EXCEEDED');
  const left = broken.get(req.requester.userKey) ?? 0;
  if (left > 0) {
    broken.set(req.requester.userKey, left - 1);
    throw new Error("READONLY You can't write against a read only replica.");
  }
};

describe.each(['webhook', 'polling'] as const)('Telegram intake refusals (%s)', (mode) => {
  let rig: TelegramRig;
  let nextUser = mode === 'webhook' ? 6000 : 7000;

  beforeAll(async () => {
    rig = await startTelegramRig({
      redisUrl: inject('redisUrl'),
      mode,
      // 50 MiB allowed by us, but the cloud Bot API hands bots at most 20 MB.
      env: { RATE_LIMIT_MAX: '1', RATE_LIMIT_WINDOW_SECONDS: '3600', MAX_PDF_BYTES: String(50 * MiB) },
      guards: [guard],
      worker: false,
    });
  });
  afterAll(async () => rig?.close());

  function newUser(lang = 'en') {
    const u = rig.fake.user(++nextUser, { language_code: lang });
    return { u, chat: rig.fake.privateChat(u) };
  }

  async function pdfFrom(u: ReturnType<typeof newUser>, extra: { size?: number } = {}): Promise<string> {
    const before = rig.fake.textsTo(u.chat.id).length;
    const update = rig.fake.documentUpdate({
      from: u.u,
      chat: u.chat,
      bytes: await corpus('crazyones-pdfa.pdf'),
      fileName: 'c.pdf',
      mimeType: 'application/pdf',
      ...extra,
    });
    await rig.fake.send(update);
    return rig.fake.waitUntil(() => rig.fake.textsTo(u.chat.id)[before], 'the answer');
  }

  it('RATE_LIMITED after the limit, with when to try again', async () => {
    const user = newUser();
    expect(await pdfFrom(user)).toMatch(/^📄 Got it!/);
    const second = await pdfFrom(user);
    expect(second).toMatch(/^RATE_LIMITED: You have reached the limit of 1 videos per 1 h\. Try again in /);
    expect(second.startsWith(rateLimitedText('en', { max: 1, windowSeconds: 3600 }, 3_600_000).slice(0, 40))).toBe(true);
    expect(await rig.h.services.records.listForUser(`tg:${user.u.id}`)).toHaveLength(1);
  });

  it('BUDGET_EXCEEDED from an admission guard, in the user language', async () => {
    const user = newUser('ar');
    overBudget.add(`tg:${user.u.id}`);
    expect(await pdfFrom(user)).toBe(describeError('BUDGET_EXCEEDED', 'ar'));
    expect(await rig.h.services.records.listForUser(`tg:${user.u.id}`)).toEqual([]);
  });

  it('PDF_TOO_LARGE above the 20 MB the Bot API lets bots download, without getFile', async () => {
    const user = newUser();
    const getFiles = rig.fake.callsOf('getFile').length;
    expect(await pdfFrom(user, { size: 25 * MiB })).toBe(describeError('PDF_TOO_LARGE', 'en', { limit: '20 MiB' }));
    expect(rig.fake.callsOf('getFile')).toHaveLength(getFiles);
  });

  it.runIf(mode === 'polling')(
    'long polling retries a failed enqueue until the job is stored, and never asks to send it again',
    async () => {
      const user = newUser();
      const userKey = `tg:${user.u.id}`;
      const failedBefore = rig.h.logs.events('telegram_enqueue_failed').length;
      broken.set(userKey, 3);
      expect(await pdfFrom(user)).toMatch(/^📄 Got it!/);
      expect(broken.get(userKey)).toBe(0);
      expect(rig.h.logs.events('telegram_enqueue_failed').length - failedBefore).toBe(3);
      expect(await rig.h.services.records.listForUser(userKey)).toHaveLength(1);
      // The only answer is the acceptance: no INTERNAL / "send it again".
      expect(rig.fake.textsTo(user.chat.id)).toHaveLength(1);
      expect(rig.fake.textsTo(user.chat.id).join('\n')).not.toContain('INTERNAL');
    },
  );

  it('sets the command menu in English and Arabic', () => {
    const calls = rig.fake.callsOf('setMyCommands');
    expect(calls.map((c) => c.params.language_code ?? 'default').sort()).toEqual(['ar', 'default']);
    expect((calls[0]!.params.commands as { command: string }[]).map((c) => c.command)).toEqual([
      'help',
      'status',
      'cancel',
      'avatar',
      'style',
      'video',
    ]);
  });
});
