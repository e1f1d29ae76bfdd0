// /usage end to end: the real grammY bot (webhook mode) against the fake Bot API, with the ops
// ledger wired into the real worker on real Redis. After one completed job, an admin (ADMIN_IDS)
// gets the day's report; anyone else gets what an unknown command gets, never the report.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { commandMenu, sendPdfHintText } from '../../../bots/texts.js';
import { usageHintText } from '../../../bots/usage.js';
import { utcDay } from '../../../src/ops/costs.js';
import { formatUsage, type UsageReport } from '../../../src/ops/usage.js';
import { waitFor } from '../../helpers/harness.js';
import { corpus, startTelegramRig, type TelegramRig } from '../../helpers/telegram.js';
import type { FakeUser } from '../../fakes/telegram.js';

const ADMIN = 8101; // listed as a bare id
const ADMIN_AR = 8102; // listed as the user key the report shows
const WORKER_USER = 8201;

let rig: TelegramRig;
let report: UsageReport;
let nextUser = 8300;

beforeAll(async () => {
  rig = await startTelegramRig({
    redisUrl: inject('redisUrl'),
    mode: 'webhook',
    // A 1-second video at $6 a minute costs $0.10; the local script writer is free.
    env: { ADMIN_IDS: `${ADMIN}, tg:${ADMIN_AR}, U0SLACKADMIN`, DID_PRICE_PER_MINUTE: '6' },
    ops: true,
  });

  // One job all the way, from a user who is not an admin.
  const { fake, h } = rig;
  const u = fake.user(WORKER_USER);
  const chat = fake.privateChat(u);
  const update = fake.documentUpdate({
    from: u,
    chat,
    bytes: await corpus('crazyones-pdfa.pdf'),
    fileName: 'c.pdf',
    mimeType: 'application/pdf',
  });
  expect((await fake.send(update))?.status).toBe(200);
  const [job] = await h.services.records.listForUser(`tg:${u.id}`);
  await waitFor(async () => (await h.services.records.get(job!.jobId))?.state === 'completed', 'the job to complete');
  // The ledger is written by the worker's onFinished, right after the job ends.
  report = await waitFor(async () => {
    const r = await h.ops!.usage();
    return r.jobs.finished === 1 ? r : undefined;
  }, 'the job in the ledger');
}, 60_000);
afterAll(async () => rig?.close());

function privateUser(id = ++nextUser, lang = 'en'): { u: FakeUser; chatId: number } {
  const u = rig.fake.user(id, { language_code: lang });
  return { u, chatId: rig.fake.privateChat(u).id };
}

/** Sends `text` from `u` in their private chat; returns what the bot answered to it. */
async function say(u: FakeUser, text: string): Promise<string[]> {
  const chat = rig.fake.privateChat(u);
  const before = rig.fake.textsTo(chat.id).length;
  const res = await rig.fake.send(rig.fake.textUpdate({ from: u, chat, text }));
  expect(res?.status).toBe(200);
  // Webhook mode: the answer was sent before the webhook request returned.
  return rig.fake.textsTo(chat.id).slice(before);
}

const looksLikeReport = (t: string) => /Usage for|Cost:|التكلفة|tg:8201/.test(t);

