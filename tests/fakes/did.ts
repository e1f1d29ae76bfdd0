// A fake D-ID API on a real HTTP server (127.0.0.1, port 0), faithful to
// /work/shared/reference/d-id.md: Basic auth, POST /clips and /expressives with their field
// checks, the created -> started -> done lifecycle (or error / rejected / stuck), webhook calls,
// list endpoints echoing user_data, GET /credits, and programmable faults (5xx, a 504 that
// comes AFTER the video was made, 429 + Retry-After, 402, slow answers).
//
// Results are served by a second server standing in for S3: a different origin, presigned-style
// URLs (a fresh signature on every status read), 403 AccessDenied XML for a revoked signature,
// and 400 when a request carries an Authorization header next to the signature (as S3 does).
//
// With `speech: true` each video is a real MP4 of its script, as D-ID makes one: the text spoken
// (espeak-ng), the SSML <break time="..."/> pauses kept as silence, a presenter-sized picture, and
// `duration` in the status is the file's own length.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { sampleMp4 } from './sample-mp4.js';
import { presenterPlaceholder, syntheticVideoArgs } from './synthetic-video.js';

export type DidApi = 'clips' | 'expressives';
export type DidVideoStatus = 'created' | 'started' | 'done' | 'error' | 'rejected';
export type FaultRoute = 'create' | 'status' | 'list' | 'result' | 'credits';

/** Answer the next request(s) on `route` with `status` instead of the normal answer. */
export interface DidFault {
  type: 'respond';
  route: FaultRoute;
  status: number;
  /** JSON body (object) or raw text; a sensible default per status is used when absent. */
  body?: unknown;
  headers?: Record<string, string>;
  /** How many requests this fault answers (default 1). */
  times?: number;
  /** create only: make the video first, then answer with the fault (a lost answer). */
  afterCreate?: boolean;
  /** Wait this long before answering (to make a client time out). */
  delayMs?: number;
}

/** How the next created video behaves. */
export interface DidVideoProgram {
  type: 'video';
  /** Final state (default 'done'); 'stuck' stays in `created` forever. */
  outcome?: 'done' | 'error' | 'rejected' | 'stuck';
  error?: { kind: string; description: string };
  /** After reaching done, the first N status reads show only `pending_url` (s3://...). */
  pendingUrlReads?: number;
  /** Applies to the next N created videos (default 1). */
  times?: number;
}

export type DidProgram = DidFault | DidVideoProgram;

export interface FakeDidOptions {
  /** The key the fake accepts, as `Basic <key>` or `Basic base64(<key>)`. */
  apiKey?: string;
  /** auto: videos move one stage every `stageMs`; manual: only `advance(id)` moves them. */
  mode?: 'auto' | 'manual';
  stageMs?: number;
  /** Call the `webhook` URL when a video finishes (default true). */
  webhooks?: boolean;
  /** MP4 served for every result: bytes or a file path. Default: a small real MP4 (sample-mp4.ts). */
  mp4?: Buffer | string;
  /** Credits left; each created video costs one. 0 -> 402 InsufficientCreditsError. */
  credits?: number;
  /** Make a real MP4 of each video's script (espeak-ng + ffmpeg), pauses included. */
  speech?: boolean;
}

export interface FakeVideo {
  id: string;
  api: DidApi;
  status: DidVideoStatus;
  body: Record<string, unknown>;
  createdAt: string;
  startedAt?: string;
  completedAt?: string;
  durationSeconds: number;
  outcome: 'done' | 'error' | 'rejected' | 'stuck';
  error?: { kind: string; description: string };
  pendingUrlReads: number;
  statusReads: number;
  /** The video's own MP4 (speech mode). */
  mp4?: Buffer;
}

