// D-ID video renderer (Clips or Expressives API) over undici.
//
// Money rules the design: a create that fails ambiguously (5xx, timeout, network) may still have
// made a video we pay for, so it is never retried blindly — we first look for a video carrying
// our job id (user_data / name) and adopt it. GETs (status, list, result download) are
// idempotent and use undici's retry interceptor. The API key goes only to the API origin: the
// result URL is a presigned S3 link on another host and is fetched with no Authorization.
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { AvatarStyle } from '../../src/config.js';
import { JobError } from '../../src/errors.js';
import { SCENE_PAUSE_SECONDS } from '../render/timeline.js';
import { ResultUrlExpiredError, type CallContext, type RenderRequest, type RenderStatus, type VideoRenderer } from '../ports.js';
import { RETRYABLE_NETWORK_CODES, networkProblem, parseBody, parseJson, parseRetryAfter, providerScrubber } from './http.js';
import type { WatchedEvent } from '../../src/logger.js';

export interface DidRendererOptions {
  /** D-ID API key as shown in D-ID Studio (`user:password`). */
  apiKey: string;
  baseUrl: string;
  api: 'clips' | 'expressives';
  /** avatar style -> presenter_id (clips) or avatar_id (expressives). */
  avatars: Record<AvatarStyle, string>;
  /** Base dispatcher (tests, proxies). Default: an own undici Agent, closed by close(). */
  dispatcher?: Dispatcher;
  /** Waits before create retries; its length is the number of retries. Default [2000, 4000]. */
  retryDelaysMs?: number[];
  /** Retry policy for GETs, handed to undici's retry interceptor. */
  getRetry?: { maxRetries?: number; minTimeoutMs?: number; maxTimeoutMs?: number };
  /** Time to wait for response headers from D-ID. Default 45 s (D-ID's gateway gives up at ~30 s). */
  timeoutMs?: number;
  /** Longest Retry-After honoured inside one create; a longer one fails retryable (the queue waits). Default 60 s. */
  maxRetryAfterMs?: number;
  /** How many recent videos findExisting looks through. Default 100. */
  listLimit?: number;
}

/** The pause asked for between scenes (the compose step looks for pauses of this length). */
const SCENE_BREAK_MS = Math.round(SCENE_PAUSE_SECONDS * 1000);

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** `<speak>scene 1 <break time="1200ms"/> scene 2 ...</speak>`, the text escaped for XML. */
function scenesSsml(scenes: readonly string[], breakMs: number): string {
  return `<speak>${scenes.map((s) => xmlEscape(s.trim())).join(` <break time="${breakMs}ms"/> `)}</speak>`;
}

export interface DidRenderer extends VideoRenderer {
  readonly name: 'd-id';
  /** Close the connection pool this renderer created (a given dispatcher is left alone). */
  close(): Promise<void>;
}

/**
 * Value of the Authorization header for a D-ID key.
 *
 * D-ID documents `Authorization: Basic <key>` with the key exactly as Studio shows it: already
 * `user:password` where `user` is the base64 of the account e-mail (e.g. `ZGV2QGV4...:AbC123`).
 * That form is sent as given — encoding it again would produce a credential D-ID does not know.
 * A key whose user part is not base64 (someone pasted raw `me@example.com:password`) is what
 * standard Basic auth expects to be base64-encoded, so that one is encoded. A key without ':'
 * is taken to be an already-encoded credential and sent as given. A pasted "Basic " prefix is
 * dropped so we never send "Basic Basic ...", which D-ID answers with a confusing AWS-style 403.
 */
export function didAuthorization(apiKey: string): string {
  const key = apiKey.trim().replace(/^basic\s+/i, '');
  const colon = key.indexOf(':');
  if (colon > 0) {
    const user = key.slice(0, colon);
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(user)) {
      return `Basic ${Buffer.from(key, 'utf8').toString('base64')}`;
    }
  }
  return `Basic ${key}`;
}

interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
}

// The shapes we read from D-ID. Loose on purpose (passthrough, optional fields): D-ID adds
// fields freely, and a field we do not need must never fail a job.
const text = z.string().min(1);
/** D-ID error bodies are `{kind, description}`; the API gateway's are `{message}`. */
const ErrorBody = z.looseObject({
  kind: text.optional().catch(undefined),
  description: text.optional().catch(undefined),
  message: text.optional().catch(undefined),
  Message: text.optional().catch(undefined),
});
const Created = z.looseObject({ id: text });
const Video = z.looseObject({
  id: text,
  status: text.optional().catch(undefined),
  result_url: text.optional().catch(undefined),
  duration: z.number().finite().optional().catch(undefined),
  created_at: z.string().optional().catch(undefined),
  user_data: z.string().optional().catch(undefined),
  name: z.string().optional().catch(undefined),
  error: z.unknown().optional(),
});
type Video = z.infer<typeof Video>;
/** The documented list shape is {clips:[...]} / {expressives:[...]}; other wrappers or a bare array are accepted too. */
const VideoList = z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]);

function errorInfo(json: unknown): { kind: string; description: string } {
  const e = parseBody(ErrorBody, json);
  return { kind: e?.kind ?? '', description: (e?.description ?? e?.message ?? e?.Message ?? '').slice(0, 300) };
}

/** A text-level refusal: moderation, or a validation error about the script text itself. */
function isContentRejection(kind: string, description: string): boolean {
  const all = `${kind} ${description}`.toLowerCase();
  if (/moderat|inappropriate|content.?policy|unsafe|celebrit|reject|prohibited/.test(all)) return true;
  return /validation/i.test(kind) && /script|input|text/i.test(description);
}

/** host + path of a URL, without the query (a presigned URL's signature is a credential). */
const safeUrl = (u: string): string => {
  try {
    const p = new URL(u);
    return `${p.host}${p.pathname}`;
  } catch {
    return '(unparseable url)';
  }
};

