// A long PDF end to end through the queue and worker: real Redis, our OpenRouter client against
// the fake, the budget checks wired as in production (ops), and a counting stand-in for D-ID.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeOpenRouter, type FakeOpenRouter, type RecordedRequest } from '../fakes/openrouter.js';
import { countingRenderer } from '../fakes/counting-providers.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { makeTempDir } from '../helpers/hostile-pdfs.js';
import { makeLongPdf } from '../helpers/long-pdfs.js';
import { createTestAdapter } from '../helpers/test-adapter.js';

const SECTIONS = 6;
let pdf: { path: string; pages: number };
let cleanup: () => Promise<void>;
let h: Harness | undefined;
let openrouter: FakeOpenRouter | undefined;

beforeAll(async () => {
  const tmp = await makeTempDir();
  cleanup = tmp.cleanup;
  pdf = await makeLongPdf(tmp.dir, { sections: SECTIONS, pagesPerSection: 9, marks: 'outline' });
});
afterAll(async () => cleanup());
afterEach(async () => {
  await h?.close();
  await openrouter?.close();
  h = openrouter = undefined;
});

const isNotes = (r: RecordedRequest) => (r.body.messages as Array<{ content: string }>)[0]!.content.startsWith('You take notes');

async function setup(env: Record<string, string> = {}) {
  openrouter = await startFakeOpenRouter();
  const renderer = countingRenderer({ durationSeconds: 40 });
  let adapter!: ReturnType<typeof createTestAdapter>;
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    env: {
      OPENROUTER_API_KEY: openrouter.apiKey,
      OPENROUTER_BASE_URL: openrouter.url,
      OPENROUTER_NOTES_MODEL: 'test/notes-model',
      DID_PRICE_PER_MINUTE: '0.5',
      LLM_COST_ESTIMATE_USD: '0.05',
      ...env,
    },
    services: { renderer },
    ops: true,
    adapters: (s) => {
      adapter = createTestAdapter({ redis: s.redis, prefix: s.queue.opts.prefix! });
      return { test: adapter };
    },
  });
  return { h, renderer, adapter, openrouter };
}

async function run(harness: Harness, n: number) {
  const r = await harness.services.submitter.submit({
    dedupeKey: `long:${n}`,
    requester: { platform: 'test', userKey: `long-user${n}`, userId: `u${n}`, chatId: 'chat' },
    file: { kind: 'path', path: pdf.path },
  });
  if (r.status !== 'accepted') throw new Error(`not accepted: ${r.status}`);
  const rec = await waitFor(
    async () => {
      const x = await harness.services.records.get(r.jobId);
      return x && ['completed', 'failed', 'cancelled'].includes(x.state) ? x : undefined;
    },
    `job ${r.jobId} to finish`,
    150_000,
  );
  return { jobId: r.jobId, rec };
}

describe('a long PDF through the queue', { timeout: 200_000 }, () => {
  it('is read whole, summarised by section and delivered saying how many pages it covers; holds are released', async () => {
    const { h, adapter, renderer, openrouter } = await setup({ DAILY_BUDGET_USD: '3' });
    const { jobId, rec } = await run(h, 1);
    expect(rec.state).toBe('completed');
    expect(openrouter.requests.filter(isNotes)).toHaveLength(SECTIONS);
    expect(openrouter.requests).toHaveLength(SECTIONS + 1);
    expect(renderer.creates).toHaveLength(1);
    const events = await adapter.events(jobId);
    const details = events.flatMap((e) => (e.type === 'progress' && e.detail ? [e.detail] : []));
    expect(details).toEqual([{ pages: pdf.pages, pagesRead: pdf.pages }, { sections: SECTIONS }]);
    expect(events.find((e) => e.type === 'video')).toMatchObject({ coverage: { pagesCovered: pdf.pages, pages: pdf.pages } });
    // Every call's cost is on the books, within the budget, and nothing stays held.
    const cost = await h.ops!.ledger.costOf(jobId);
    expect(cost!.llmUsd).toBeGreaterThan(0);
    expect(cost!.totalUsd).toBeLessThanOrEqual(3);
    expect(await h.ops!.budget.held()).toEqual({ usd: 0, jobs: 0 });
  });

  it('402 during the notes: LLM_NO_CREDITS to the user, no D-ID call, the notes paid so far counted', async () => {
    const { h, adapter, renderer, openrouter } = await setup({ NOTES_CONCURRENCY: '1' });
    openrouter.script({ kind: 'ok' }, { kind: 'ok' }, { kind: 'status', status: 402 });
    const { jobId, rec } = await run(h, 2);
    expect(rec).toMatchObject({ state: 'failed', code: 'LLM_NO_CREDITS' });
    expect(renderer.creates).toHaveLength(0);
    expect(openrouter.requests).toHaveLength(3);
    expect((await adapter.events(jobId)).filter((e) => e.type === 'fail')).toEqual([
      expect.objectContaining({ code: 'LLM_NO_CREDITS' }),
    ]);
    const cost = await h.ops!.ledger.costOf(jobId);
    expect(cost!.llmUsd).toBeGreaterThan(0);
    expect(cost!.videoUsd).toBe(0);
  });

  it('no notes call without a hold: a budget that fits one call but not seven refuses before the first', async () => {
    // Admitted with 0.05 + 1.50 (3 min of video) = 1.55 <= 1.7; the notes need 7 x 0.05 + 1.50 = 1.85.
    const { h, adapter, renderer, openrouter } = await setup({ DAILY_BUDGET_USD: '1.7' });
    const { jobId, rec } = await run(h, 3);
    expect(rec).toMatchObject({ state: 'failed', code: 'BUDGET_EXCEEDED' });
    expect(openrouter.requests).toHaveLength(0);
    expect(renderer.creates).toHaveLength(0);
    expect((await adapter.events(jobId)).filter((e) => e.type === 'fail')).toEqual([
      expect.objectContaining({ code: 'BUDGET_EXCEEDED' }),
    ]);
    expect(h.logs.events('budget_exceeded')).toEqual([expect.objectContaining({ at: 'run', step: 'script', need_usd: 1.85 })]);
    expect(await h.ops!.budget.held()).toEqual({ usd: 0, jobs: 0 });
  });
});
