// `/doc2video usage` end to end: the real Bolt app against the fake Slack, with the ops ledger
// wired into the real worker on real Redis. After one completed job, admins (ADMIN_IDS as Slack
// user ids or team:user) get the day's report ephemerally; anyone else gets the help, never it.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { usageHintText } from '../../../bots/usage.js';
import { utcDay } from '../../../src/ops/costs.js';
import { formatUsage, type UsageReport } from '../../../src/ops/usage.js';
import { jobIdFor } from '../../../src/queue/video-queue.js';
import { waitFor } from '../../helpers/harness.js';
import { smallPdf, startSlackTestbed, type SlackTestbed } from '../../helpers/slack-testbed.js';

const TEAM = 'T0TEAM0001'; // the fake's workspace
const ADMIN = 'U0ADMIN001'; // listed as a bare user id
const ADMIN_AR = 'U0ADMINAR1'; // listed as team:user
const IMPOSTOR = 'U0IMPOSTR1'; // listed as an admin of another workspace only
const ALICE = 'U0ALICE001'; // made the job; not an admin
const BOB = 'U0BOB00001';

let t: SlackTestbed;
let report: UsageReport;

beforeAll(async () => {
  t = await startSlackTestbed({
    redisUrl: inject('redisUrl'),
    // The instant renderer stands in for D-ID here, so its 42-second video costs 42/60 × $6.
    env: { ADMIN_IDS: `${ADMIN}, ${TEAM}:${ADMIN_AR}, T0OTHERTEAM:${IMPOSTOR}, 123456789`, DID_PRICE_PER_MINUTE: '6' },
    renderer: (instant) => ({ ...instant, name: 'd-id' }),
    ops: true,
  });
  expect(t.slack.teamId).toBe(TEAM);
  t.slack.addUser(ADMIN, 'en-US');
  t.slack.addUser(ADMIN_AR, 'ar-SA');
  t.slack.addUser(IMPOSTOR, 'en-US');
  t.slack.addUser(ALICE, 'en-US');
  t.slack.addUser(BOB, 'ar-EG');

  // One job all the way: Alice shares a PDF in her DM with the app.
  const f = t.slack.addFile({ name: 'alice.pdf', bytes: smallPdf(), user: ALICE });
  const m = t.slack.userMessage(t.slack.im(ALICE), ALICE, '', { files: [f.id] });
  await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m));
  const jobId = jobIdFor(`slack:${TEAM}:${f.id}`);
  await waitFor(async () => (await t.h.services.records.get(jobId))?.state === 'completed', 'the job to complete');
  // The ledger is written by the worker's onFinished, right after the job ends.
  report = await waitFor(async () => {
    const r = await t.h.ops!.usage();
    return r.jobs.finished === 1 ? r : undefined;
  }, 'the job in the ledger');
}, 60_000);
afterAll(async () => {
  await t?.close();
});

/** `/doc2video <text>` from `user`; the ephemeral answer sent to the command's response_url. */
async function command(user: string, text: string): Promise<{ response_type?: unknown; text?: unknown }> {
  const res = await t.slack.sendCommand(t.url, { user, channel: t.slack.im(user), text });
  expect(res.status).toBe(200);
  const id = res.response_url.split('/').pop()!;
  const answer = await waitFor(async () => t.slack.responses.find((r) => r.id === id), `answer to "${text}"`);
  return answer.body;
}

const looksLikeReport = (s: string) => /Usage for|Cost:|التكلفة|\$4\.20|U0ALICE001/.test(s);

describe('Slack /doc2video usage for admins', () => {
  it("answers an admin (by user id) ephemerally with today's report: the job, its cost and its user", async () => {
    // The job's own day, not "today": the test must not depend on when it runs (midnight UTC).
    const answer = await command(ADMIN, `usage ${report.day}`);
    expect(answer.response_type).toBe('ephemeral');
    const text = String(answer.text);
    expect(text).toBe(formatUsage(report, 'en'));
    expect(text.split('\n')[0]).toBe(`Usage for ${report.day} (UTC)`);
    expect(text).toContain('Jobs: 1 finished — 1 completed, 0 failed, 0 cancelled');
    expect(text).toContain('Cost: $4.20 (script $0.00, video $4.20)');
    expect(text).toContain(`1. slack:${TEAM}:${ALICE} — $4.20, 1 job`);
    // Nothing was posted in the channel: the report went to the caller alone.
    expect(t.slack.botMessages(t.slack.im(ADMIN))).toEqual([]);
  });

  it('without a day it reports today (UTC)', async () => {
    const before = utcDay();
    const answer = await command(ADMIN, 'usage');
    const after = utcDay();
    expect([`Usage for ${before} (UTC)`, `Usage for ${after} (UTC)`]).toContain(String(answer.text).split('\n')[0]);
  });

  it('answers in Arabic for an Arabic-speaking admin listed as team:user', async () => {
    const answer = await command(ADMIN_AR, `usage ${report.day}`);
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toBe(formatUsage(report, 'ar'));
    expect(answer.text).toContain('المهام: 1 منتهية — 1 مكتملة');
    expect(answer.text).toContain('التكلفة: $4.20');
  });

  it('takes a day as YYYY-MM-DD, and explains the form when the day is not one', async () => {
    const old = String((await command(ADMIN, 'usage 2020-01-01')).text);
    expect(old.split('\n').slice(0, 2)).toEqual([
      'Usage for 2020-01-01 (UTC)',
      'Jobs: 0 finished — 0 completed, 0 failed, 0 cancelled',
    ]);
    expect(old).not.toContain(ALICE);
    expect((await command(ADMIN, `USAGE ${report.day}`)).text).toBe(formatUsage(report, 'en'));
    expect((await command(ADMIN, 'usage 2025-13-01')).text).toBe(usageHintText('en', '/doc2video usage'));
  });

  it('the help tells admins about `usage`, and only them', async () => {
    expect(String((await command(ADMIN, 'help')).text)).toContain('/doc2video usage');
    expect(String((await command(ALICE, 'help')).text)).not.toContain('usage');
  });
});

describe('Slack /doc2video usage for everyone else', () => {
  it('a non-admin gets the help (as for any unknown word), never the report', async () => {
    // Alice made the job; Bob speaks Arabic; the impostor is an admin of another workspace only.
    for (const user of [ALICE, BOB, IMPOSTOR]) {
      const help = await command(user, 'what?');
      const usage = await command(user, 'usage');
      const dated = await command(user, `usage ${report.day}`);
      expect(usage.response_type).toBe('ephemeral');
      expect(usage.text).toBe(help.text);
      expect(dated.text).toBe(help.text);
      expect(looksLikeReport(String(usage.text))).toBe(false);
    }
    expect(t.h.logs.events('usage_refused').map((e) => e.userKey)).toEqual(
      expect.arrayContaining([`slack:${TEAM}:${ALICE}`, `slack:${TEAM}:${BOB}`, `slack:${TEAM}:${IMPOSTOR}`]),
    );
  });
});
