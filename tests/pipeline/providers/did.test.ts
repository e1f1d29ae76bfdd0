import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { JobError } from '../../../src/errors.js';
import { createDidRenderer, didAuthorization, type DidRendererOptions } from '../../../pipeline/providers/did.js';
import { ResultUrlExpiredError, type CallContext, type RenderRequest } from '../../../pipeline/ports.js';
import { startFakeDid, type FakeDid, type FakeDidOptions } from '../../fakes/did.js';

type Line = Record<string, unknown>;

function capture() {
  const raw: string[] = [];
  const logger = createLogger({ level: 'debug' }, { write: (s: string) => void raw.push(s) });
  return { logger, raw, lines: () => raw.map((s) => JSON.parse(s) as Line) };
}

const AVATARS = { professional: 'v2_public_Amber@0zSz8kflCN', friendly: 'v2_public_alex@qcvo4gupoy' };
const EXPRESSIVE_AVATARS = { professional: 'public_amber_casual@avt_PfMblk', friendly: 'public_lucas_casual@avt_lu1Mzk' };

const SCRIPT = 'Welcome. This short video explains the main points of the document in plain words, one by one.';

const request = (over: Partial<RenderRequest> = {}): RenderRequest => ({
  script: SCRIPT,
  language: 'en',
  voiceId: 'en-US-JennyNeural',
  avatarStyle: 'professional',
  title: 'A document',
  ...over,
});

let fake: FakeDid | undefined;
const renderers: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(renderers.splice(0).map((r) => r.close()));
  await fake?.close();
  fake = undefined;
});

async function setup(fakeOpts: FakeDidOptions = {}, rOpts: Partial<DidRendererOptions> = {}) {
  fake = await startFakeDid(fakeOpts);
  const log = capture();
  const renderer = createDidRenderer({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    api: 'clips',
    avatars: AVATARS,
    retryDelaysMs: [10, 20],
    getRetry: { maxRetries: 2, minTimeoutMs: 10, maxTimeoutMs: 50 },
    ...rOpts,
  });
  renderers.push(renderer);
  let n = 0;
  const ctx = (jobId = `job-${++n}`): CallContext => ({ jobId, logger: log.logger });
  return { fake, renderer, log, ctx };
}

async function expectJobError(p: Promise<unknown>): Promise<JobError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(JobError);
  return e as JobError;
}

const streamToBuffer = async (r: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
};

describe('didAuthorization', () => {
  it('sends a Studio key (base64 user : password) as given', () => {
    expect(didAuthorization('ZGV2QGV4YW1wbGUuY29t:AbC123xyz')).toBe('Basic ZGV2QGV4YW1wbGUuY29t:AbC123xyz');
  });

  it('base64-encodes raw e-mail:password credentials', () => {
    expect(didAuthorization('dev@example.com:AbC123xyz')).toBe(
      `Basic ${Buffer.from('dev@example.com:AbC123xyz').toString('base64')}`,
    );
  });

  it('sends an already-encoded key without a colon as given and drops a pasted "Basic " prefix', () => {
    expect(didAuthorization('ZGV2OnNlY3JldA==')).toBe('Basic ZGV2OnNlY3JldA==');
    expect(didAuthorization('Basic ZGV2QGV4YW1wbGUuY29t:AbC123xyz ')).toBe('Basic ZGV2QGV4YW1wbGUuY29t:AbC123xyz');
  });
});

