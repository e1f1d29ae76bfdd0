// Issue 13's budget lock-out, as found: with DAILY_BUDGET_USD=20 one Telegram user sent 13 PDFs
// (5 accepted, 7 RATE_LIMITED, then BUDGET_EXCEEDED), after which a brand-new user was refused
// BUDGET_EXCEEDED too, because refused requests kept their budget holds. No worker runs (as when
// every worker is busy), so holds are never re-estimated.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/harness.js';
import { countingRenderer, countingScriptWriter } from '../../fakes/counting-providers.js';
import type { SubmitOutcome, SubmitRequest } from '../../../src/queue/submit.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const request = (n: number, user: number): SubmitRequest => ({
  dedupeKey: `tg:${user}:${n}`,
  requester: { platform: 'telegram', userKey: `tg:${user}`, userId: String(user), chatId: String(user) },
  file: { kind: 'telegram', fileId: `f${user}-${n}` },
});

/** The outcome's status, or the refusal's code when submit throws one. */
async function submit(r: SubmitRequest): Promise<string> {
  try {
    const o: SubmitOutcome = await h!.services.submitter.submit(r);
    return 'error' in o ? (o.error as { code: string }).code : o.status;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('a user who floods the service cannot lock everyone else out', () => {
  it('13 requests from one user with DAILY_BUDGET_USD=20, then a new user is still accepted', async () => {
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      // One job holds 0.05 (script estimate) + 3 min x 0.50 = 1.55 USD.
      env: { DAILY_BUDGET_USD: '20', RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '600', DID_PRICE_PER_MINUTE: '0.5' },
      services: { writer: countingScriptWriter(), renderer: countingRenderer() },
      ops: true,
      worker: false,
    });
    const flood: string[] = [];
    for (let i = 0; i < 13; i++) flood.push(await submit(request(i, 1001)));
    expect(flood.filter((s) => s === 'accepted')).toHaveLength(5);
    expect(flood.slice(5)).toEqual(Array(8).fill('limited'));
    // Only the 5 accepted jobs hold money.
    expect(await h.ops!.budget.held()).toEqual({ usd: 7.75, jobs: 5 });
    expect(await submit(request(0, 2002))).toBe('accepted');
  });
});
