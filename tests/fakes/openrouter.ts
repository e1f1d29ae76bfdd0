// A fake OpenRouter on 127.0.0.1 that behaves like /work/shared/reference/openrouter.md says the
// real one does: Bearer auth (401), body validation (400), the OpenAI-compatible answer with
// usage.cost, errors as {error:{code,message}}, and mid-generation failures as HTTP 200 with
// finish_reason "error". Faults are queued per call with script(); afterwards the default answers.
// Structured output like the real one: a request with response_format json_schema gets the JSON
// document as the message content (scenes with the [Page N] pages their sentences came from);
// `plain` plays a model that ignores the schema, `noStructured` one whose providers cannot honour
// it (404 when provider.require_parameters is set, as OpenRouter answers).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { countWords } from '../../pipeline/script/limits.js';

export type FakeBehaviour =
  /** A script. `length` picks the word count relative to the range asked for in the prompt. */
  | {
      kind: 'ok';
      length?: 'inRange' | 'tooLong' | 'tooShort';
      text?: string;
      model?: string;
      cost?: number;
      /** 'plain': answer prose even when structured output was asked for (a model that ignores it). */
      format?: 'auto' | 'plain';
    }
  /** A model no provider serves with structured output: 404 when it is required, prose otherwise. */
  | { kind: 'noStructured' }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  /** HTTP 200, finish_reason "error" and choices[0].error (an error after the model started). */
  | { kind: 'errorBody'; code?: number; message?: string; partial?: string }
  /** HTTP 200 with only a top-level {error}. */
  | { kind: 'topLevelError'; code?: number; message?: string }
  /** HTTP 200 with empty content. */
  | { kind: 'empty' }
  /** Never answers (until the client gives up or the server closes). */
  | { kind: 'hang' }
  /** HTTP 200 with a body that is not JSON. */
  | { kind: 'malformed' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: any;
  /** What the fake answered (behaviour kind, or 'unauthorized' / 'invalid'). */
  answeredWith: string;
  /** The answer was the structured-output JSON document. */
  answeredJson?: boolean;
}

export interface FakeOpenRouter {
  /** Base URL to use as OPENROUTER_BASE_URL, e.g. http://127.0.0.1:1234/api/v1 */
  url: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** Queue behaviours for the next calls, in order. */
  script(...behaviours: FakeBehaviour[]): void;
  /** What to do when the queue is empty (default {kind:'ok'}). */
  setDefault(behaviour: FakeBehaviour): void;
  close(): Promise<void>;
}

const ENGLISH_FILLER = [
  'This document explains its subject in a clear and careful way.',
  'The main points are described one after another with short examples.',
];
const ARABIC_FILLER = ['يشرح هذا المستند موضوعه بطريقة واضحة ومنظمة.', 'وتعرض النقاط الرئيسية واحدة تلو الأخرى مع أمثلة قصيرة.'];

interface Sentence {
  text: string;
  /** The [Page N] the sentence came from; undefined for filler or an unpaged document. */
  page?: number;
}

function sentencesOf(text: string, page?: number): Sentence[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?؟۔。])\s*/)
    .map((s) => s.trim())
    .filter((s) => countWords(s) >= 3)
    .map((t) => (page === undefined ? { text: t } : { text: t, page }));
}

/** Document sentences with their pages, read from the [Page N] markers when there are any. */
function pagedSentences(document: string): Sentence[] {
  const parts = document.split(/^\[Page (\d+)\]$/m);
  if (parts.length === 1) return sentencesOf(document);
  const out: Sentence[] = [...sentencesOf(parts[0]!)];
  for (let i = 1; i + 1 < parts.length; i += 2) out.push(...sentencesOf(parts[i + 1]!, Number(parts[i])));
  return out;
}

