// A long document through the script step: our real OpenRouter client against the fake, real
// Redis caches, and a generated PDF extracted by the real parser (six sections, each with its own
// word, over 150,000 characters).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { extractPdf } from '../../../pipeline/pdf/extract.js';
import type { ExtractResult, SectionNotes } from '../../../pipeline/job.js';
import type { NotesCache, ScriptCache } from '../../../pipeline/ports.js';
import { createOpenRouterWriter, type OpenRouterWriter } from '../../../pipeline/providers/openrouter.js';
import { createLocalScriptWriter } from '../../../pipeline/providers/local-script.js';
import { countWords } from '../../../pipeline/script/limits.js';
import { scriptStep, type ScriptStepDeps } from '../../../pipeline/steps/script.js';
import { createNotesCache, createScriptCache } from '../../../src/jobs/script-cache.js';
import { JobError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';
import { startFakeOpenRouter, type FakeOpenRouter, type RecordedRequest } from '../../fakes/openrouter.js';
import { makeTempDir } from '../../helpers/hostile-pdfs.js';
import { SECTION_WORDS, makeLongPdf, sectionTitle } from '../../helpers/long-pdfs.js';

const SECTIONS = 6;
const WORDS = SECTION_WORDS.slice(0, SECTIONS);
const LONG = { singleCallChars: 50_000, maxNotesCalls: 12, notesConcurrency: 3 };
const logger = createLogger({ level: 'silent' });
const prefix = `test-long-${randomUUID()}`;

let extract: ExtractResult;
let cleanup: () => Promise<void>;
let redis: Redis;
let fake: FakeOpenRouter;
let writer: OpenRouterWriter;
let cache: ScriptCache;
let notesCache: NotesCache;

beforeAll(async () => {
  const tmp = await makeTempDir();
  cleanup = tmp.cleanup;
  const pdf = await makeLongPdf(tmp.dir, { sections: SECTIONS, pagesPerSection: 9, marks: 'headings' });
  extract = await extractPdf({ path: pdf.path }, { timeoutMs: 150_000 });
  redis = new Redis(inject('redisUrl'));
}, 200_000);
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await cleanup();
});
beforeEach(async () => {
  fake = await startFakeOpenRouter();
  writer = createOpenRouterWriter({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    model: 'openai/gpt-4o-mini',
    notesModel: 'meta-llama/llama-3.1-8b-instruct',
    timeoutMs: 10_000,
    retryDelaysMs: [20, 40],
  });
  const p = `${prefix}:${randomUUID()}`; // no cache hits from other tests
  cache = createScriptCache(redis, p);
  notesCache = createNotesCache(redis, p);
});
afterEach(async () => {
  await writer.close();
  await fake.close();
});

const content = (r: RecordedRequest, role: 'system' | 'user') =>
  (r.body.messages as Array<{ role: string; content: string }>).find((m) => m.role === role)!.content;
const isNotes = (r: RecordedRequest) => content(r, 'system').startsWith('You take notes');
const isScript = (r: RecordedRequest) => content(r, 'system').startsWith('You write the script');
const documentOf = (r: RecordedRequest) => /<document>\n([\s\S]*)\n<\/document>/.exec(content(r, 'user'))![1]!;
const wordsIn = (text: string) => WORDS.filter((w) => new RegExp(`\\b${w}\\b`, 'i').test(text));

function stepDeps(over: Partial<ScriptStepDeps> = {}): ScriptStepDeps & { saved: Record<string, SectionNotes>[] } {
  const saved: Record<string, SectionNotes>[] = [];
  return {
    writer,
    cache,
    notesCache,
    ctx: { jobId: `job-${randomUUID().slice(0, 8)}`, logger },
    long: LONG,
    saveNotes: async (n) => void saved.push(n),
    saved,
    ...over,
  };
}

