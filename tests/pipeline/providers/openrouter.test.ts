import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { JobError } from '../../../src/errors.js';
import {
  createOpenRouterWriter,
  draftFromContent,
  parseRetryAfter,
  type OpenRouterWriter,
} from '../../../pipeline/providers/openrouter.js';
import type { CallContext, ScriptRequest } from '../../../pipeline/ports.js';
import { countWords } from '../../../pipeline/script/limits.js';
import { startFakeOpenRouter, type FakeOpenRouter } from '../../fakes/openrouter.js';

const DOC =
  'Solar panels turn sunlight into electricity. Modern panels reach an efficiency of about twenty percent. ' +
  'They need little maintenance and last for decades. Costs have fallen sharply during the last ten years.';

const request: ScriptRequest = {
  title: 'Solar power basics',
  text: DOC,
  language: 'en',
  minWords: 50,
  maxWords: 400,
  targetWords: 225,
};

let fake: FakeOpenRouter;
let writer: OpenRouterWriter;
let logLines: string[];
let ctx: CallContext;

function makeWriter(overrides: Partial<Parameters<typeof createOpenRouterWriter>[0]> = {}) {
  return createOpenRouterWriter({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    model: 'openai/gpt-4o-mini',
    timeoutMs: 5000,
    appUrl: 'https://doc2video.example',
    retryDelaysMs: [20, 40],
    ...overrides,
  });
}

async function failure(p: Promise<unknown>): Promise<JobError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JobError);
  return err as JobError;
}

beforeEach(async () => {
  fake = await startFakeOpenRouter();
  writer = makeWriter();
  logLines = [];
  // No `secrets` given: the client itself must keep the key out of its log lines.
  const logger = createLogger({ level: 'debug' }, { write: (s: string) => void logLines.push(s) });
  ctx = { jobId: 'job-1', logger };
});

afterEach(async () => {
  await writer.close();
  await fake.close();
});