/** Repeats document sentences (or filler in the asked language) until `words` words. */
function makeScript(prompt: { document: string; language: string; title: string }, words: number, lang: string): Sentence[] {
  const hasArabic = /[\u0600-\u06FF]/.test(prompt.document);
  let pool = pagedSentences(prompt.document);
  const filler = (prompt.language === 'Arabic' ? ARABIC_FILLER : ENGLISH_FILLER).map((text) => ({ text }));
  if (prompt.language === 'Arabic' && !hasArabic) pool = filler;
  if (pool.length === 0) pool = filler;
  const out: Sentence[] = [];
  let n = 0;
  for (let i = 0; n < words; i++) {
    const s = pool[i % pool.length]!;
    const w = countWords(s.text, lang);
    if (n + w <= words) {
      out.push(s);
      n += w;
    } else {
      // Cut the last sentence to land exactly on the target.
      const parts = s.text.split(/\s+/).slice(0, words - n);
      out.push({ ...s, text: parts.join(' ') + '.' });
      n += countWords(parts.join(' '), lang);
      if (parts.length === 0) break;
    }
  }
  return out;
}

/** Sentences -> scenes of up to two sentences from the same page. */
function scenesOf(sentences: Sentence[]): Array<{ text: string; pages: number[] }> {
  const scenes: Array<{ text: string; pages: number[]; n: number; page?: number }> = [];
  for (const s of sentences) {
    const last = scenes[scenes.length - 1];
    if (last && last.n < 2 && last.page === s.page) {
      last.text += ` ${s.text}`;
      last.n++;
    } else {
      scenes.push({
        text: s.text,
        pages: s.page === undefined ? [] : [s.page],
        n: 1,
        ...(s.page !== undefined ? { page: s.page } : {}),
      });
    }
  }
  return scenes.map(({ text, pages }) => ({ text, pages }));
}

interface ParsedPrompt {
  min: number;
  max: number;
  target: number;
  language: string;
  document: string;
  title: string;
}

function readPrompt(messages: Array<{ role: string; content: string }>): ParsedPrompt {
  const all = messages.map((m) => m.content).join('\n');
  const range = /between (\d+) and (\d+) words/.exec(all);
  const target = /about (\d+) words/.exec(all);
  const language = /Write in ([A-Z][\w-]*)/.exec(all);
  const doc = /<document>\n?([\s\S]*?)\n?<\/document>/.exec(all);
  const title = /^Title: (.*)$/m.exec(all);
  const min = range ? Number(range[1]) : 50;
  const max = range ? Number(range[2]) : 400;
  return {
    min,
    max,
    target: target ? Number(target[1]) : Math.round((min + max) / 2),
    language: language?.[1] ?? 'English',
    document: doc?.[1] ?? '',
    title: title?.[1] ?? '',
  };
}

function validate(body: any): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'Request body must be a JSON object';
  if (typeof body.model !== 'string' && !Array.isArray(body.models)) return 'model is required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages must be a non-empty array';
  for (const m of body.messages) {
    if (!m || !['system', 'user', 'assistant', 'tool', 'developer'].includes(m.role)) return 'messages[].role is invalid';
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) return 'messages[].content must be a string or an array';
  }
  if (body.max_tokens !== undefined && (!Number.isInteger(body.max_tokens) || body.max_tokens < 1))
    return 'max_tokens must be a positive integer';
  if (body.temperature !== undefined && (typeof body.temperature !== 'number' || body.temperature < 0 || body.temperature > 2))
    return 'temperature must be between 0 and 2';
  return undefined;
}

const LANG_CODES: Record<string, string> = { English: 'en', Arabic: 'ar', German: 'de', French: 'fr', Spanish: 'es' };