describe('a long document is written from section notes', { timeout: 120_000 }, () => {
  it('the generated PDF is long and has its six sections', () => {
    const chars = extract.pageTexts!.reduce((n, p) => n + p.length, 0);
    expect(chars).toBeGreaterThan(150_000);
    expect(extract.text.length).toBeLessThanOrEqual(50_000);
    expect(extract.sections!.map((s) => s.title)).toEqual(WORDS.map((_, k) => sectionTitle(k)));
  });

  it("one notes call per section with the notes model, then a script call with every section's notes in order", async () => {
    const deps = stepDeps();
    const script = await scriptStep({ extract, pdfSha256: randomUUID(), options: {} }, deps);

    const notes = fake.requests.filter(isNotes);
    const scripts = fake.requests.filter(isScript);
    expect(notes).toHaveLength(SECTIONS);
    expect(scripts).toHaveLength(1);
    expect(fake.requests.at(-1)).toBe(scripts[0]);
    expect(notes.every((r) => r.body.model === 'meta-llama/llama-3.1-8b-instruct' && !r.body.response_format)).toBe(true);
    expect(scripts[0]!.body.model).toBe('openai/gpt-4o-mini');
    // Each notes call reads one section: its word and no other's; together they cover all six.
    const covered = notes.map((r) => wordsIn(documentOf(r)));
    expect(covered.every((w) => w.length === 1)).toBe(true);
    expect(covered.flat().sort()).toEqual([...WORDS].sort());

    // The script prompt: every part in document order, each with the notes written for it.
    const prompt = documentOf(scripts[0]!);
    const finalNotes = deps.saved.at(-1)!;
    const noteTexts = Object.values(finalNotes).map((n) => n.notes);
    expect(noteTexts).toHaveLength(SECTIONS);
    const partAt = WORDS.map((_, k) => prompt.indexOf(`Part ${k + 1}, "${sectionTitle(k)}"`));
    expect(partAt.every((i) => i >= 0)).toBe(true);
    expect([...partAt].sort((a, b) => a - b)).toEqual(partAt);
    for (const n of noteTexts) {
      const at = prompt.indexOf(n);
      expect(at).toBeGreaterThan(-1);
      // The notes sit under the part of the section whose word they carry.
      const k = WORDS.indexOf(wordsIn(n)[0]!);
      expect(at).toBeGreaterThan(partAt[k]!);
      if (k + 1 < SECTIONS) expect(at).toBeLessThan(partAt[k + 1]!);
    }
    // Word shares: in proportion to each section's text (equal here), summing to the target.
    const shares = [...prompt.matchAll(/give it about (\d+) words/g)].map((m) => Number(m[1]));
    expect(shares).toHaveLength(SECTIONS);
    const target = Number(/aim for about (\d+) words/.exec(content(scripts[0]!, 'system'))![1]);
    expect(Math.abs(shares.reduce((a, b) => a + b, 0) - target)).toBeLessThanOrEqual(SECTIONS);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(2);
    // Each section's notes stay within the length its notes call asked for.
    for (const r of notes) {
      const max = Number(/between \d+ and (\d+) words/.exec(content(r, 'system'))![1]);
      const n = noteTexts.find((t) => wordsIn(t)[0] === wordsIn(documentOf(r))[0])!;
      expect(countWords(n, 'en')).toBeLessThanOrEqual(max);
    }

    // What the job paid: every notes call and the script call.
    const notesCost = noteTexts.length && Object.values(finalNotes).reduce((a, n) => a + n.costUsd, 0);
    expect(notesCost).toBeGreaterThan(0);
    expect(script.costUsd).toBeGreaterThan(notesCost);
    expect(script).toMatchObject({ notesCalls: SECTIONS, pagesCovered: 54, cached: false, provider: 'openrouter' });
  });

  it('a repeated PDF makes no LLM call; the same text in another file pays only the script call', async () => {
    const sha = randomUUID();
    await scriptStep({ extract, pdfSha256: sha, options: {} }, stepDeps());
    const paid = fake.requests.length;
    expect(paid).toBe(SECTIONS + 1);
    const again = await scriptStep({ extract, pdfSha256: sha, options: {} }, stepDeps());
    expect(fake.requests).toHaveLength(paid);
    expect(again).toMatchObject({ cached: true, costUsd: 0 });

    // Another upload of the same text (another file hash): the notes come from the notes cache.
    const other = await scriptStep({ extract, pdfSha256: randomUUID(), options: {} }, stepDeps());
    expect(fake.requests.slice(paid).map((r) => (isNotes(r) ? 'notes' : 'script'))).toEqual(['script']);
    expect(other.costUsd).toBeGreaterThan(0);
  });

  it('a crash mid-notes resumes from the checkpoint: no section is summarised twice', async () => {
    // One at a time, so the failure lands on the third section; 400 is not retried.
    fake.script({ kind: 'ok' }, { kind: 'ok' }, { kind: 'status', status: 400, message: 'Provider returned error' });
    const first = stepDeps({ long: { ...LONG, notesConcurrency: 1 }, notesCache: undefined });
    delete first.notesCache;
    const err = await scriptStep({ extract, pdfSha256: randomUUID(), options: {} }, first).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    const checkpoint = first.saved.at(-1)!;
    expect(Object.keys(checkpoint)).toHaveLength(2);
    expect(fake.requests).toHaveLength(3);

    // The job runs again (another worker) with the notes its checkpoint holds, and no notes cache.
    const second = stepDeps({ long: { ...LONG, notesConcurrency: 1 } });
    delete second.notesCache;
    const script = await scriptStep({ extract, pdfSha256: randomUUID(), options: {}, notes: checkpoint }, second);
    const answered = fake.requests.filter((r) => isNotes(r) && r.answeredWith.startsWith('ok'));
    const perWord = WORDS.map((w) => answered.filter((r) => wordsIn(documentOf(r))[0] === w).length);
    expect(perWord).toEqual(WORDS.map(() => 1));
    expect(fake.requests.slice(3).filter(isNotes)).toHaveLength(SECTIONS - 2);
    // The notes written before the crash were paid by this job: they are in its cost.
    const all = Object.values(second.saved.at(-1)!);
    expect(script.costUsd).toBeGreaterThan(all.reduce((a, n) => a + n.costUsd, 0));
  });

  it('402 during the notes: LLM_NO_CREDITS, and no notes call after it', async () => {
    fake.script({ kind: 'ok' }, { kind: 'status', status: 402 });
    const deps = stepDeps({ long: { ...LONG, notesConcurrency: 1 } });
    const err = await scriptStep({ extract, pdfSha256: randomUUID(), options: {} }, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe('LLM_NO_CREDITS');
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests.some(isScript)).toBe(false);
  });

  it('429 with Retry-After during the notes is waited out like a single call', async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: '1' });
    const deps = stepDeps({ long: { ...LONG, notesConcurrency: 1 } });
    const script = await scriptStep({ extract, pdfSha256: randomUUID(), options: {} }, deps);
    expect(fake.requests.filter(isNotes)).toHaveLength(SECTIONS + 1);
    expect(script.notesCalls).toBe(SECTIONS);
  });

  it('holds before paying: the hold covers every notes call and the script call; a refusal pays none', async () => {
    const plans: Array<{ spentUsd: number; callsLeft: number; requests: number }> = [];
    const deps = stepDeps({
      beforeLlmCalls: async (p) => void plans.push({ ...p, requests: fake.requests.length }),
    });
    await scriptStep({ extract, pdfSha256: randomUUID(), options: {} }, deps);
    expect(plans[0]).toEqual({ spentUsd: 0, callsLeft: SECTIONS + 1, requests: 0 });
    expect(plans[1]).toMatchObject({ callsLeft: 1, requests: SECTIONS });
    expect(plans[1]!.spentUsd).toBeGreaterThan(0);

    const refused = stepDeps({
      beforeLlmCalls: async () => {
        throw new JobError('BUDGET_EXCEEDED', 'over');
      },
    });
    const before = fake.requests.length;
    const err = await scriptStep({ extract, pdfSha256: randomUUID(), options: {} }, refused).catch((e: unknown) => e);
    expect((err as JobError).code).toBe('BUDGET_EXCEEDED');
    expect(fake.requests).toHaveLength(before);
  });
});

describe('the offline writer on the same long PDF', () => {
  it('picks sentences from the first, middle and last thirds (every section), no LLM call', async () => {
    const script = await scriptStep(
      { extract, pdfSha256: randomUUID(), options: {} },
      stepDeps({ writer: createLocalScriptWriter() }),
    );
    expect(fake.requests).toHaveLength(0);
    const pages = script.scenes!.flatMap((s) => s.pages);
    const third = 54 / 3;
    expect(pages.some((p) => p > 1 && p <= third)).toBe(true);
    expect(pages.some((p) => p > third && p <= 2 * third)).toBe(true);
    expect(pages.some((p) => p > 2 * third)).toBe(true);
    // Each section's own word is spoken.
    expect(wordsIn(script.text)).toEqual(WORDS);
    expect(script).toMatchObject({ provider: 'local', pagesCovered: 54 });
  });
});