const events = () => logLines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('OpenRouter writer', () => {
  it('returns the script, the answering model and the cost', async () => {
    fake.script({ kind: 'ok', model: 'openai/gpt-4o-mini-2024-07-18', cost: 0.00042 });
    const draft = await writer.write(request, ctx);

    expect(draft.model).toBe('openai/gpt-4o-mini-2024-07-18');
    expect(draft.costUsd).toBe(0.00042);
    expect(draft.promptTokens).toBeGreaterThan(0);
    expect(draft.completionTokens).toBeGreaterThan(0);
    const words = countWords(draft.text, 'en');
    expect(words).toBeGreaterThanOrEqual(50);
    expect(words).toBeLessThanOrEqual(400);

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(sent.headers['http-referer']).toBe('https://doc2video.example');
    expect(sent.headers['x-title']).toBe('doc2video');
    expect(sent.body.model).toBe('openai/gpt-4o-mini');
    expect(sent.body.max_tokens).toBeGreaterThan(400);
    expect(typeof sent.body.temperature).toBe('number');
    const prompt = sent.body.messages.map((m: { content: string }) => m.content).join('\n');
    expect(prompt).toContain('Solar power basics');
    expect(prompt).toContain('between 50 and 400 words');
    expect(prompt).toContain('English');
    expect(prompt).toContain(DOC);

    const success = events().find((e) => e.event === 'llm_success');
    expect(success).toMatchObject({ jobId: 'job-1', model: 'openai/gpt-4o-mini-2024-07-18', cost: 0.00042, words });
    expect(typeof success?.duration_ms).toBe('number');
    expect(events().some((e) => e.event === 'llm_request' && e.jobId === 'job-1')).toBe(true);
  });

  it('asks for Modern Standard Arabic and says why a previous draft was refused', async () => {
    await writer.write(
      {
        ...request,
        language: 'ar',
        minWords: 40,
        maxWords: 320,
        targetWords: 180,
        feedback: 'too long: 520 words, at most 320 allowed',
      },
      ctx,
    );
    const prompt = fake.requests[0]!.body.messages.map((m: { content: string }) => m.content).join('\n');
    expect(prompt).toContain('Arabic, written in Modern Standard Arabic');
    expect(prompt).toContain('previous draft was refused: too long: 520 words');
  });

  it('honours Retry-After on 429, then succeeds', async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: '1' });
    const draft = await writer.write(request, ctx);
    expect(draft.text.length).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(2);
    const err = events().find((e) => e.event === 'llm_error');
    expect(err).toMatchObject({ status: 429, attempt: 1, retry_in_ms: 1000, jobId: 'job-1' });
  });

  it('fails at once when Retry-After is above the cap', async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: '120' });
    const err = await failure(writer.write(request, ctx));
    expect(err.code).toBe('LLM_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries 5xx twice, then gives up with a retryable LLM_UNAVAILABLE after exactly 3 requests', async () => {
    fake.script({ kind: 'status', status: 502 }, { kind: 'status', status: 503 }, { kind: 'status', status: 500 });
    const err = await failure(writer.write(request, ctx));
    expect(err.code).toBe('LLM_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(fake.requests).toHaveLength(3);
    expect(
      events()
        .filter((e) => e.event === 'llm_error')
        .map((e) => e.attempt),
    ).toEqual([1, 2, 3]);
  });

  it('402 -> LLM_NO_CREDITS after exactly one request', async () => {
    fake.script({ kind: 'status', status: 402 });
    const err = await failure(writer.write(request, ctx));
    expect(err.code).toBe('LLM_NO_CREDITS');
    expect(err.retryable).toBe(false);
    expect(fake.requests).toHaveLength(1);
  });

  it('a 200 with an error in the body is retried', async () => {
    fake.script({ kind: 'errorBody' }, { kind: 'topLevelError' });
    const draft = await writer.write(request, ctx);
    expect(draft.text.length).toBeGreaterThan(0);
    expect(fake.requests.map((r) => r.answeredWith)).toEqual(['errorBody', 'topLevelError', 'ok:inRange']);
    expect(
      events()
        .filter((e) => e.event === 'llm_error')
        .map((e) => [e.status, e.code]),
    ).toEqual([
      [200, 502],
      [200, 502],
    ]);
  });

  it('empty content and malformed JSON are retried like an error body', async () => {
    fake.script({ kind: 'empty' }, { kind: 'malformed' });
    await writer.write(request, ctx);
    expect(fake.requests).toHaveLength(3);
    expect(
      events()
        .filter((e) => e.event === 'llm_error')
        .map((e) => e.code),
    ).toEqual(['EMPTY', 'MALFORMED']);
  });

  it('a request that hangs past the timeout is retried', async () => {
    await writer.close();
    writer = makeWriter({ timeoutMs: 300 });
    fake.script({ kind: 'hang' });
    const draft = await writer.write(request, ctx);
    expect(draft.text.length).toBeGreaterThan(0);
    expect(fake.requests.map((r) => r.answeredWith)).toEqual(['hang', 'ok:inRange']);
    expect(events().find((e) => e.event === 'llm_error')).toMatchObject({ code: 'TIMEOUT', attempt: 1 });
  });

  it('a bad key is a non-retryable LLM_UNAVAILABLE, and no key appears in errors or logs', async () => {
    const wrongKey = 'sk-or-v1-wrong-9876543210fedcba9876543210';
    await writer.close();
    writer = makeWriter({ apiKey: wrongKey });
    const err = await failure(writer.write(request, ctx));
    expect(err.code).toBe('LLM_UNAVAILABLE');
    expect(err.retryable).toBe(false);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.answeredWith).toBe('unauthorized');
    const all = [err.message, String(err.stack), JSON.stringify(err), String(err.cause ?? ''), ...logLines].join('\n');
    expect(all).toContain('401');
    expect(all).not.toContain(wrongKey);
  });

  it('keeps the key out of errors and logs when every attempt fails', async () => {
    // The fake echoes the key in its error message, as a careless upstream might.
    const echo = { kind: 'status' as const, status: 503, message: `upstream said: key ${fake.apiKey} is throttled` };
    fake.script(echo, echo, echo);
    const err = await failure(writer.write(request, ctx));
    expect(fake.requests).toHaveLength(3);
    const all = [err.message, String(err.stack), JSON.stringify(err), ...logLines].join('\n');
    expect(all).toContain('throttled');
    expect(all).not.toContain(fake.apiKey);
  });

  it('400 from body validation is not retried', async () => {
    await writer.close();
    writer = makeWriter({ temperature: 7 });
    const err = await failure(writer.write(request, ctx));
    expect(err.code).toBe('LLM_UNAVAILABLE');
    expect(err.retryable).toBe(false);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('scenes by structured output', () => {
  const paged: ScriptRequest = {
    ...request,
    pageTexts: [
      'Solar panels turn sunlight into electricity. Modern panels reach an efficiency of about twenty percent.',
      'They need little maintenance and last for decades. Costs have fallen sharply during the last ten years.',
    ],
  };

  it('asks for the scenes JSON schema with require_parameters and returns scenes with their pages', async () => {
    const d = await writer.write(paged, ctx);
    const body = fake.requests[0]!.body;
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'presenter_script', strict: true } });
    expect(body.provider).toEqual({ require_parameters: true });
    expect(body.messages[1].content).toContain('[Page 2]');
    expect(fake.requests[0]!.answeredJson).toBe(true);
    expect(d.scenes!.length).toBeGreaterThan(1);
    expect(d.text).toBe(d.scenes!.map((s) => s.text).join('\n\n'));
    const maintenance = d.scenes!.find((s) => s.text.includes('little maintenance'))!;
    expect(maintenance.pages).toEqual([2]);
    expect(d.scenes!.find((s) => s.text.includes('turn sunlight'))!.pages).toEqual([1]);
  });

  it('a model that ignores the schema: its prose is the script (no scenes from the writer)', async () => {
    fake.script({ kind: 'ok', format: 'plain' });
    const d = await writer.write(paged, ctx);
    expect(d.scenes).toBeUndefined();
    expect(countWords(d.text)).toBeGreaterThan(50);
    expect(d.text).not.toMatch(/^\{/);
  });

  it('no provider does structured output (404): asks again without it, not counted as a failure', async () => {
    fake.script({ kind: 'noStructured' }, { kind: 'noStructured' });
    const d = await makeWriter({ retryDelaysMs: [] }).write(paged, ctx);
    expect(fake.requests.map((r) => r.answeredWith)).toEqual(['noStructured:404', 'noStructured']);
    expect(fake.requests[1]!.body.response_format).toBeUndefined();
    expect(fake.requests[1]!.body.provider).toBeUndefined();
    expect(countWords(d.text)).toBeGreaterThan(50);
  });

  it('reads fenced JSON, JSON of another shape, and prose', () => {
    expect(draftFromContent('```json\n{"scenes":[{"text":"Hi there.","pages":[2]}]}\n```')).toEqual({
      text: 'Hi there.',
      scenes: [{ text: 'Hi there.', pages: [2] }],
    });
    expect(draftFromContent('{"script":"Hello all."}')).toEqual({ text: 'Hello all.' });
    expect(draftFromContent('Plain words here.')).toEqual({ text: 'Plain words here.' });
    expect(draftFromContent('{"other": 1}')).toBeUndefined();
    expect(draftFromContent('{broken')).toEqual({ text: '{broken' });
  });
});