export function createDidRenderer(opts: DidRendererOptions): DidRenderer {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const auth = didAuthorization(opts.apiKey);
  const secrets = [opts.apiKey, auth.slice('Basic '.length)].filter((s) => s.length >= 6);
  const retryDelays = opts.retryDelaysMs ?? [2_000, 4_000];
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const maxRetryAfter = opts.maxRetryAfterMs ?? 60_000;
  const listLimit = opts.listLimit ?? 100;
  const kind = opts.api === 'clips' ? 'clip' : 'expressive';

  const ownAgent = opts.dispatcher ? undefined : new Agent({ connect: { timeout: 10_000 }, keepAliveTimeout: 10_000 });
  const base: Dispatcher = opts.dispatcher ?? ownAgent!;
  // Idempotent GETs only. throwOnError:false hands us the final response after the retries, so
  // the status mapping below stays in one place. Timeouts and resets count as retryable too.
  const getDispatcher = base.compose(
    interceptors.retry({
      methods: ['GET'],
      statusCodes: [429, 500, 502, 503, 504],
      errorCodes: [...RETRYABLE_NETWORK_CODES],
      maxRetries: opts.getRetry?.maxRetries ?? 3,
      minTimeout: opts.getRetry?.minTimeoutMs ?? 1_000,
      maxTimeout: opts.getRetry?.maxTimeoutMs ?? 30_000,
      timeoutFactor: 2,
      retryAfter: true,
      throwOnError: false,
    }),
  );

  /** Belt and braces: no detail we build from a response may carry the key. */
  const scrub = providerScrubber(secrets, 1000);

  async function api(method: 'GET' | 'POST', path: string, ctx: CallContext, body?: unknown): Promise<ApiResponse> {
    const res = await request(`${baseUrl}${path}`, {
      method,
      dispatcher: method === 'GET' ? getDispatcher : base,
      headers: {
        authorization: auth,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: ctx.signal,
    });
    return { status: res.statusCode, headers: res.headers, json: parseJson(await res.body.text()) };
  }

  /** Map a final non-2xx answer (after any retries) to a JobError. */
  function failure(res: ApiResponse, what: string, ctx: CallContext): JobError {
    const { kind: errKind, description } = errorInfo(res.json);
    const s = res.status;
    if (s === 402) {
      ctx.logger.error(
        { event: 'did_no_credits' satisfies WatchedEvent, jobId: ctx.jobId, status: s, kind: errKind },
        'D-ID credits exhausted',
      );
      return new JobError('VIDEO_FAILED', 'D-ID credits exhausted', { retryable: false });
    }
    ctx.logger.error(
      {
        event: 'did_error' satisfies WatchedEvent,
        jobId: ctx.jobId,
        op: what,
        status: s,
        kind: errKind,
        description: scrub(description),
      },
      `D-ID ${what} failed`,
    );
    if (s === 401 || s === 403) {
      // The body of an auth failure may echo a hash of the header: keep it out of the detail.
      return new JobError('VIDEO_FAILED', `D-ID refused our credentials (HTTP ${s}); check DID_API_KEY`, {
        retryable: false,
      });
    }
    const detail = scrub(`D-ID ${what} failed: HTTP ${s}${errKind ? ` ${errKind}` : ''}${description ? `: ${description}` : ''}`);
    if (s === 400 && isContentRejection(errKind, description)) {
      return new JobError('VIDEO_REJECTED', detail, { retryable: false });
    }
    return new JobError('VIDEO_FAILED', detail, { retryable: s === 429 || s >= 500 });
  }

  function netFailure(err: unknown, what: string, ctx: CallContext): JobError {
    const problem = networkProblem(err);
    ctx.logger.error({ event: 'did_error' satisfies WatchedEvent, jobId: ctx.jobId, op: what, problem }, `D-ID ${what} failed`);
    return new JobError('VIDEO_FAILED', `D-ID ${what} failed: ${problem}`, { retryable: true, cause: err });
  }

  async function findExisting(ctx: CallContext): Promise<{ id: string } | undefined> {
    let res: ApiResponse;
    try {
      res = await api('GET', `/${opts.api}?limit=${listLimit}`, ctx);
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw netFailure(err, 'list', ctx);
    }
    if (res.status === 404 || res.status === 405) {
      // No list endpoint for this API: we cannot tell; the caller decides (create proceeds).
      ctx.logger.warn({ event: 'did_list_unsupported', jobId: ctx.jobId, api: opts.api, status: res.status });
      return undefined;
    }
    if (res.status < 200 || res.status >= 300) throw failure(res, 'list', ctx);
    const list = parseBody(VideoList, res.json) ?? [];
    const items: unknown[] = Array.isArray(list)
      ? list
      : (((Array.isArray(list[opts.api]) ? list[opts.api] : Object.values(list).find(Array.isArray)) as unknown[] | undefined) ??
        []);
    const ours = items
      .map((v) => parseBody(Video, v))
      .filter(
        (v): v is Video =>
          v !== undefined &&
          (v.user_data === ctx.jobId || v.name === `doc2video-${ctx.jobId}`) &&
          // A failed attempt of ours must not be adopted: the job would wait on a dead video forever.
          v.status !== 'error' &&
          v.status !== 'rejected',
      );
    if (ours.length === 0) return undefined;
    const time = (v: Video) => Date.parse(v.created_at ?? '') || 0;
    ours.sort((a, b) => time(b) - time(a));
    return { id: ours[0]!.id };
  }

  async function create(req: RenderRequest, ctx: CallContext): Promise<{ id: string }> {
    const avatar = opts.avatars[req.avatarStyle];
    // Scenes go out as SSML with a break between them: the pauses are how the compose step finds
    // where each scene starts in the one video D-ID makes.
    const ssml = req.scenes && req.scenes.length > 1 ? scenesSsml(req.scenes, SCENE_BREAK_MS) : undefined;
    const script = {
      type: 'text',
      input: ssml ?? req.script,
      ...(ssml ? { ssml: true } : {}),
      provider: { type: 'microsoft', voice_id: req.voiceId },
    };
    const common = {
      script,
      ...(req.webhookUrl ? { webhook: req.webhookUrl } : {}),
      user_data: ctx.jobId,
      name: `doc2video-${ctx.jobId}`,
    };
    const body =
      opts.api === 'clips'
        ? { presenter_id: avatar, ...common, config: { result_format: 'mp4' } }
        : { avatar_id: avatar, ...common };
    ctx.logger.info({
      event: 'did_video_request' satisfies WatchedEvent,
      jobId: ctx.jobId,
      api: opts.api,
      voice: req.voiceId,
      avatar,
      chars: req.script.length,
      webhook: Boolean(req.webhookUrl),
    });

    // Hand-written loop rather than the retry interceptor: between attempts we must ask D-ID
    // whether the previous one made a video, which no generic retry policy can do.
    let maybeCreated = false;
    let giveUp = false;
    let problem: string;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && maybeCreated) {
        const found = await findExisting(ctx);
        if (found) {
          ctx.logger.warn({ event: 'did_video_recovered', jobId: ctx.jobId, videoId: found.id, attempt });
          return found;
        }
      }
      let waitMs: number | undefined;
      try {
        const res = await api('POST', `/${opts.api}`, ctx, body);
        if (res.status >= 200 && res.status < 300) {
          const id = parseBody(Created, res.json)?.id;
          if (id) {
            ctx.logger.info({ event: 'did_video_created', jobId: ctx.jobId, videoId: id, attempt });
            return { id };
          }
          // Accepted but no id: something was probably made; find it rather than create again.
          maybeCreated = true;
          problem = `HTTP ${res.status} without an id`;
        } else if (res.status === 429) {
          // Refused before any work was done: safe to send again once the wait is over.
          waitMs = parseRetryAfter(res.headers['retry-after']);
          problem = 'HTTP 429 (rate limited)';
          giveUp = waitMs !== undefined && waitMs > maxRetryAfter;
          ctx.logger.warn({ event: 'did_rate_limited', jobId: ctx.jobId, attempt, retryAfterMs: waitMs });
        } else if (res.status >= 500) {
          maybeCreated = true;
          problem = `HTTP ${res.status} ${errorInfo(res.json).description}`.trim();
        } else {
          throw failure(res, 'create', ctx);
        }
      } catch (err) {
        if (err instanceof JobError) throw err;
        if (ctx.signal?.aborted) throw err;
        // Timeout or connection loss: the request may have reached D-ID.
        maybeCreated = true;
        problem = networkProblem(err);
      }

      ctx.logger.warn({
        event: 'did_create_attempt_failed' satisfies WatchedEvent,
        jobId: ctx.jobId,
        attempt,
        problem: scrub(problem),
        maybeCreated,
      });
      if (attempt >= retryDelays.length || giveUp) {
        if (maybeCreated) {
          const found = await findExisting(ctx);
          if (found) {
            ctx.logger.warn({ event: 'did_video_recovered', jobId: ctx.jobId, videoId: found.id, attempt });
            return found;
          }
        }
        ctx.logger.error({ event: 'did_error' satisfies WatchedEvent, jobId: ctx.jobId, op: 'create', problem: scrub(problem) });
        throw new JobError('VIDEO_FAILED', scrub(`D-ID create failed after ${attempt + 1} attempts: ${problem}`), {
          retryable: true,
        });
      }
      await sleep(waitMs ?? retryDelays[attempt]!, undefined, { signal: ctx.signal });
    }
  }

  async function status(videoId: string, ctx: CallContext): Promise<RenderStatus> {
    let res: ApiResponse;
    try {
      res = await api('GET', `/${opts.api}/${encodeURIComponent(videoId)}`, ctx);
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw netFailure(err, 'status', ctx);
    }
    if (res.status === 404) {
      ctx.logger.error({ event: 'did_error' satisfies WatchedEvent, jobId: ctx.jobId, op: 'status', videoId, status: 404 });
      return { state: 'error', reason: `${kind} ${videoId} not found` };
    }
    if (res.status < 200 || res.status >= 300) throw failure(res, 'status', ctx);
    const j: Partial<Video> = parseBody(Video, res.json) ?? {};
    const raw = j.status ?? 'unknown';
    ctx.logger.info({ event: 'did_poll' satisfies WatchedEvent, jobId: ctx.jobId, videoId, status: raw });
    switch (raw) {
      case 'done': {
        const resultUrl = j.result_url;
        if (!resultUrl || !/^https?:\/\//i.test(resultUrl)) {
          // Reported: done with only an s3:// pending_url. Not usable yet; poll again.
          return { state: 'pending', raw: 'done-without-result-url' };
        }
        const duration = j.duration;
        ctx.logger.info({ event: 'did_video_ready', jobId: ctx.jobId, videoId, durationSeconds: duration });
        return { state: 'done', resultUrl, ...(duration !== undefined ? { durationSeconds: duration } : {}) };
      }
      case 'error':
      case 'rejected': {
        const { kind: errKind, description } = errorInfo(j.error);
        const reason = description || errKind || (raw === 'rejected' ? 'rejected by moderation' : 'render failed');
        ctx.logger.error({
          event: 'did_error' satisfies WatchedEvent,
          jobId: ctx.jobId,
          op: 'render',
          videoId,
          status: raw,
          kind: errKind,
          reason,
        });
        return { state: raw, reason };
      }
      default:
        // created / started / pending / anything new: keep waiting (the deadline bounds it).
        return { state: 'pending', raw };
    }
  }

  async function download(resultUrl: string, ctx: CallContext): Promise<Readable> {
    let url: URL;
    try {
      url = new URL(resultUrl);
    } catch {
      throw new JobError('VIDEO_FAILED', 'D-ID result URL is not a URL', { retryable: false });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new JobError('VIDEO_FAILED', `D-ID result URL has protocol ${url.protocol}`, { retryable: false });
    }
    let res: Dispatcher.ResponseData;
    try {
      // No Authorization, no cookies, nothing of ours: the link carries its own signature, and
      // S3 refuses a request with two auth mechanisms anyway.
      res = await request(url, {
        method: 'GET',
        dispatcher: getDispatcher,
        headers: { accept: 'video/mp4,*/*' },
        headersTimeout: timeoutMs,
        bodyTimeout: 60_000,
        signal: ctx.signal,
      });
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw netFailure(err, 'download', ctx);
    }
    if (res.statusCode === 403) {
      await res.body.dump();
      ctx.logger.warn({ event: 'did_result_expired', jobId: ctx.jobId, url: safeUrl(resultUrl) });
      throw new ResultUrlExpiredError('D-ID result URL refused (expired or revoked); re-read the status for a fresh one');
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump();
      ctx.logger.error({
        event: 'did_error' satisfies WatchedEvent,
        jobId: ctx.jobId,
        op: 'download',
        status: res.statusCode,
        url: safeUrl(resultUrl),
      });
      throw new JobError('VIDEO_FAILED', `D-ID result download failed: HTTP ${res.statusCode}`, {
        retryable: res.statusCode === 429 || res.statusCode >= 500,
      });
    }
    ctx.logger.info({
      event: 'did_download_start' satisfies WatchedEvent,
      jobId: ctx.jobId,
      url: safeUrl(resultUrl),
      bytes: Number(res.headers['content-length']) || undefined,
    });
    return res.body;
  }

  return {
    name: 'd-id',
    create,
    findExisting,
    status,
    download,
    async close() {
      await ownAgent?.close();
    },
  };
}