describe('D-ID renderer: create', () => {
  it('POSTs /clips with presenter_id, voice, user_data = job id, and no webhook when none is given', async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' });
    const { id } = await renderer.create(request(), ctx('job-clip'));
    expect(id).toMatch(/^clp_/);
    expect(fake.creates).toHaveLength(1);
    const body = fake.creates[0]!.body;
    expect(body).toEqual({
      presenter_id: AVATARS.professional,
      script: { type: 'text', input: SCRIPT, provider: { type: 'microsoft', voice_id: 'en-US-JennyNeural' } },
      config: { result_format: 'mp4' },
      user_data: 'job-clip',
      name: 'doc2video-job-clip',
    });
    expect('webhook' in body).toBe(false);
    expect(fake.requests[0]!.authorization).toBe(`Basic ${fake.apiKey}`);
  });

  it('POSTs /expressives with avatar_id (not presenter_id) and the webhook when given', async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' }, { api: 'expressives', avatars: EXPRESSIVE_AVATARS });
    const { id } = await renderer.create(
      request({ avatarStyle: 'friendly', voiceId: 'ar-SA-HamedNeural', webhookUrl: 'https://d2v.example/did/webhook/j/t' }),
      ctx('job-exp'),
    );
    expect(id).toMatch(/^exp_/);
    expect(fake.calls['POST /expressives']).toBe(1);
    expect(fake.calls['POST /clips']).toBeUndefined();
    const body = fake.creates[0]!.body;
    expect(body.avatar_id).toBe(EXPRESSIVE_AVATARS.friendly);
    expect(body.presenter_id).toBeUndefined();
    expect(body.webhook).toBe('https://d2v.example/did/webhook/j/t');
    expect(body.user_data).toBe('job-exp');
    expect((body.script as { provider: { voice_id: string } }).provider.voice_id).toBe('ar-SA-HamedNeural');
  });

  it('logs did_video_request with job id, api and voice, and never the key', async () => {
    const { renderer, ctx, log, fake } = await setup({ mode: 'manual' });
    await renderer.create(request(), ctx('job-log'));
    const ev = log.lines().find((l) => l.event === 'did_video_request');
    expect(ev).toMatchObject({ jobId: 'job-log', api: 'clips', voice: 'en-US-JennyNeural' });
    expect(log.raw.join('\n')).not.toContain(fake.apiKey);
  });

  it('retries a create answered 500 and ends with exactly one video', async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' });
    fake.program({ type: 'respond', route: 'create', status: 500 });
    const { id } = await renderer.create(request(), ctx());
    expect(fake.calls['POST /clips']).toBe(2);
    expect(fake.calls['GET /clips']).toBe(1); // looked for a video before creating again
    expect([...fake.videos.keys()]).toEqual([id]);
  });

  it('adopts the video of a create whose answer was lost (504 after creating): one create only', async () => {
    const { fake, renderer, ctx, log } = await setup({ mode: 'manual' });
    fake.program({ type: 'respond', route: 'create', status: 504, afterCreate: true });
    const { id } = await renderer.create(request(), ctx('job-lost'));
    expect(fake.calls['POST /clips']).toBe(1);
    expect(fake.creates).toHaveLength(1);
    expect(id).toBe(fake.creates[0]!.id);
    expect(log.lines().some((l) => l.event === 'did_video_recovered' && l.jobId === 'job-lost')).toBe(true);
  });

  it('adopts the video when the create timed out after D-ID made it', async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' }, { timeoutMs: 150 });
    fake.program({ type: 'respond', route: 'create', status: 201, afterCreate: true, delayMs: 2_000 });
    const { id } = await renderer.create(request(), ctx());
    expect(fake.creates).toHaveLength(1);
    expect(fake.calls['POST /clips']).toBe(1);
    expect(id).toBe(fake.creates[0]!.id);
  });

  it("does not adopt another job's video, nor its own failed one", async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' });
    await renderer.create(request(), ctx('job-other'));
    fake.program({ type: 'video', outcome: 'error' });
    const failed = await renderer.create(request(), ctx('job-me'));
    fake.finish(failed.id);
    expect(await renderer.findExisting(ctx('job-me'))).toBeUndefined();
    fake.program({ type: 'respond', route: 'create', status: 502 });
    const { id } = await renderer.create(request(), ctx('job-me'));
    expect(fake.creates).toHaveLength(3);
    expect(id).toBe(fake.creates[2]!.id);
  });

  it('gives up after 2 retries with a retryable VIDEO_FAILED, having created nothing twice', async () => {
    const { fake, renderer, ctx } = await setup();
    fake.program({ type: 'respond', route: 'create', status: 503, times: 3 });
    const e = await expectJobError(renderer.create(request(), ctx()));
    expect(e.code).toBe('VIDEO_FAILED');
    expect(e.retryable).toBe(true);
    expect(fake.calls['POST /clips']).toBe(3);
    expect(fake.videos.size).toBe(0);
  });

  it('honours Retry-After on 429 and retries without a lookup (nothing was made)', async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' });
    fake.program({ type: 'respond', route: 'create', status: 429, headers: { 'retry-after': '1' } });
    const { id } = await renderer.create(request(), ctx());
    expect(fake.calls['POST /clips']).toBe(2);
    expect(fake.calls['GET /clips']).toBeUndefined();
    expect([...fake.videos.keys()]).toEqual([id]);
  });

  it('fails retryable at once when Retry-After is longer than it may wait', async () => {
    const { fake, renderer, ctx } = await setup({}, { maxRetryAfterMs: 5_000 });
    fake.program({ type: 'respond', route: 'create', status: 429, headers: { 'retry-after': '3600' } });
    const e = await expectJobError(renderer.create(request(), ctx()));
    expect(e.code).toBe('VIDEO_FAILED');
    expect(e.retryable).toBe(true);
    expect(fake.calls['POST /clips']).toBe(1);
  });

  it('402 -> VIDEO_FAILED "D-ID credits exhausted", not retried, did_no_credits logged', async () => {
    const { fake, renderer, ctx, log } = await setup({ credits: 0 });
    const e = await expectJobError(renderer.create(request(), ctx('job-poor')));
    expect(e.code).toBe('VIDEO_FAILED');
    expect(e.message).toBe('D-ID credits exhausted');
    expect(e.retryable).toBe(false);
    expect(fake.calls['POST /clips']).toBe(1);
    const ev = log.lines().find((l) => l.event === 'did_no_credits');
    expect(ev).toMatchObject({ level: 'error', jobId: 'job-poor' });
  });

  it('400 about the script text -> VIDEO_REJECTED; 400 about the presenter -> VIDEO_FAILED; neither retried', async () => {
    const { fake, renderer, ctx } = await setup();
    const e1 = await expectJobError(renderer.create(request({ script: 'hi' }), ctx()));
    expect(e1.code).toBe('VIDEO_REJECTED');
    expect(e1.retryable).toBe(false);
    const r2 = createDidRenderer({
      apiKey: fake.apiKey,
      baseUrl: fake.url,
      api: 'clips',
      avatars: { professional: '', friendly: '' },
      retryDelaysMs: [10, 20],
    });
    renderers.push(r2);
    const e2 = await expectJobError(r2.create(request(), ctx()));
    expect(e2.code).toBe('VIDEO_FAILED');
    expect(e2.retryable).toBe(false);
    expect(e2.message).toContain('presenter_id');
    expect(fake.calls['POST /clips']).toBe(2);
  });

  it('a moderation 400 -> VIDEO_REJECTED', async () => {
    const { fake, renderer, ctx } = await setup();
    fake.program({
      type: 'respond',
      route: 'create',
      status: 400,
      body: { kind: 'TextModerationError', description: 'The text violates the content policy' },
    });
    const e = await expectJobError(renderer.create(request(), ctx()));
    expect(e.code).toBe('VIDEO_REJECTED');
  });

  it('401 (wrong key) -> VIDEO_FAILED not retried; the key is in neither the error nor the logs', async () => {
    fake = await startFakeDid();
    const log = capture();
    const wrongKey = 'd3JvbmdAZXhhbXBsZS5jb20:totallyWrongSecret';
    const r = createDidRenderer({ apiKey: wrongKey, baseUrl: fake.url, api: 'clips', avatars: AVATARS, retryDelaysMs: [10, 20] });
    renderers.push(r);
    const e = await expectJobError(r.create(request(), { jobId: 'job-auth', logger: log.logger }));
    expect(e.code).toBe('VIDEO_FAILED');
    expect(e.retryable).toBe(false);
    expect(e.message).not.toContain(wrongKey);
    expect(e.message).not.toContain('totallyWrongSecret');
    expect(log.raw.join('\n')).not.toContain('totallyWrongSecret');
    expect(fake.calls['POST /clips']).toBe(1);
  });

  it('a raw e-mail:password key is base64-encoded and accepted', async () => {
    fake = await startFakeDid({ apiKey: 'dev@example.com:rawSecret123', mode: 'manual' });
    const r = createDidRenderer({ apiKey: fake.apiKey, baseUrl: fake.url, api: 'clips', avatars: AVATARS });
    renderers.push(r);
    await r.create(request(), { jobId: 'job-raw', logger: capture().logger });
    expect(fake.videos.size).toBe(1);
    expect(fake.requests[0]!.authorization).toBe(`Basic ${Buffer.from(fake.apiKey).toString('base64')}`);
  });

  it('stops at once when the job is cancelled', async () => {
    const { fake, renderer, ctx } = await setup({}, { retryDelaysMs: [5_000, 5_000] });
    fake.program({ type: 'respond', route: 'create', status: 500 });
    const ac = new AbortController();
    const p = renderer.create(request(), { ...ctx(), signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeDefined();
    expect(e).not.toBeInstanceOf(JobError);
    expect(fake.calls['POST /clips']).toBe(1);
  });
});

