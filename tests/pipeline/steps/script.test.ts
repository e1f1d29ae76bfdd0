import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { scriptStep } from '../../../pipeline/steps/script.js';
import { createScriptCache } from '../../../src/jobs/script-cache.js';
import { type ScriptCache } from '../../../pipeline/ports.js';
import { createOpenRouterWriter, type OpenRouterWriter } from '../../../pipeline/providers/openrouter.js';
import { createLocalScriptWriter } from '../../../pipeline/providers/local-script.js';
import type { ExtractResult } from '../../../pipeline/job.js';
import { JobError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';
import { countWords } from '../../../pipeline/script/limits.js';
import { startFakeOpenRouter, type FakeOpenRouter } from '../../fakes/openrouter.js';

const extract: ExtractResult = {
  pages: 2,
  chars: 420,
  language: 'en',
  title: 'Solar power basics',
  text:
    'Solar panels turn sunlight into electricity. Modern panels reach an efficiency of about twenty percent. ' +
    'They need little maintenance and last for decades. Costs have fallen sharply during the last ten years. ' +
    'Many homes now produce more power in summer than they use.',
};

let redis: Redis;
let fake: FakeOpenRouter;
let writer: OpenRouterWriter;
let cache: ScriptCache;
const logger = createLogger({ level: 'silent' });
const ctx = { jobId: 'job-script', logger };
const prefix = `test-script-${randomUUID()}`;
let sha: string;

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});
beforeEach(async () => {
  fake = await startFakeOpenRouter();
  writer = createOpenRouterWriter({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    model: 'openai/gpt-4o-mini',
    timeoutMs: 5000,
    retryDelaysMs: [20, 40],
  });
  cache = createScriptCache(redis, prefix);
  sha = randomUUID().replace(/-/g, ''); // a fresh "PDF" per test: no cross-test cache hits
});
afterEach(async () => {
  await writer.close();
  await fake.close();
});

const promptOf = (i: number) => (fake.requests[i]!.body.messages as Array<{ content: string }>).map((m) => m.content).join('\n');