export interface RecordedRequest {
  host: 'api' | 'results';
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface WebhookDelivery {
  url: string;
  body: Record<string, unknown>;
  status?: number;
  error?: string;
}

export interface FakeDid {
  /** API base URL (use as DID_BASE_URL). */
  url: string;
  /** Origin of the result ("S3") server. */
  resultsUrl: string;
  apiKey: string;
  /** Bodies of the create requests that made a video (in order). */
  creates: Array<{ api: DidApi; id: string; body: Record<string, unknown> }>;
  /** Requests per route, e.g. 'POST /clips', 'GET /clips/:id', 'GET /clips', 'GET /results/:file'. */
  calls: Record<string, number>;
  requests: RecordedRequest[];
  videos: Map<string, FakeVideo>;
  webhookDeliveries: WebhookDelivery[];
  mp4: Buffer;
  program(p: DidProgram): void;
  /** Manual mode: move a video one stage on (created -> started -> final). */
  advance(id: string): void;
  /** Move a video to its final state now. */
  finish(id: string): void;
  /** Revoke every result URL issued so far (as if they expired). */
  expireResultUrls(): void;
  /** Resolves when all webhook calls made so far have been answered. */
  webhooksSettled(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_KEY = 'ZGV2QGV4YW1wbGUuY29t:fakeDidSecret123';

/** A small but well-formed MP4 start: ftyp box, free box, mdat box with some bytes. */
export function tinyMp4(): Buffer {
  const box = (type: string, payload: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + payload.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, payload]);
  };
  const ftyp = box(
    'ftyp',
    Buffer.concat([Buffer.from('isom', 'latin1'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2avc1mp41', 'latin1')]),
  );
  const payload = Buffer.alloc(4096);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
  return Buffer.concat([ftyp, box('free', Buffer.alloc(0)), box('mdat', payload)]);
}

const AWS_MALFORMED_AUTH =
  "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
  "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a " +
  "'X-Amz-Date' or a 'Date' header.";

const ACCESS_DENIED_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message>' +
  '<RequestId>FAKE</RequestId><HostId>fake</HostId></Error>';

const TWO_AUTH_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed; ' +
  'only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be ' +
  'specified</Message><ArgumentName>Authorization</ArgumentName></Error>';

function defaultFaultBody(status: number): unknown {
  switch (status) {
    case 400:
      return { kind: 'ValidationError', description: 'Bad request' };
    case 401:
      return { kind: 'AuthorizationError', description: 'Unauthorized' };
    case 402:
      return { kind: 'InsufficientCreditsError', description: 'not enough credits' };
    case 403:
      return { message: 'User is not authorized to access this resource with an explicit deny' };
    case 404:
      return { kind: 'NotFoundError', description: 'not found' };
    case 429:
      return { kind: 'TooManyRequests', description: 'Too Many Requests' };
    case 504:
      return { message: 'Endpoint request timed out' };
    default:
      return status >= 500 ? { kind: 'InternalServerError', description: 'Internal Server Error' } : {};
  }
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  if (res.destroyed || res.writableEnded) return;
  const isText = typeof body === 'string';
  const text = isText ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': isText ? (text.startsWith('<?xml') ? 'application/xml' : 'text/plain') : 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const wordsOf = (s: string) => s.split(/\s+/).filter(Boolean).length;
const run = promisify(execFile);

/** Text pieces and the pauses after them, from a script input (SSML breaks, or plain text). */
export function spokenPieces(input: string, ssml: boolean): Array<{ text: string; pauseAfter: number }> {
  if (!ssml) return [{ text: input, pauseAfter: 0 }];
  const body = input.replace(/^\s*<speak[^>]*>|<\/speak>\s*$/g, '');
  const parts = body.split(/<break\s+time="(\d+(?:\.\d+)?)(ms|s)"\s*\/>/);
  const out: Array<{ text: string; pauseAfter: number }> = [];
  for (let i = 0; i < parts.length; i += 3) {
    const text = parts[i]!.replace(/<[^>]+>/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&')
      .trim();
    const pause = parts[i + 1] === undefined ? 0 : Number(parts[i + 1]) / (parts[i + 2] === 'ms' ? 1000 : 1);
    if (text) out.push({ text, pauseAfter: pause });
    else if (out.length) out[out.length - 1]!.pauseAfter += pause;
  }
  return out;
}

/** A real MP4 of the script: espeak-ng per piece, silence for each pause, a plain 640x360 picture. */
export async function speechMp4(input: string, ssml: boolean, voice = 'en-us'): Promise<{ mp4: Buffer; seconds: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-did-'));
  try {
    const pieces = spokenPieces(input, ssml);
    const args: string[] = [];
    const chains: string[] = [];
    for (const [i, p] of pieces.entries()) {
      await writeFile(join(dir, `p${i}.txt`), p.text);
      await run('espeak-ng', ['-v', voice, '-s', '165', '-w', join(dir, `p${i}.wav`), '-f', join(dir, `p${i}.txt`)]);
      args.push('-i', join(dir, `p${i}.wav`));
      chains.push(`[${i}:a]aresample=44100${p.pauseAfter > 0 ? `,apad=pad_dur=${p.pauseAfter}` : ''}[a${i}]`);
    }
    const graph = `${chains.join(';')};${pieces.map((_, i) => `[a${i}]`).join('')}concat=n=${pieces.length}:v=0:a=1[a]`;
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      ...args,
      '-filter_complex',
      graph,
      '-map',
      '[a]',
      join(dir, 'speech.wav'),
    ]);
    await run(
      'ffmpeg',
      syntheticVideoArgs(
        { ...presenterPlaceholder(640, 360), audio: join(dir, 'speech.wav'), audioFile: true, faststart: true },
        join(dir, 'out.mp4'),
      ),
    );
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'csv=p=0',
      join(dir, 'out.mp4'),
    ]);
    return { mp4: await readFile(join(dir, 'out.mp4')), seconds: Number(stdout.trim()) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startFakeDid(options: FakeDidOptions = {}): Promise<FakeDid> {
  const apiKey = options.apiKey ?? DEFAULT_KEY;
  const acceptedTokens = new Set([apiKey, Buffer.from(apiKey, 'utf8').toString('base64')]);
  const mode = options.mode ?? 'auto';
  const stageMs = options.stageMs ?? 15;
  const webhooksOn = options.webhooks ?? true;
  const mp4 = options.mp4 === undefined ? sampleMp4() : typeof options.mp4 === 'string' ? readFileSync(options.mp4) : options.mp4;
  let credits = options.credits ?? 100;
  const creditsTotal = credits;

  const faults: DidFault[] = [];
  const videoPrograms: DidVideoProgram[] = [];
  const videos = new Map<string, FakeVideo>();
  const creates: FakeDid['creates'] = [];
  const calls: Record<string, number> = {};
  const requests: RecordedRequest[] = [];
  const webhookDeliveries: WebhookDelivery[] = [];
  const pendingWebhooks = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  /** signature -> video id, for result URLs still valid. */
  const signatures = new Map<string, string>();
  let resultsUrl = '';
  let closed = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  const takeFault = (route: FaultRoute): DidFault | undefined => {
    const i = faults.findIndex((f) => f.route === route);
    if (i < 0) return undefined;
    const f = faults[i]!;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) faults.splice(i, 1);
    else faults[i] = { ...f, times: left };
    return f;
  };

  const answerFault = (res: ServerResponse, f: DidFault) => {
    const body = f.body ?? (f.route === 'result' && f.status === 403 ? ACCESS_DENIED_XML : defaultFaultBody(f.status));
    const go = () => send(res, f.status, body, f.headers);
    if (f.delayMs) later(f.delayMs, go);
    else go();
  };

  const freshResultUrl = (v: FakeVideo) => {
    const sig = randomBytes(12).toString('hex');
    signatures.set(sig, v.id);
    return `${resultsUrl}/results/${v.id}.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=86400&X-Amz-Signature=${sig}`;
  };

  /** The status document, as GET /clips/{id} answers it. */
  const view = (v: FakeVideo, forRead: boolean): Record<string, unknown> => {
    const b = v.body;
    const doc: Record<string, unknown> = {
      id: v.id,
      object: v.api === 'clips' ? 'clip' : 'expressive',
      created_at: v.createdAt,
      created_by: 'fake-user',
      status: v.status,
      ...(v.api === 'clips' ? { presenter_id: b.presenter_id } : { avatar_id: b.avatar_id }),
      ...(b.user_data !== undefined ? { user_data: b.user_data } : {}),
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.webhook !== undefined ? { webhook: b.webhook } : {}),
    };
    if (v.startedAt) doc.started_at = v.startedAt;
    if (v.status === 'done') {
      doc.completed_at = v.completedAt;
      doc.duration = v.durationSeconds;
      doc.metadata = {
        num_frames: Math.round(v.durationSeconds * 25),
        resolution: [1920, 1080],
        size_kib: Math.ceil((v.mp4 ?? mp4).length / 1024),
      };
      if (forRead && v.pendingUrlReads > 0) {
        v.pendingUrlReads--;
        doc.pending_url = `s3://d-id-clips-prod/fake-user/${v.id}/video.mp4`;
      } else {
        doc.result_url = freshResultUrl(v);
      }
    }
    if (v.status === 'error') doc.error = v.error ?? { kind: 'InternalError', description: 'Failed to render the video' };
    if (v.status === 'rejected') doc.error = v.error ?? { kind: 'ModerationError', description: 'content rejected' };
    return doc;
  };

  const fireWebhook = (v: FakeVideo) => {
    const url = v.body.webhook;
    if (!webhooksOn || typeof url !== 'string') return;
    const body = view(v, false);
    const delivery: WebhookDelivery = { url, body };
    webhookDeliveries.push(delivery);
    const p = (async () => {
      try {
        const r = await undiciRequest(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          headersTimeout: 5_000,
          bodyTimeout: 5_000,
        });
        delivery.status = r.statusCode;
        await r.body.dump();
      } catch (e) {
        delivery.error = (e as Error).message;
      }
    })();
    pendingWebhooks.add(p);
    void p.finally(() => pendingWebhooks.delete(p));
  };

  const step = (v: FakeVideo, toFinal = false) => {
    if (v.status === 'done' || v.status === 'error' || v.status === 'rejected') return;
    if (v.outcome === 'stuck') return;
    const now = new Date().toISOString();
    if (v.status === 'created' && !toFinal) {
      v.status = 'started';
      v.startedAt = now;
      return;
    }
    v.startedAt ??= now;
    v.status = v.outcome;
    v.completedAt = now;
    fireWebhook(v);
  };

  const autoRun = (v: FakeVideo) => {
    if (mode !== 'auto') return;
    later(stageMs, () => {
      step(v);
      if (v.status === 'started') later(stageMs, () => step(v));
    });
  };

  const authCheck = (req: IncomingMessage, res: ServerResponse): boolean => {
    const h = req.headers.authorization;
    if (h === undefined) {
      send(res, 401, { kind: 'AuthorizationError', description: 'Authorization header is missing' });
      return false;
    }
    const m = /^Basic ([^\s]+)$/.exec(h);
    if (!m) {
      // What API Gateway answers when the header is not a Basic credential it understands.
      send(res, 403, { message: AWS_MALFORMED_AUTH });
      return false;
    }
    if (!acceptedTokens.has(m[1]!)) {
      send(res, 401, { kind: 'AuthorizationError', description: 'Invalid credentials' });
      return false;
    }
    return true;
  };

  const count = (key: string) => {
    calls[key] = (calls[key] ?? 0) + 1;
  };

  const validateCreate = (api: DidApi, body: Record<string, unknown>): string | undefined => {
    const idField = api === 'clips' ? 'presenter_id' : 'avatar_id';
    if (typeof body[idField] !== 'string' || (body[idField] as string).length === 0) return `"${idField}" is required`;
    const script = body.script as Record<string, unknown> | undefined;
    if (!script || typeof script !== 'object') return '"script" is required';
    if (script.type !== 'text') return '"script.type" must be [text]';
    if (typeof script.input !== 'string') return '"script.input" is required';
    if (script.input.length < 3) return '"script.input" length must be at least 3 characters long';
    if (script.input.length > 40_000) return '"script.input" length must be less than or equal to 40000 characters long';
    const provider = script.provider as Record<string, unknown> | undefined;
    if (provider !== undefined && (typeof provider !== 'object' || typeof provider.type !== 'string')) {
      return '"script.provider.type" is required';
    }
    if (body.user_data !== undefined) {
      if (typeof body.user_data !== 'string' || body.user_data.length < 1 || body.user_data.length > 1000) {
        return '"user_data" length must be between 1 and 1000 characters';
      }
    }
    if (body.webhook !== undefined && (typeof body.webhook !== 'string' || !/^https?:\/\//.test(body.webhook))) {
      return '"webhook" must be a valid uri';
    }
    return undefined;
  };

  const handleCreate = async (api: DidApi, req: IncomingMessage, res: ServerResponse) => {
    const text = await readBody(req);
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return send(res, 400, { kind: 'ValidationError', description: 'Invalid JSON body' });
    }
    const fault = takeFault('create');
    if (fault && !fault.afterCreate) return answerFault(res, fault);
    const problem = validateCreate(api, body);
    if (problem) return send(res, 400, { kind: 'ValidationError', description: problem });
    if (credits <= 0) return send(res, 402, { kind: 'InsufficientCreditsError', description: 'not enough credits' });
    credits--;

    const prog = videoPrograms[0];
    if (prog) {
      const left = (prog.times ?? 1) - 1;
      if (left <= 0) videoPrograms.shift();
      else videoPrograms[0] = { ...prog, times: left };
    }
    const id = `${api === 'clips' ? 'clp' : 'exp'}_${randomBytes(9).toString('base64url')}`;
    const input = String((body.script as Record<string, unknown>).input);
    const ssml = (body.script as Record<string, unknown>).ssml === true;
    const voiceId = String(
      ((body.script as Record<string, unknown>).provider as Record<string, unknown> | undefined)?.voice_id ?? '',
    );
    const spoken = options.speech ? await speechMp4(input, ssml, voiceId.startsWith('ar-') ? 'ar' : 'en-us') : undefined;
    const v: FakeVideo = {
      id,
      api,
      status: 'created',
      body,
      createdAt: new Date().toISOString(),
      durationSeconds: spoken
        ? Math.round(spoken.seconds * 100) / 100
        : Math.max(3, Math.round((wordsOf(input) / 2.5) * 10) / 10),
      ...(spoken ? { mp4: spoken.mp4 } : {}),
      outcome: prog?.outcome ?? 'done',
      ...(prog?.error ? { error: prog.error } : {}),
      pendingUrlReads: prog?.pendingUrlReads ?? 0,
      statusReads: 0,
    };
    videos.set(id, v);
    creates.push({ api, id, body });
    autoRun(v);
    if (fault) return answerFault(res, fault); // afterCreate: the video exists, the answer is lost
    send(res, 201, { id, object: api === 'clips' ? 'clip' : 'expressive', created_at: v.createdAt, status: 'created' });
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const parts = u.pathname.split('/').filter(Boolean);
    const api = parts[0] === 'clips' || parts[0] === 'expressives' ? (parts[0] as DidApi) : undefined;
    const routeKey =
      api && parts.length === 1
        ? `${method} /${api}`
        : api && parts.length === 2
          ? `${method} /${api}/:id`
          : `${method} ${u.pathname}`;
    count(routeKey);
    requests.push({ host: 'api', method, path: u.pathname + u.search, authorization: req.headers.authorization });
    if (!authCheck(req, res)) return;

    if (api && parts.length === 1 && method === 'POST') return handleCreate(api, req, res);

    if (api && parts.length === 1 && method === 'GET') {
      const f = takeFault('list');
      if (f) return answerFault(res, f);
      const limit = Math.min(Math.max(Number(u.searchParams.get('limit') ?? 100) || 100, 1), 1000);
      const items = [...videos.values()]
        .filter((v) => v.api === api)
        .reverse() // newest first
        .slice(0, limit)
        .map((v) => view(v, false));
      return send(res, 200, { [api]: items });
    }

    if (api && parts.length === 2 && method === 'GET') {
      const f = takeFault('status');
      if (f) return answerFault(res, f);
      const v = videos.get(decodeURIComponent(parts[1]!));
      if (!v || v.api !== api) return send(res, 404, { kind: 'NotFoundError', description: `${api.slice(0, -1)} not found` });
      v.statusReads++;
      return send(res, 200, view(v, true));
    }

    if (u.pathname === '/credits' && method === 'GET') {
      const f = takeFault('credits');
      if (f) return answerFault(res, f);
      const expire = new Date(Date.now() + 30 * 86_400_000).toISOString();
      return send(res, 200, {
        credits: [{ owner_id: 'fake-user', remaining: credits, total: creditsTotal, expire_at: expire }],
        remaining: credits,
        total: creditsTotal,
      });
    }

    return send(res, 404, { kind: 'NotFoundError', description: 'Route not found' });
  };

  const handleResults = (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    count(`${method} /results/:file`);
    requests.push({ host: 'results', method, path: u.pathname + u.search, authorization: req.headers.authorization });
    if (req.headers.authorization !== undefined) return send(res, 400, TWO_AUTH_XML);
    const m = /^\/results\/([^/]+)\.mp4$/.exec(u.pathname);
    const sig = u.searchParams.get('X-Amz-Signature') ?? '';
    const f = takeFault('result');
    if (f) {
      // A 403 fault also kills that URL: only a fresh one (from a new status read) works.
      if (f.status === 403) signatures.delete(sig);
      return answerFault(res, f);
    }
    if (method !== 'GET' || !m || signatures.get(sig) !== m[1]) return send(res, 403, ACCESS_DENIED_XML);
    const bytes = videos.get(m[1]!)?.mp4 ?? mp4;
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length, etag: '"fake-etag"' });
    res.end(bytes);
  };

  const wrap = (h: (req: IncomingMessage, res: ServerResponse) => unknown) => (req: IncomingMessage, res: ServerResponse) => {
    Promise.resolve(h(req, res)).catch((e: unknown) => send(res, 500, { kind: 'FakeError', description: String(e) }));
  };
  const apiServer = createServer(wrap(handleApi));
  const resultServer = createServer(wrap(handleResults));
  const url = await listen(apiServer);
  resultsUrl = await listen(resultServer);

  const get = (id: string) => {
    const v = videos.get(id);
    if (!v) throw new Error(`fake D-ID: no video ${id}`);
    return v;
  };

  return {
    url,
    resultsUrl,
    apiKey,
    creates,
    calls,
    requests,
    videos,
    webhookDeliveries,
    mp4,
    program(p) {
      if (p.type === 'respond') faults.push(p);
      else videoPrograms.push(p);
    },
    advance(id) {
      step(get(id));
    },
    finish(id) {
      step(get(id), true);
    },
    expireResultUrls() {
      signatures.clear();
    },
    async webhooksSettled() {
      await Promise.allSettled([...pendingWebhooks]);
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...pendingWebhooks]);
      for (const s of [apiServer, resultServer]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
