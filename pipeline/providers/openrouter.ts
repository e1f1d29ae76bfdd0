// OpenRouter chat-completions client that writes presenter scripts.
//
// Retries are a small hand-written loop, not undici's RetryAgent/RetryHandler, because the policy
// needs three things the handler cannot express:
//   1. OpenRouter reports errors that happen after the model started as HTTP 200 with the error
//      in the body (finish_reason "error", choices[0].error, top-level error). RetryHandler only
//      sees status codes and headers, never the body.
//   2. A Retry-After above our cap must fail the attempt at once; RetryHandler clamps it to
//      maxTimeout and waits anyway.
//   3. Every failed attempt is logged (llm_error with its attempt number) with the job id.
// Timeouts do come from undici (headersTimeout/bodyTimeout) plus one overall deadline per attempt
// (an AbortSignal), because OpenRouter may trickle whitespace while a model is still thinking,
// which keeps resetting a body timeout.
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { JobError } from '../../src/errors.js';
import { countWords } from '../script/limits.js';
import { SCENES_JSON_SCHEMA, buildNotesMessages, buildScriptMessages } from '../script/prompt.js';
import { isSceneList, scriptText } from '../script/scenes.js';
import type { CallContext, NotesRequest, ScriptDraft, ScriptRequest, ScriptWriter } from '../ports.js';
import { isRetryableNetworkError, parseBody, parseJson, parseRetryAfter, providerScrubber } from './http.js';
import type { WatchedEvent } from '../../src/logger.js';

export { parseRetryAfter };

export interface OpenRouterWriterOptions {
  apiKey: string;
  /** e.g. https://openrouter.ai/api/v1 (no trailing slash needed). */
  baseUrl: string;
  model: string;
  /** The model that summarises a long document's sections (default: `model`). */
  notesModel?: string;
  /** Deadline of one attempt (request sent -> whole body read). */
  timeoutMs: number;
  /** Sent as HTTP-Referer for OpenRouter's app attribution (our PUBLIC_URL). */
  appUrl?: string;
  /** Sent as X-Title. */
  appName?: string;
  dispatcher?: Dispatcher;
  /** Waits before retry 1, 2, ...; its length is the number of retries. Default [2000, 4000]. */
  retryDelaysMs?: number[];
  /** A Retry-After longer than this fails the call instead of blocking a worker. Default 30 s. */
  maxRetryAfterMs?: number;
  temperature?: number;
}

export type OpenRouterWriter = ScriptWriter & {
  readonly name: 'openrouter';
  readonly model: string;
  readonly notesModel: string;
  summarise(request: NotesRequest, ctx: CallContext): Promise<ScriptDraft>;
  /** Closes the connection pool when this writer created it. */
  close(): Promise<void>;
};

const DEFAULT_RETRY_DELAYS_MS = [2000, 4000];
const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

// Languages whose words are usually 1–2 tokens; others (Arabic, CJK, Cyrillic...) take more.
// max_tokens only has to leave room for the longest allowed script: OpenRouter checks the
// credit balance against it, so an absurdly high value can cause 402 on a low balance.
const CHEAP_TOKEN_LANGUAGES = new Set(['en', 'de', 'fr', 'es', 'it', 'pt', 'nl']);
function maxTokensFor(request: Pick<ScriptRequest, 'language' | 'maxWords'>): number {
  const perWord = CHEAP_TOKEN_LANGUAGES.has(request.language) ? 2 : 4;
  return Math.ceil(request.maxWords * perWord) + 200;
}

type Attempt =
  | { ok: true; draft: ScriptDraft; finishReason?: string }
  | {
      ok: false;
      /** Error thrown at once, no retry. */
      fatal?: JobError;
      status?: number;
      code?: string | number;
      message: string;
      retryAfterMs?: number;
    };