describe('D-ID renderer: findExisting', () => {
  it('reads other list shapes defensively (bare array, other wrapper)', async () => {
    const { fake, renderer, ctx } = await setup();
    fake.program({
      type: 'respond',
      route: 'list',
      status: 200,
      body: [{ id: 'clp_a', user_data: 'job-x', status: 'done' }, { nonsense: true }, 'junk'],
    });
    expect(await renderer.findExisting(ctx('job-x'))).toEqual({ id: 'clp_a' });
    fake.program({
      type: 'respond',
      route: 'list',
      status: 200,
      body: { data: [{ id: 'clp_b', name: 'doc2video-job-y', status: 'started' }] },
    });
    expect(await renderer.findExisting(ctx('job-y'))).toEqual({ id: 'clp_b' });
    fake.program({ type: 'respond', route: 'list', status: 200, body: { clips: 'not-a-list' } });
    expect(await renderer.findExisting(ctx('job-y'))).toBeUndefined();
  });

  it('picks the newest of several matches', async () => {
    const { fake, renderer, ctx } = await setup();
    fake.program({
      type: 'respond',
      route: 'list',
      status: 200,
      body: {
        clips: [
          { id: 'clp_old', user_data: 'job-z', created_at: '2025-01-01T00:00:00Z', status: 'done' },
          { id: 'clp_new', user_data: 'job-z', created_at: '2025-01-01T00:05:00Z', status: 'created' },
        ],
      },
    });
    expect(await renderer.findExisting(ctx('job-z'))).toEqual({ id: 'clp_new' });
  });

  it('retries a list answered 503 (idempotent GET) and throws retryable when it keeps failing', async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' });
    const { id } = await renderer.create(request(), ctx('job-l'));
    fake.program({ type: 'respond', route: 'list', status: 503 });
    expect(await renderer.findExisting(ctx('job-l'))).toEqual({ id });
    expect(fake.calls['GET /clips']).toBe(2);
    fake.program({ type: 'respond', route: 'list', status: 503, times: 10 });
    const e = await expectJobError(renderer.findExisting(ctx('job-l')));
    expect(e.retryable).toBe(true);
  });
});