describe('scriptStep', () => {
  it('writes a script in range and reports words, seconds, model and cost', async () => {
    fake.script({ kind: 'ok', model: 'openai/gpt-4o-mini-2024-07-18', cost: 0.0003 });
    const r = await scriptStep({ extract, pdfSha256: sha, options: {} }, { writer, cache, ctx });
    expect(r).toMatchObject({
      language: 'en',
      provider: 'openrouter',
      model: 'openai/gpt-4o-mini-2024-07-18',
      costUsd: 0.0003,
      cached: false,
    });
    expect(r.words).toBe(countWords(r.text, 'en'));
    expect(r.words).toBeGreaterThanOrEqual(50);
    expect(r.words).toBeLessThanOrEqual(400);
    expect(r.estimatedSeconds).toBe(Math.round((r.words / 150) * 60));
    expect(fake.requests).toHaveLength(1);
    expect(promptOf(0)).not.toContain('refused');
  });

  it('uses the language the user asked for over the detected one', async () => {
    const r = await scriptStep({ extract, pdfSha256: sha, options: { language: 'ar' } }, { writer, cache, ctx });
    expect(r.language).toBe('ar');
    expect(promptOf(0)).toContain('Write in Arabic');
    expect(promptOf(0)).toContain('between 40 and 320 words');
    expect(r.text).toMatch(/[\u0600-\u06FF]/);
  });

  it('asks exactly once more, with the reason, when the first draft is out of range', async () => {
    fake.script({ kind: 'ok', length: 'tooLong', cost: 0.001 }, { kind: 'ok', cost: 0.002 });
    const r = await scriptStep({ extract, pdfSha256: sha, options: {} }, { writer, cache, ctx });
    expect(fake.requests).toHaveLength(2);
    expect(promptOf(1)).toMatch(/previous draft was refused: too long: \d+ words, at most 400/);
    expect(r.words).toBeLessThanOrEqual(400);
    // Both drafts were paid for.
    expect(r.costUsd).toBeCloseTo(0.003, 10);
  });

  it('fails with SCRIPT_INVALID when the second draft is out of range too', async () => {
    fake.script({ kind: 'ok', length: 'tooShort' }, { kind: 'ok', length: 'tooShort' });
    const err = await scriptStep({ extract, pdfSha256: sha, options: {} }, { writer, cache, ctx }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe('SCRIPT_INVALID');
    expect(fake.requests).toHaveLength(2);
    expect(promptOf(1)).toContain('too short');
    // A refused script is not cached: the next attempt asks again.
    await scriptStep({ extract, pdfSha256: sha, options: {} }, { writer, cache, ctx });
    expect(fake.requests).toHaveLength(3);
  });

  it('strips markdown and stage directions before counting', async () => {
    const body = Array.from({ length: 60 }, (_, i) => `Point ${i} is **important**.`).join(' ');
    fake.script({ kind: 'ok', text: `# Solar\n\n[pause] ${body}` });
    const r = await scriptStep({ extract, pdfSha256: sha, options: {} }, { writer, cache, ctx });
    expect(r.text).not.toMatch(/\*\*|#|\[pause\]/);
    expect(r.text).toContain('Point 0 is important.');
  });

  it('a cache hit makes no second request', async () => {
    const first = await scriptStep({ extract, pdfSha256: sha, options: {} }, { writer, cache, ctx });
    const second = await scriptStep({ extract, pdfSha256: sha, options: {} }, { writer, cache, ctx: { ...ctx, jobId: 'job-2' } });
    expect(fake.requests).toHaveLength(1);
    expect(second).toEqual({ ...first, cached: true, costUsd: 0 });
    // Other options are another script.
    await scriptStep({ extract, pdfSha256: sha, options: { language: 'ar' } }, { writer, cache, ctx });
    expect(fake.requests).toHaveLength(2);
  });

  it('works with the local writer', async () => {
    const r = await scriptStep({ extract, pdfSha256: sha, options: {} }, { writer: createLocalScriptWriter(), cache, ctx });
    expect(r).toMatchObject({ provider: 'local', costUsd: 0, cached: false, language: 'en' });
    expect(r.words).toBeGreaterThanOrEqual(50);
    expect(fake.requests).toHaveLength(0);
  });

  describe('scenes', () => {
    const paged: ExtractResult = {
      ...extract,
      pageTexts: [
        'Solar panels turn sunlight into electricity. Modern panels reach an efficiency of about twenty percent.',
        'They need little maintenance and last for decades. Costs have fallen sharply during the last ten years. ' +
          'Many homes now produce more power in summer than they use.',
      ],
    };

    it("keeps the writer's scenes; the script text is the scenes joined", async () => {
      const r = await scriptStep({ extract: paged, pdfSha256: sha, options: {} }, { writer, cache, ctx });
      expect(r.scenes!.length).toBeGreaterThan(1);
      expect(r.text).toBe(r.scenes!.map((s) => s.text).join('\n\n'));
      expect(r.scenes!.find((s) => s.text.includes('summer'))!.pages).toEqual([2]);
    });

    it('prose from a model that ignored the schema: scenes by paragraph, pages guessed from shared words', async () => {
      fake.script({ kind: 'ok', format: 'plain' });
      const r = await scriptStep({ extract: paged, pdfSha256: sha, options: {} }, { writer, cache, ctx });
      expect(r.scenes!.length).toBeGreaterThan(1);
      expect(r.scenes!.find((s) => s.text.includes('turn sunlight'))!.pages).toEqual([1]);
      expect(r.scenes!.find((s) => s.text.includes('little maintenance'))!.pages).toEqual([2]);
    });

    it('drops pages the document does not have', async () => {
      fake.script({
        kind: 'ok',
        text: JSON.stringify({ scenes: [{ text: `${'Solar panels are useful. '.repeat(16)}`, pages: [0, 2, 9, 2] }] }),
      });
      const r = await scriptStep({ extract: paged, pdfSha256: sha, options: {} }, { writer, cache, ctx });
      expect(r.scenes).toEqual([{ text: r.text, pages: [2] }]);
    });

    it('the cache keeps the scenes', async () => {
      const first = await scriptStep({ extract: paged, pdfSha256: sha, options: {} }, { writer, cache, ctx });
      const second = await scriptStep({ extract: paged, pdfSha256: sha, options: {} }, { writer, cache, ctx });
      expect(fake.requests).toHaveLength(1);
      expect(second.scenes).toEqual(first.scenes);
    });

    it("the local writer keeps each sentence's page; opening on page 1, closing on none", async () => {
      const r = await scriptStep(
        { extract: paged, pdfSha256: sha, options: {} },
        { writer: createLocalScriptWriter(), cache, ctx },
      );
      const scenes = r.scenes!;
      expect(scenes[0]!.pages).toEqual([1]);
      expect(scenes[scenes.length - 1]!.pages).toEqual([]);
      const summer = scenes.find((s) => s.text.includes('summer'));
      if (summer) expect(summer.pages).toContain(2);
      expect(scenes.find((s) => s.text.includes('turn sunlight'))!.pages).toContain(1);
    });
  });
});