// The shape of a chat completion (and of an error body) as we read it. Every field optional
// and tolerant (`.catch`): a field of an unexpected type is treated as absent, never a crash.
const ErrorBody = z.looseObject({
  code: z.union([z.number(), z.string()]).optional().catch(undefined),
  message: z.unknown().optional(),
});
const num = z.number().finite().optional().catch(undefined);
const CompletionBody = z.looseObject({
  model: z.string().optional().catch(undefined),
  error: ErrorBody.optional().catch(undefined),
  choices: z
    .array(
      z.looseObject({
        finish_reason: z.string().nullable().optional().catch(undefined),
        error: ErrorBody.optional().catch(undefined),
        message: z.looseObject({ content: z.unknown().optional() }).optional().catch(undefined),
      }),
    )
    .optional()
    .catch(undefined),
  usage: z.looseObject({ prompt_tokens: num, completion_tokens: num, cost: num }).optional().catch(undefined),
});

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  // Some providers answer with content parts: [{type:"text", text:"..."}].
  if (Array.isArray(content)) {
    return content
      .map((p) =>
        p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '',
      )
      .join('');
  }
  return '';
}

/**
 * The model's answer as a draft. Structured output gives {"scenes":[...]}; a model that ignored
 * the schema answers prose (or JSON in a code fence, or JSON of another shape with the script in
 * a "script"/"text" field). Prose is used as it is: the script step cuts it into scenes.
 * Undefined: JSON with no script in it (worth another attempt).
 */