describe('D-ID renderer: status', () => {
  it('follows created -> started -> done with result URL and duration', async () => {
    const { fake, renderer, ctx, log } = await setup({ mode: 'manual' });
    const c = ctx('job-life');
    const { id } = await renderer.create(request(), c);
    expect(await renderer.status(id, c)).toEqual({ state: 'pending', raw: 'created' });
    fake.advance(id);
    expect(await renderer.status(id, c)).toEqual({ state: 'pending', raw: 'started' });
    fake.advance(id);
    const done = await renderer.status(id, c);
    expect(done.state).toBe('done');
    if (done.state !== 'done') return;
    expect(done.resultUrl.startsWith(`${fake.resultsUrl}/results/${id}.mp4?`)).toBe(true);
    expect(done.durationSeconds).toBe(fake.videos.get(id)!.durationSeconds);
    const events = log
      .lines()
      .filter((l) => l.jobId === 'job-life')
      .map((l) => l.event);
    expect(events.filter((e) => e === 'did_poll')).toHaveLength(3);
    expect(events).toContain('did_video_ready');
  });

  it('reaches done in auto mode by polling', async () => {
    const { renderer, ctx } = await setup({ mode: 'auto', stageMs: 5 });
    const c = ctx();
    const { id } = await renderer.create(request(), c);
    let s = await renderer.status(id, c);
    for (let i = 0; i < 400 && s.state === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 5));
      s = await renderer.status(id, c);
    }
    expect(s.state).toBe('done');
  });

  it('done with only a pending_url (s3://) counts as pending', async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' });
    fake.program({ type: 'video', pendingUrlReads: 1 });
    const c = ctx();
    const { id } = await renderer.create(request(), c);
    fake.finish(id);
    expect(await renderer.status(id, c)).toEqual({ state: 'pending', raw: 'done-without-result-url' });
    expect((await renderer.status(id, c)).state).toBe('done');
  });

  it('error -> state error with the description', async () => {
    const { fake, renderer, ctx, log } = await setup({ mode: 'manual' });
    fake.program({ type: 'video', outcome: 'error', error: { kind: 'FaceError', description: 'Failed to detect a face' } });
    const c = ctx('job-err');
    const { id } = await renderer.create(request(), c);
    fake.finish(id);
    expect(await renderer.status(id, c)).toEqual({ state: 'error', reason: 'Failed to detect a face' });
    expect(log.lines().some((l) => l.event === 'did_error' && l.jobId === 'job-err')).toBe(true);
  });

  it('rejected -> state rejected', async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' });
    fake.program({ type: 'video', outcome: 'rejected' });
    const c = ctx();
    const { id } = await renderer.create(request(), c);
    fake.finish(id);
    const s = await renderer.status(id, c);
    expect(s.state).toBe('rejected');
  });

  it('stuck in created stays pending', async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' });
    fake.program({ type: 'video', outcome: 'stuck' });
    const c = ctx();
    const { id } = await renderer.create(request(), c);
    fake.finish(id);
    expect(await renderer.status(id, c)).toEqual({ state: 'pending', raw: 'created' });
  });

  it('retries a status answered 503 / 429, and fails retryable when it keeps failing', async () => {
    const { fake, renderer, ctx } = await setup({ mode: 'manual' });
    const c = ctx();
    const { id } = await renderer.create(request(), c);
    fake.program({ type: 'respond', route: 'status', status: 503 });
    fake.program({ type: 'respond', route: 'status', status: 429, headers: { 'retry-after': '0' } });
    expect((await renderer.status(id, c)).state).toBe('pending');
    expect(fake.calls['GET /clips/:id']).toBe(3);
    fake.program({ type: 'respond', route: 'status', status: 500, times: 10 });
    const e = await expectJobError(renderer.status(id, c));
    expect(e.code).toBe('VIDEO_FAILED');
    expect(e.retryable).toBe(true);
  });

  it('an unknown video id -> state error', async () => {
    const { renderer, ctx } = await setup();
    expect((await renderer.status('clp_nope', ctx())).state).toBe('error');
  });
});