export async function startFakeOpenRouter(options: { apiKey?: string } = {}): Promise<FakeOpenRouter> {
  const apiKey = options.apiKey ?? 'sk-or-v1-fake0123456789abcdef0123456789abcdef';
  const requests: RecordedRequest[] = [];
  const queue: FakeBehaviour[] = [];
  let fallback: FakeBehaviour = { kind: 'ok' };
  const sockets = new Set<Socket>();
  let seq = 0;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) =>
    send(res, status, { error: { code: status, message } }, headers);

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    let parsedOk = true;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
      parsedOk = false;
    }
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: { ...req.headers },
      body,
      answeredWith: '',
    };
    requests.push(record);

    if (req.method !== 'POST' || req.url !== '/api/v1/chat/completions') {
      record.answeredWith = 'not_found';
      return error(res, 404, 'Not Found');
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      record.answeredWith = 'unauthorized';
      return error(res, 401, req.headers.authorization ? 'User not found.' : 'No auth credentials found');
    }
    const problem = parsedOk ? validate(body) : 'Invalid JSON in request body';
    if (problem) {
      record.answeredWith = 'invalid';
      return error(res, 400, problem);
    }

    const b = queue.shift() ?? fallback;
    const wantsStructured = body.response_format?.type === 'json_schema';
    record.answeredWith = b.kind === 'ok' ? `ok:${b.length ?? 'inRange'}` : b.kind === 'status' ? `status:${b.status}` : b.kind;
    const model: string = typeof body.model === 'string' ? body.model : body.models[0];
    const prompt = readPrompt(body.messages);
    const promptTokens = Math.ceil(raw.length / 4);
    const id = `gen-${Date.now()}-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const completion = (
      content: string,
      finish: string,
      extra: Record<string, unknown> = {},
      answerModel = model,
      cost?: number,
    ) => {
      const completionTokens = Math.ceil(content.length / 4);
      return {
        id,
        provider: 'FakeProvider',
        model: answerModel,
        object: 'chat.completion',
        created,
        choices: [
          {
            logprobs: null,
            finish_reason: finish,
            native_finish_reason: finish,
            index: 0,
            message: { role: 'assistant', content, refusal: null, reasoning: null },
            ...extra,
          },
        ],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
          cost: cost ?? Number(((promptTokens * 0.15 + completionTokens * 0.6) / 1e6).toFixed(8)),
          is_byok: false,
          prompt_tokens_details: { cached_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      };
    };

    switch (b.kind) {
      case 'ok': {
        const lang = LANG_CODES[prompt.language] ?? 'en';
        const words =
          b.length === 'tooLong'
            ? prompt.max + 40
            : b.length === 'tooShort'
              ? Math.max(1, Math.floor(prompt.min / 2))
              : prompt.target;
        if (b.text !== undefined) return send(res, 200, completion(b.text, 'stop', {}, b.model ?? model, b.cost));
        const scenes = scenesOf(makeScript(prompt, words, lang));
        record.answeredJson = wantsStructured && b.format !== 'plain';
        const text = record.answeredJson ? JSON.stringify({ scenes }) : scenes.map((sc) => sc.text).join('\n\n');
        return send(res, 200, completion(text, 'stop', {}, b.model ?? model, b.cost));
      }
      case 'noStructured': {
        if (wantsStructured && body.provider?.require_parameters === true) {
          record.answeredWith = 'noStructured:404';
          return error(res, 404, 'No endpoints found that can handle the requested parameters.');
        }
        const lang = LANG_CODES[prompt.language] ?? 'en';
        const text = scenesOf(makeScript(prompt, prompt.target, lang))
          .map((sc) => sc.text)
          .join('\n\n');
        return send(res, 200, completion(text, 'stop'));
      }
      case 'status': {
        const headers: Record<string, string> = b.retryAfter !== undefined ? { 'retry-after': b.retryAfter } : {};
        const messages: Record<number, string> = {
          402: 'Insufficient credits. Add more using https://openrouter.ai/credits',
          408: 'Request timed out',
          429: 'Rate limit exceeded: free-models-per-min.',
          500: 'Internal Server Error',
          502: 'Provider returned error',
          503: 'No available model provider that meets your routing requirements',
        };
        return error(res, b.status, b.message ?? messages[b.status] ?? 'Error', headers);
      }
      case 'errorBody':
        return send(
          res,
          200,
          // Like the real thing, part of the text may already be there when the provider fails.
          completion(b.partial ?? 'Solar panels turn sunlight', 'error', {
            error: { code: b.code ?? 502, message: b.message ?? 'Provider disconnected' },
          }),
        );
      case 'topLevelError':
        return send(res, 200, { error: { code: b.code ?? 502, message: b.message ?? 'Provider returned error' } });
      case 'empty':
        return send(res, 200, completion('', 'stop'));
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"id":"gen-broken","choices":[{"message":');
      case 'hang':
        // Headers never come; the socket is destroyed by the client's timeout or by close().
        return;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) error(res, 500, String(err));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    apiKey,
    requests,
    script: (...b) => void queue.push(...b),
    setDefault: (b) => void (fallback = b),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