describe('Telegram /usage for admins', () => {
  it("answers an admin with today's report: the job, its cost and its user", async () => {
    const { u } = privateUser(ADMIN);
    // The job's own day, not "today": the test must not depend on when it runs (midnight UTC).
    const answers = await say(u, `/usage ${report.day}`);
    expect(answers).toHaveLength(1);
    const text = answers[0]!;
    expect(text).toBe(formatUsage(report, 'en'));
    expect(text.split('\n')[0]).toBe(`Usage for ${report.day} (UTC)`);
    expect(text).toContain('Jobs: 1 finished — 1 completed, 0 failed, 0 cancelled');
    expect(text).toContain('Cost: $0.10 (script $0.00, video $0.10)');
    expect(text).toContain(`1. tg:${WORKER_USER} — $0.10, 1 job`);
    expect(rig.h.logs.events('usage_report_shown').some((e) => e.userId === ADMIN)).toBe(true);
  });

  it('without a day it reports today (UTC)', async () => {
    const { u } = privateUser(ADMIN);
    const before = utcDay();
    const [text] = await say(u, '/usage');
    const after = utcDay();
    expect([`Usage for ${before} (UTC)`, `Usage for ${after} (UTC)`]).toContain(text!.split('\n')[0]);
  });

  it('answers in Arabic for an Arabic-speaking admin listed as tg:<id>', async () => {
    const { u } = privateUser(ADMIN_AR, 'ar');
    const [text] = await say(u, `/usage ${report.day}`);
    expect(text).toBe(formatUsage(report, 'ar'));
    expect(text).toContain('المهام: 1 منتهية — 1 مكتملة');
    expect(text).toContain('التكلفة: $0.10');
  });

  it('takes a day as YYYY-MM-DD, and explains the form when the day is not one', async () => {
    const { u } = privateUser(ADMIN);
    const [old] = await say(u, '/usage 2020-01-01');
    expect(old!.split('\n').slice(0, 2)).toEqual([
      'Usage for 2020-01-01 (UTC)',
      'Jobs: 0 finished — 0 completed, 0 failed, 0 cancelled',
    ]);
    expect(old).not.toContain(`tg:${WORKER_USER}`);
    expect(await say(u, '/usage 2025-02-30')).toEqual([usageHintText('en', '/usage')]);
    expect(await say(u, '/usage yesterday')).toEqual([usageHintText('en', '/usage')]);
  });
});

describe('Telegram /usage for everyone else', () => {
  it('a non-admin gets exactly what an unknown command gets, never the report', async () => {
    for (const [id, lang] of [
      [WORKER_USER, 'en'],
      [++nextUser, 'en'],
      [++nextUser, 'ar'],
    ] as const) {
      const { u } = privateUser(id, lang);
      const unknown = await say(u, '/frobnicate');
      expect(unknown).toEqual([sendPdfHintText(lang, 'private')]);
      const usage = await say(u, '/usage');
      const dated = await say(u, `/usage ${report.day}`);
      expect(usage).toEqual(unknown);
      expect(dated).toEqual(unknown);
      expect(rig.fake.textsTo(u.id).some(looksLikeReport)).toBe(false);
    }
    expect(rig.h.logs.events('usage_refused').some((e) => e.userId === WORKER_USER)).toBe(true);
  });

  it('in a group, even an admin gets nothing (the report is not for the whole group)', async () => {
    const group = rig.fake.groupChat(-1008101);
    for (const id of [ADMIN, ++nextUser]) {
      const u = rig.fake.user(id);
      expect((await rig.fake.send(rig.fake.textUpdate({ from: u, chat: group, text: '/usage' })))?.status).toBe(200);
      expect(
        (await rig.fake.send(rig.fake.textUpdate({ from: u, chat: group, text: `/usage@${rig.fake.botInfo.username}` })))?.status,
      ).toBe(200);
    }
    expect(rig.fake.botMessages(group.id)).toEqual([]);
  });
});

describe('Telegram /usage in the command menu', () => {
  it("is listed only in the admins' own chats, never in the default menus", () => {
    const calls = rig.fake.callsOf('setMyCommands');
    const names = (c: (typeof calls)[number]) => (c.params.commands as { command: string }[]).map((x) => x.command);
    const scoped = calls.filter((c) => (c.params.scope as { type?: string } | undefined)?.type === 'chat');
    const unscoped = calls.filter((c) => !c.params.scope);

    expect(unscoped.map((c) => c.params.language_code ?? 'default').sort()).toEqual(['ar', 'default']);
    for (const c of unscoped) expect(names(c)).not.toContain('usage');

    // Only the Telegram ids of ADMIN_IDS (the Slack id is not a Telegram chat).
    expect(scoped.map((c) => (c.params.scope as { chat_id: number }).chat_id).sort()).toEqual([ADMIN, ADMIN_AR]);
    for (const c of scoped) expect(names(c)).toEqual([...commandMenu('en').map((x) => x.command), 'usage']);
    // Neither admin had opened a chat with the bot when it started: Telegram says "chat not
    // found", which is logged and changes nothing else.
    expect(scoped.map((c) => c.status)).toEqual([400, 400]);
    expect(rig.h.logs.events('telegram_admin_commands_not_set')).toHaveLength(2);
  });
});