describe('D-ID renderer: download', () => {
  async function doneVideo(fakeOpts: FakeDidOptions = {}) {
    const s = await setup({ mode: 'manual', ...fakeOpts });
    const c = s.ctx('job-dl');
    const { id } = await s.renderer.create(request(), c);
    s.fake.finish(id);
    const st = await s.renderer.status(id, c);
    if (st.state !== 'done') throw new Error('not done');
    return { ...s, c, id, url: st.resultUrl };
  }

  it('streams the MP4 bytes', async () => {
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(50_000, 7)]);
    const { renderer, c, url, fake } = await doneVideo({ mp4 });
    const bytes = await streamToBuffer(await renderer.download(url, c));
    expect(bytes.equals(fake.mp4)).toBe(true);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('never sends the Authorization header to the result host', async () => {
    const { renderer, c, url, fake } = await doneVideo();
    await streamToBuffer(await renderer.download(url, c));
    const toResults = fake.requests.filter((r) => r.host === 'results');
    expect(toResults.length).toBeGreaterThan(0);
    expect(toResults.every((r) => r.authorization === undefined)).toBe(true);
    // ...while every API call carried it.
    expect(fake.requests.filter((r) => r.host === 'api').every((r) => r.authorization !== undefined)).toBe(true);
  });

  it('403 -> ResultUrlExpiredError; the URL from a fresh status read downloads', async () => {
    const { renderer, c, url, fake, id } = await doneVideo();
    fake.program({ type: 'respond', route: 'result', status: 403 });
    await expect(renderer.download(url, c)).rejects.toBeInstanceOf(ResultUrlExpiredError);
    // The old URL stays dead.
    await expect(renderer.download(url, c)).rejects.toBeInstanceOf(ResultUrlExpiredError);
    const again = await renderer.status(id, c);
    expect(again.state).toBe('done');
    if (again.state !== 'done') return;
    expect(again.resultUrl).not.toBe(url);
    const bytes = await streamToBuffer(await renderer.download(again.resultUrl, c));
    expect(bytes.equals(fake.mp4)).toBe(true);
  });

  it('an expired URL (all signatures revoked) -> ResultUrlExpiredError', async () => {
    const { renderer, c, url, fake } = await doneVideo();
    fake.expireResultUrls();
    await expect(renderer.download(url, c)).rejects.toBeInstanceOf(ResultUrlExpiredError);
  });

  it('refuses a non-http result URL (pending_url s3://)', async () => {
    const { renderer, c } = await doneVideo();
    const e = await expectJobError(renderer.download('s3://bucket/key.mp4', c));
    expect(e.code).toBe('VIDEO_FAILED');
  });
});