export function draftFromContent(content: string): Pick<ScriptDraft, 'text' | 'scenes'> | undefined {
  const unfenced = content.replace(/^```(?:json)?\s*\n?([\s\S]*?)\n?```\s*$/, '$1').trim();
  if (!/^[[{]/.test(unfenced)) return { text: content };
  let json: unknown;
  try {
    json = JSON.parse(unfenced);
  } catch {
    return { text: content };
  }
  const obj = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const scenes = Array.isArray(json) ? json : obj.scenes;
  if (isSceneList(scenes)) {
    const clean = scenes
      .map((s) => ({ text: s.text.trim(), pages: s.pages.filter((p) => Number.isInteger(p)) }))
      .filter((s) => s.text);
    if (clean.length > 0) return { text: scriptText(clean), scenes: clean };
  }
  for (const k of ['script', 'text']) {
    if (typeof obj[k] === 'string' && (obj[k] as string).trim()) return { text: (obj[k] as string).trim() };
  }
  return undefined;
}

/** OpenRouter's answer when no provider of the model supports a required parameter (structured output). */
const UNSUPPORTED_PARAMETERS = /requested parameters|response_format|json_schema|structured output/i;

export function createOpenRouterWriter(opts: OpenRouterWriterOptions): OpenRouterWriter {
  const ownDispatcher = opts.dispatcher ? undefined : new Agent({ connections: 16, keepAliveTimeout: 30_000 });
  const dispatcher: Dispatcher = opts.dispatcher ?? ownDispatcher!;
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const delays = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const key = opts.apiKey;
  // Anything that reaches a log line or an error message passes through here.
  const scrub = providerScrubber([key]);

  const headers: Record<string, string> = {
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
    'x-title': opts.appName ?? 'doc2video',
  };
  if (opts.appUrl) headers['http-referer'] = opts.appUrl;

  async function attemptOnce(body: string, ctx: CallContext): Promise<Attempt> {
    const deadline = AbortSignal.timeout(opts.timeoutMs);
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, deadline]) : deadline;
    let status: number;
    let raw: string;
    let retryAfter: string | string[] | undefined;
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher,
        headers,
        body,
        signal,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      status = res.statusCode;
      retryAfter = res.headers['retry-after'];
      raw = await res.body.text();
    } catch (err) {
      if (ctx.signal?.aborted) throw new JobError('CANCELLED', 'script request cancelled');
      if (deadline.aborted) return { ok: false, code: 'TIMEOUT', message: `no answer within ${opts.timeoutMs} ms` };
      const code = (err as { code?: unknown }).code;
      const message = scrub(err instanceof Error ? err.message : String(err));
      if (isRetryableNetworkError(err)) return { ok: false, code: code as string, message };
      // Unknown local failure (bad URL, invalid header...): retrying will not help.
      return {
        ok: false,
        code: typeof code === 'string' ? code : 'REQUEST_FAILED',
        message,
        fatal: new JobError('LLM_UNAVAILABLE', `OpenRouter request failed: ${message}`, { retryable: false }),
      };
    }

    const json = parseJson(raw);
    const parsed = parseBody(CompletionBody, json) ?? {};
    const errorMessage = scrub(String(parsed.error?.message ?? (json === undefined ? raw.slice(0, 120) : '')));
    const errorCode = parsed.error?.code ?? status;

    if (status === 402) {
      return {
        ok: false,
        status,
        code: errorCode,
        message: errorMessage,
        fatal: new JobError('LLM_NO_CREDITS', `OpenRouter: insufficient credits (402) ${errorMessage}`.trim(), {
          retryable: false,
        }),
      };
    }
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(retryAfter);
      return {
        ok: false,
        status,
        code: errorCode,
        message: errorMessage,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
    if (status < 200 || status >= 300) {
      // 400 bad params, 401 bad key, 403 moderation, 404 unknown model...: the same request will
      // fail the same way; a later job retry will not help either.
      const what =
        status === 401 ? 'rejected the API key' : status === 403 ? 'refused the request (moderation)' : 'rejected the request';
      return {
        ok: false,
        status,
        code: errorCode,
        message: errorMessage,
        fatal: new JobError('LLM_UNAVAILABLE', `OpenRouter ${what} (${status}): ${errorMessage}`, { retryable: false }),
      };
    }

    // HTTP 2xx: the error may still be in the body.
    if (json === undefined) return { ok: false, status, code: 'MALFORMED', message: 'response is not JSON' };
    if (parsed.error) return { ok: false, status, code: errorCode, message: errorMessage || 'error in response body' };
    const choice = parsed.choices?.[0];
    if (!choice) return { ok: false, status, code: 'NO_CHOICES', message: 'response has no choices' };
    if (choice.error || choice.finish_reason === 'error') {
      return {
        ok: false,
        status,
        code: choice.error?.code ?? 'FINISH_ERROR',
        message: scrub(String(choice.error?.message ?? 'finish_reason error')),
      };
    }
    const content = contentText(choice.message?.content).trim();
    if (!content) return { ok: false, status, code: 'EMPTY', message: 'empty content' };
    const answer = draftFromContent(content);
    if (!answer) return { ok: false, status, code: 'BAD_JSON', message: 'JSON answer without a script in it' };
    const usage = parsed.usage ?? {};
    const draft: ScriptDraft = { ...answer };
    if (typeof parsed.model === 'string') draft.model = parsed.model;
    if (typeof usage.cost === 'number') draft.costUsd = usage.cost;
    if (typeof usage.prompt_tokens === 'number') draft.promptTokens = usage.prompt_tokens;
    if (typeof usage.completion_tokens === 'number') draft.completionTokens = usage.completion_tokens;
    return { ok: true, draft, ...(choice.finish_reason ? { finishReason: choice.finish_reason } : {}) };
  }

  /** One request with retries: Retry-After, 402, 5xx and errors in a 200 body handled alike for scripts and notes. */
  async function complete(
    call: {
      what: 'script' | 'notes';
      model: string;
      language: string;
      feedback: boolean;
      /** Ask for structured output first (scripts); falls back to prose when the model cannot. */
      structured: boolean;
      bodyFor(structured: boolean): string;
    },
    ctx: CallContext,
  ): Promise<ScriptDraft> {
    const log = ctx.logger;
    let structured = call.structured;
    let body = call.bodyFor(structured);
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      if (ctx.signal?.aborted) throw new JobError('CANCELLED', `${call.what} request cancelled`);
      log.info(
        {
          event: 'llm_request' satisfies WatchedEvent,
          jobId: ctx.jobId,
          model: call.model,
          kind: call.what,
          attempt,
          language: call.language,
          feedback: call.feedback,
        },
        `asking OpenRouter for ${call.what === 'notes' ? 'section notes' : 'a script'}`,
      );
      const result = await attemptOnce(body, ctx);
      if (result.ok) {
        const d = result.draft;
        log.info(
          {
            event: 'llm_success',
            jobId: ctx.jobId,
            model: d.model ?? call.model,
            kind: call.what,
            words: countWords(d.text, call.language),
            duration_ms: Date.now() - started,
            cost: d.costUsd,
            prompt_tokens: d.promptTokens,
            completion_tokens: d.completionTokens,
            finish_reason: result.finishReason,
            attempts: attempt,
          },
          call.what === 'notes' ? 'notes received' : 'script received',
        );
        return d;
      }

      if (structured && (result.status === 400 || result.status === 404) && UNSUPPORTED_PARAMETERS.test(result.message)) {
        // No provider of this model does structured output: ask for prose (the script step
        // cuts it into scenes). Not counted as a failed attempt.
        log.info(
          { event: 'llm_no_structured_output', jobId: ctx.jobId, model: call.model },
          'model lacks structured output, asking for text',
        );
        structured = false;
        body = call.bodyFor(structured);
        attempt--;
        continue;
      }
      const canRetry = !result.fatal && attempt <= delays.length;
      const tooLong = result.retryAfterMs !== undefined && result.retryAfterMs > maxRetryAfterMs;
      log.warn(
        {
          event: 'llm_error' satisfies WatchedEvent,
          jobId: ctx.jobId,
          kind: call.what,
          status: result.status,
          code: result.code,
          attempt,
          message: result.message,
          retry_in_ms: canRetry && !tooLong ? (result.retryAfterMs ?? delays[attempt - 1]) : undefined,
        },
        'OpenRouter attempt failed',
      );
      if (result.fatal) throw result.fatal;
      const what = `${result.status ? `HTTP ${result.status} ` : ''}${result.code ?? ''} ${result.message}`
        .replace(/\s+/g, ' ')
        .trim();
      if (tooLong) {
        throw new JobError(
          'LLM_UNAVAILABLE',
          `OpenRouter asked to wait ${Math.ceil(result.retryAfterMs! / 1000)} s (more than ${maxRetryAfterMs / 1000} s): ${what}`,
          { retryable: true },
        );
      }
      if (!canRetry) {
        throw new JobError('LLM_UNAVAILABLE', `OpenRouter failed after ${attempt} attempts: ${what}`, { retryable: true });
      }
      try {
        await sleep(result.retryAfterMs ?? delays[attempt - 1]!, undefined, ctx.signal ? { signal: ctx.signal } : {});
      } catch {
        throw new JobError('CANCELLED', `${call.what} request cancelled`);
      }
    }
  }

  const notesModel = opts.notesModel ?? opts.model;
  return {
    name: 'openrouter',
    model: opts.model,
    notesModel,
    async close() {
      await ownDispatcher?.close();
    },
    write(req: ScriptRequest, ctx: CallContext): Promise<ScriptDraft> {
      // Scenes come as structured output where the model supports it; require_parameters makes
      // OpenRouter route only to providers that honour response_format (else it answers 404).
      const bodyFor = (structured: boolean) =>
        JSON.stringify({
          model: opts.model,
          messages: buildScriptMessages(req),
          max_tokens: maxTokensFor(req),
          temperature: opts.temperature ?? 0.4,
          ...(structured
            ? {
                response_format: { type: 'json_schema', json_schema: SCENES_JSON_SCHEMA },
                provider: { require_parameters: true },
              }
            : {}),
        });
      return complete(
        { what: 'script', model: opts.model, language: req.language, feedback: Boolean(req.feedback), structured: true, bodyFor },
        ctx,
      );
    },
    summarise(req: NotesRequest, ctx: CallContext): Promise<ScriptDraft> {
      // Notes are prose: no structured output, a low temperature (they should say what the text says).
      const bodyFor = () =>
        JSON.stringify({
          model: notesModel,
          messages: buildNotesMessages(req),
          max_tokens: maxTokensFor(req),
          temperature: 0.2,
        });
      return complete(
        { what: 'notes', model: notesModel, language: req.language, feedback: false, structured: false, bodyFor },
        ctx,
      );
    },
  };
}
