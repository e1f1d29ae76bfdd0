// The fake must behave like D-ID as described in /work/shared/reference/d-id.md, or the renderer
// tests prove nothing. These tests talk to it with plain HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startFakeDid, tinyMp4, type FakeDid, type FakeDidOptions } from './did.js';

let fake: FakeDid | undefined;
let hook: Server | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
  if (hook) {
    hook.closeAllConnections();
    await new Promise<void>((r) => hook!.close(() => r()));
    hook = undefined;
  }
});

async function start(opts: FakeDidOptions = {}) {
  fake = await startFakeDid(opts);
  return fake;
}

async function call(
  method: 'GET' | 'POST',
  url: string,
  opts: { auth?: string | null; body?: unknown } = {},
): Promise<{ status: number; json: any; text: string; headers: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (opts.auth !== null) headers.authorization = opts.auth ?? `Basic ${fake!.apiKey}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(url, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, text, headers: res.headers };
}

const clipBody = (over: Record<string, unknown> = {}) => ({
  presenter_id: 'v2_public_Amber@0zSz8kflCN',
  script: { type: 'text', input: 'Hello there, this is a test.', provider: { type: 'microsoft', voice_id: 'en-US-JennyNeural' } },
  user_data: 'job-1',
  ...over,
});

async function waitUntil(cond: () => boolean) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe('fake D-ID: auth', () => {
  it('missing header -> 401 AuthorizationError', async () => {
    const f = await start();
    const r = await call('GET', `${f.url}/credits`, { auth: null });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ kind: 'AuthorizationError' });
    expect(typeof r.json.description).toBe('string');
  });

  it('malformed header -> AWS-style 403 about Credential', async () => {
    const f = await start();
    for (const auth of [`Bearer ${f.apiKey}`, 'Basic', `Basic ${f.apiKey} extra`]) {
      const r = await call('GET', `${f.url}/credits`, { auth });
      expect(r.status).toBe(403);
      expect(r.json.message).toContain("requires 'Credential' parameter");
    }
  });

  it('wrong key -> 401; the key as given or base64 of it -> accepted', async () => {
    const f = await start();
    expect((await call('GET', `${f.url}/credits`, { auth: 'Basic d3Jvbmc6a2V5' })).status).toBe(401);
    expect((await call('GET', `${f.url}/credits`)).status).toBe(200);
    const b64 = Buffer.from(f.apiKey).toString('base64');
    expect((await call('GET', `${f.url}/credits`, { auth: `Basic ${b64}` })).status).toBe(200);
  });
});

describe('fake D-ID: create', () => {
  it('answers 201 with id, object, created_at, status created', async () => {
    const f = await start({ mode: 'manual' });
    const c = await call('POST', `${f.url}/clips`, { body: clipBody() });
    expect(c.status).toBe(201);
    expect(c.json).toMatchObject({ object: 'clip', status: 'created' });
    expect(c.json.id).toMatch(/^clp_/);
    expect(Number.isNaN(Date.parse(c.json.created_at))).toBe(false);
    const e = await call('POST', `${f.url}/expressives`, {
      body: { avatar_id: 'public_amber_casual@avt_PfMblk', script: { type: 'text', input: 'Hello there.' } },
    });
    expect(e.status).toBe(201);
    expect(e.json).toMatchObject({ object: 'expressive', status: 'created' });
    expect(e.json.id).toMatch(/^exp_/);
    expect(f.creates.map((c) => c.api)).toEqual(['clips', 'expressives']);
  });

  it('validates fields with 400 ValidationError', async () => {
    const f = await start();
    const bad = [
      clipBody({ presenter_id: undefined }),
      clipBody({ script: undefined }),
      clipBody({ script: { type: 'text', input: 'hi' } }),
      clipBody({ script: { type: 'text', input: 'x'.repeat(40_001) } }),
      clipBody({ script: { type: 'audio', input: 'hello world' } }),
      clipBody({ user_data: 'u'.repeat(1001) }),
      clipBody({ user_data: '' }),
      clipBody({ webhook: 'not a url' }),
    ];
    for (const body of bad) {
      const r = await call('POST', `${f.url}/clips`, { body });
      expect(r.status).toBe(400);
      expect(r.json.kind).toBe('ValidationError');
    }
    const noAvatar = await call('POST', `${f.url}/expressives`, { body: clipBody() }); // presenter_id, not avatar_id
    expect(noAvatar.status).toBe(400);
    expect(noAvatar.json.description).toContain('avatar_id');
    expect(
      (await call('POST', `${f.url}/clips`, { body: clipBody({ script: { type: 'text', input: 'x'.repeat(40_000) } }) })).status,
    ).toBe(201);
    expect(f.videos.size).toBe(1);
  });

  it('charges a credit per video and answers 402 InsufficientCreditsError when none are left', async () => {
    const f = await start({ credits: 1, mode: 'manual' });
    expect((await call('POST', `${f.url}/clips`, { body: clipBody() })).status).toBe(201);
    const r = await call('POST', `${f.url}/clips`, { body: clipBody() });
    expect(r.status).toBe(402);
    expect(r.json.kind).toBe('InsufficientCreditsError');
    const credits = await call('GET', `${f.url}/credits`);
    expect(credits.json).toMatchObject({ remaining: 0, total: 1 });
    expect(credits.json.credits[0]).toMatchObject({ remaining: 0, total: 1 });
  });

  it('programmed faults: 500 once without creating, 504 after creating, 429 with Retry-After', async () => {
    const f = await start({ mode: 'manual' });
    f.program({ type: 'respond', route: 'create', status: 500 });
    f.program({ type: 'respond', route: 'create', status: 504, afterCreate: true });
    f.program({ type: 'respond', route: 'create', status: 429, headers: { 'retry-after': '7' } });
    const a = await call('POST', `${f.url}/clips`, { body: clipBody() });
    expect(a.status).toBe(500);
    expect(f.videos.size).toBe(0);
    const b = await call('POST', `${f.url}/clips`, { body: clipBody() });
    expect(b.status).toBe(504);
    expect(b.json.message).toBe('Endpoint request timed out');
    expect(f.videos.size).toBe(1);
    const c = await call('POST', `${f.url}/clips`, { body: clipBody() });
    expect(c.status).toBe(429);
    expect(c.headers['retry-after']).toBe('7');
    expect((await call('POST', `${f.url}/clips`, { body: clipBody() })).status).toBe(201);
    expect(f.calls['POST /clips']).toBe(4);
  });
});

describe('fake D-ID: lifecycle, list, webhook', () => {
  it('moves created -> started -> done on advance and shows the done fields', async () => {
    const f = await start({ mode: 'manual' });
    const { json } = await call('POST', `${f.url}/clips`, { body: clipBody() });
    const s0 = await call('GET', `${f.url}/clips/${json.id}`);
    expect(s0.json).toMatchObject({ id: json.id, status: 'created', user_data: 'job-1' });
    f.advance(json.id);
    expect((await call('GET', `${f.url}/clips/${json.id}`)).json.status).toBe('started');
    f.advance(json.id);
    const done = (await call('GET', `${f.url}/clips/${json.id}`)).json;
    expect(done.status).toBe('done');
    expect(done.result_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/results\//);
    expect(done.result_url.startsWith(f.resultsUrl)).toBe(true);
    expect(done.duration).toBeGreaterThan(0);
    expect(done.metadata).toMatchObject({ resolution: [1920, 1080] });
    expect(done.metadata.num_frames).toBeGreaterThan(0);
    expect(typeof done.started_at).toBe('string');
    expect(typeof done.completed_at).toBe('string');
    // A fresh signed URL on every read.
    const again = (await call('GET', `${f.url}/clips/${json.id}`)).json;
    expect(again.result_url).not.toBe(done.result_url);
  });

  it('ends in error with {kind, description}, or rejected, as programmed; stuck never moves', async () => {
    const f = await start({ mode: 'manual' });
    f.program({ type: 'video', outcome: 'error', error: { kind: 'InternalError', description: 'boom' } });
    f.program({ type: 'video', outcome: 'rejected' });
    f.program({ type: 'video', outcome: 'stuck' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call('POST', `${f.url}/clips`, { body: clipBody() })).json.id);
    ids.forEach((id) => f.finish(id));
    const [e, r, s] = await Promise.all(ids.map(async (id) => (await call('GET', `${f.url}/clips/${id}`)).json));
    expect(e).toMatchObject({ status: 'error', error: { kind: 'InternalError', description: 'boom' } });
    expect(r.status).toBe('rejected');
    expect(s.status).toBe('created');
  });

  it('auto mode reaches done by itself and calls the webhook with id, status, user_data, result_url', async () => {
    const got: any[] = [];
    hook = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        got.push({ path: req.url, body: JSON.parse(b) });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/did/webhook/job-1/tok`;
    const f = await start({ mode: 'auto', stageMs: 5 });
    const { json } = await call('POST', `${f.url}/clips`, { body: clipBody({ webhook: hookUrl }) });
    await waitUntil(() => got.length > 0);
    await f.webhooksSettled();
    expect(got[0].path).toBe('/did/webhook/job-1/tok');
    expect(got[0].body).toMatchObject({ id: json.id, status: 'done', user_data: 'job-1' });
    expect(got[0].body.result_url.startsWith(f.resultsUrl)).toBe(true);
    expect(f.webhookDeliveries[0]!.status).toBe(200);
  });

  it('skips the webhook when told to (to test polling)', async () => {
    const f = await start({ mode: 'manual', webhooks: false });
    const { json } = await call('POST', `${f.url}/clips`, { body: clipBody({ webhook: 'http://127.0.0.1:9/x' }) });
    f.finish(json.id);
    expect(f.webhookDeliveries).toHaveLength(0);
  });

  it('lists recent videos, newest first, with user_data, per API', async () => {
    const f = await start({ mode: 'manual' });
    await call('POST', `${f.url}/clips`, { body: clipBody({ user_data: 'job-a' }) });
    await call('POST', `${f.url}/clips`, { body: clipBody({ user_data: 'job-b' }) });
    await call('POST', `${f.url}/expressives`, {
      body: { avatar_id: 'x', script: { type: 'text', input: 'Hello there.' }, user_data: 'job-c' },
    });
    const clips = (await call('GET', `${f.url}/clips?limit=10`)).json;
    expect(clips.clips.map((c: any) => c.user_data)).toEqual(['job-b', 'job-a']);
    expect((await call('GET', `${f.url}/clips?limit=1`)).json.clips).toHaveLength(1);
    const exps = (await call('GET', `${f.url}/expressives`)).json;
    expect(exps.expressives.map((c: any) => c.user_data)).toEqual(['job-c']);
  });

  it('unknown video -> 404 NotFoundError', async () => {
    const f = await start();
    const r = await call('GET', `${f.url}/clips/clp_nope`);
    expect(r.status).toBe(404);
    expect(r.json.kind).toBe('NotFoundError');
  });
});

describe('fake D-ID: result host (S3)', () => {
  async function doneUrl(f: FakeDid) {
    const { json } = await call('POST', `${f.url}/clips`, { body: clipBody() });
    f.finish(json.id);
    return (await call('GET', `${f.url}/clips/${json.id}`)).json.result_url as string;
  }

  it('serves the MP4 given as a file path, starting with an ftyp box', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-did-'));
    const file = join(dir, 'v.mp4');
    writeFileSync(file, tinyMp4());
    const f = await start({ mode: 'manual', mp4: file });
    const url = await doneUrl(f);
    const res = await request(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    const bytes = Buffer.from(await res.body.arrayBuffer());
    expect(bytes.equals(tinyMp4())).toBe(true);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('refuses a request carrying an Authorization header (and records it)', async () => {
    const f = await start({ mode: 'manual' });
    const url = await doneUrl(f);
    const res = await request(url, { headers: { authorization: `Basic ${f.apiKey}` } });
    expect(res.statusCode).toBe(400);
    expect(await res.body.text()).toContain('Only one auth mechanism allowed');
    expect(f.requests.filter((r) => r.host === 'results').map((r) => r.authorization)).toEqual([`Basic ${f.apiKey}`]);
  });

  it('403 AccessDenied XML once, for that URL only; an unsigned or revoked URL -> 403', async () => {
    const f = await start({ mode: 'manual' });
    const url = await doneUrl(f);
    f.program({ type: 'respond', route: 'result', status: 403 });
    const r1 = await request(url);
    expect(r1.statusCode).toBe(403);
    expect(await r1.body.text()).toContain('<Code>AccessDenied</Code>');
    expect(await request(url).then(async (r) => (await r.body.dump(), r.statusCode))).toBe(403);
    const fresh = await doneUrl(f);
    const r2 = await request(fresh);
    expect(r2.statusCode).toBe(200);
    await r2.body.dump();
    expect(await request(fresh.split('?')[0]!).then(async (r) => (await r.body.dump(), r.statusCode))).toBe(403);
    f.expireResultUrls();
    expect(await request(fresh).then(async (r) => (await r.body.dump(), r.statusCode))).toBe(403);
  });
});
