// The web API over real HTTP, with real Redis, the real worker and pipeline, the offline script
// writer and a renderer that hands back a real (tiny) MP4 at once, so a job ends in a second.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../../helpers/harness.js';
import { repoRoot } from '../../helpers/corpus.js';
import { createInstantRenderer } from '../../fakes/instant-renderer.js';
import { startWebFrontDoor, webAdapterFor } from '../../../bots/web/index.js';
import { keptFileRoutes } from '../../../src/http/files-route.js';
import { videoKeeperFrom } from '../../../src/storage/keeper.js';
import { signedPath } from '../../../src/storage/links.js';
import type { ApiVideo } from '../../../bots/web/api.js';

const run = promisify(execFile);
const KEYS = {
  alice: 'alice-secret-0123456789abcdef',
  bob: 'bob-secret-0123456789abcdef',
  carol: 'carol-secret-0123456789abcdef',
};
const LINK_SECRET = 'link-secret-for-web-api-tests';
const auth = (name: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[name]}` });

let h: Harness;
let pdf: Buffer;
let mp4: Buffer;
let work: string;

async function upload(
  headers: Record<string, string>,
  file: { bytes: Buffer; name?: string; type?: string } = { bytes: pdf },
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([file.bytes], { type: file.type ?? 'application/pdf' }), file.name ?? 'water.pdf');
  const res = await fetch(`${h.baseUrl}/api/v1/videos`, { method: 'POST', headers, body: form });
  return { res, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

async function getJob(id: string, headers: Record<string, string>) {
  const res = await fetch(`${h.baseUrl}/api/v1/videos/${id}`, { headers });
  return { res, body: (await res.json()) as ApiVideo & { error: { code: string; message: string } | null } };
}

const uploadsDir = () => path.join(h.dataDir, 'videos', 'uploads');
const filesIn = async (dir: string) => readdir(dir).catch(() => [] as string[]);

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'd2v-webapi-'));
  pdf = await readFile(path.join(repoRoot, 'examples/the-water-cycle.pdf'));
  const out = path.join(work, 'tiny.mp4');
  await run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-f', 'lavfi', '-i', 'sine=frequency=440'],
    ...['-t', '1.5', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', out],
  ]);
  mp4 = await readFile(out);
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    publicUrl: true,
    worker: false,
    env: {
      SCRIPT_PROVIDER: 'local',
      VIDEO_PROVIDER: 'local',
      API_KEYS: Object.entries(KEYS)
        .map(([n, s]) => `${n}:${s}`)
        .join(','),
      WEB_UPLOADS: 'public',
      LINK_SECRET,
      JOB_TTL_SECONDS: '60',
    },
    services: { renderer: createInstantRenderer(mp4) },
    adapters: (s) => ({ web: webAdapterFor(s) }),
    mount: (services, server) => {
      void server.app.register(keptFileRoutes({ store: services.store, linkSecret: LINK_SECRET }));
      startWebFrontDoor(services, server, { role: 'web' });
    },
  });
});

afterAll(async () => {
  await h?.close();
  await rm(work, { recursive: true, force: true });
});

describe('the web API (worker stopped: jobs stay queued)', () => {
  it('refuses a wrong key with 401 UNAUTHORIZED, and an anonymous caller sees nothing of a key holder', async () => {
    const wrong = await upload({ authorization: 'Bearer not-a-key-of-ours-0123456' });
    expect(wrong.res.status).toBe(401);
    expect(wrong.body.error?.code).toBe('UNAUTHORIZED');
    expect(wrong.res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const get = await fetch(`${h.baseUrl}/api/v1/videos/abcdefghij`, { headers: { authorization: 'Bearer nope' } });
    expect(get.status).toBe(401);
    expect(await filesIn(uploadsDir())).toEqual([]);
  });

  it("answers someone else's job with 404, like a missing one", async () => {
    const { res, body } = await upload(auth('bob'));
    expect(res.status).toBe(202);
    const id = body.id as string;
    expect((await getJob(id, auth('bob'))).res.status).toBe(200);
    const others: Record<string, string>[] = [auth('carol'), {}, { 'x-owner-token': 'A'.repeat(43) }];
    for (const headers of others) {
      const other = await getJob(id, headers);
      expect(other.res.status).toBe(404);
      expect(other.body.error?.code).toBe('NOT_FOUND');
      const del = await fetch(`${h.baseUrl}/api/v1/videos/${id}`, { method: 'DELETE', headers });
      expect(del.status).toBe(404);
    }
    expect((await getJob('zzzzzzzzzz', auth('bob'))).res.status).toBe(404);
  });

  it('cancels a queued job: DELETE answers it cancelled, and its uploaded PDF is gone', async () => {
    const { body } = await upload(auth('carol'));
    const id = body.id as string;
    expect(await filesIn(uploadsDir())).toContain(`${id}.pdf`);
    const del = await fetch(`${h.baseUrl}/api/v1/videos/${id}`, { method: 'DELETE', headers: auth('carol') });
    expect(del.status).toBe(200);
    expect(((await del.json()) as ApiVideo).status).toBe('cancelled');
    const after = await getJob(id, auth('carol'));
    expect(after.body.status).toBe('cancelled');
    expect(after.body.error?.code).toBe('CANCELLED');
    expect(await filesIn(uploadsDir())).not.toContain(`${id}.pdf`);
  });

  it('refuses a file that is not a PDF with 415 NOT_A_PDF and keeps nothing of it', async () => {
    const before = await filesIn(uploadsDir());
    const { res, body } = await upload(auth('carol'), { bytes: Buffer.from('hello, not a pdf\n'.repeat(200)), name: 'x.pdf' });
    expect(res.status).toBe(415);
    expect(body.error?.code).toBe('NOT_A_PDF');
    expect(await filesIn(uploadsDir())).toEqual(before);
  });

  it('gives an anonymous browser 5 uploads, then 429 RATE_LIMITED with Retry-After and RateLimit-* headers', async () => {
    let token: string | undefined;
    const remaining: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { res, body } = await upload(token ? { 'x-owner-token': token } : {});
      expect(res.status, JSON.stringify(body)).toBe(202);
      expect(res.headers.get('ratelimit-limit')).toBe('5');
      remaining.push(res.headers.get('ratelimit-remaining')!);
      ids.push(body.id as string);
      if (!token) {
        token = body.ownerToken as string;
        expect(res.headers.get('set-cookie')).toMatch(/^d2v_owner=[\w-]{43}; Path=\/api\/v1; .*HttpOnly/);
      }
      // The browser's own job is visible to it, by header or by cookie.
      expect((await getJob(body.id as string, { cookie: `d2v_owner=${token}` })).res.status).toBe(200);
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const sixth = await upload({ 'x-owner-token': token! });
    expect(sixth.res.status).toBe(429);
    expect(sixth.body.error?.code).toBe('RATE_LIMITED');
    expect(Number(sixth.res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(sixth.res.headers.get('ratelimit-limit')).toBe('5');
    expect(sixth.res.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(sixth.res.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    // Out of the way of the later tests' jobs.
    for (const id of ids)
      await fetch(`${h.baseUrl}/api/v1/videos/${id}`, { method: 'DELETE', headers: { 'x-owner-token': token! } });
  });

  it('refuses a 21 MB upload with 413 while it is still being sent, and writes nothing of it', async () => {
    const total = 21 * 1024 * 1024;
    const boundary = 'x-boundary-7MA4YWxkTrZu0gW';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const length = head.length + total + tail.length;
    const url = new URL(`${h.baseUrl}/api/v1/videos`);
    let sent = 0;
    const answer = await new Promise<{ status: number; sentAtAnswer: number; body: string }>((resolve, reject) => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          ...auth('alice'),
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(length),
        },
      });
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        const sentAtAnswer = sent;
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, sentAtAnswer, body }));
      });
      // Once answered, the server closes the connection: our unsent rest fails to go, as intended.
      req.on('error', (err) => (answered ? undefined : reject(err)));
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        if (sent === 0) {
          req.write(head);
          sent += head.length;
        }
        while (!answered && sent < head.length + total) {
          const n = Math.min(chunk.length, head.length + total - sent);
          sent += n;
          if (!req.write(chunk.subarray(0, n))) return void req.once('drain', pump);
        }
        if (!answered) req.end(tail);
      };
      pump();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe('PDF_TOO_LARGE');
    expect(answer.sentAtAnswer).toBeLessThan(length);
    // Nothing of it in the uploads area, not even a partial file.
    const left = (await filesIn(uploadsDir())).filter((f) => f.endsWith('.part') || f.includes('big'));
    expect(left).toEqual([]);
  });

  it('describes itself as OpenAPI 3.1 at /api/v1/openapi.json', async () => {
    const res = await fetch(`${h.baseUrl}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/videos',
        '/api/v1/videos/{id}',
        '/api/v1/videos/{id}/events',
        '/api/v1/videos/{id}/video',
      ]),
    );
  });
});

describe('the web API with a worker', () => {
  beforeAll(() => {
    h.startWorker({ keeper: videoKeeperFrom(h.services) });
  });

  it('submits, follows the events, fetches the MP4 (with ranges) and keeps the job readable after JOB_TTL_SECONDS', async () => {
    const { res, body } = await upload(auth('alice'), { bytes: pdf }, { layout: 'presenter', captions: 'false', language: 'en' });
    expect(res.status).toBe(202);
    expect(res.headers.get('ratelimit-remaining')).toBe('4');
    const id = body.id as string;
    expect(body).toMatchObject({ status: 'queued', links: { self: `${h.baseUrl}/api/v1/videos/${id}` } });
    expect(typeof body.position).toBe('number');

    // Server-Sent Events until the job ends; the stream then closes by itself.
    const events = await fetch(`${h.baseUrl}/api/v1/videos/${id}/events`, { headers: auth('alice') });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await events.text();
    const seen = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as ApiVideo);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)!.status).toBe('done');

    const done = await getJob(id, auth('alice'));
    expect(done.body).toMatchObject({ id, status: 'done', progress: 1, error: null });
    // The kept video is the pipeline's explainer (composed around the renderer's clip).
    expect(done.body.video).toMatchObject({ url: `${h.baseUrl}/api/v1/videos/${id}/video` });
    const keptBytes = done.body.video!.bytes;
    expect(keptBytes).toBeGreaterThan(1000);
    expect(Date.parse(done.body.video!.expiresAt)).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    const video = await fetch(done.body.video!.url, { headers: auth('alice') });
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect(video.headers.get('accept-ranges')).toBe('bytes');
    const got = Buffer.from(await video.arrayBuffer());
    expect(got.length).toBe(keptBytes);
    const file = path.join(work, `${id}.mp4`);
    await writeFile(file, got);
    const probe = JSON.parse(
      (await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type:format=duration', '-of', 'json', file])).stdout,
    ) as { streams: { codec_type: string }[]; format: { duration: string } };
    expect(probe.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(Number(probe.format.duration)).toBeGreaterThan(1);

    const part = await fetch(done.body.video!.url, { headers: { ...auth('alice'), range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${keptBytes}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(got.subarray(0, 100))).toBe(true);
    const captions = await fetch(`${done.body.video!.url}?file=captions`, { headers: auth('alice') });
    expect(captions.status).toBe(200);
    expect(await captions.text()).toMatch(/^WEBVTT/);
    expect(done.body.video!.captionsUrl).toBe(`${h.baseUrl}/api/v1/videos/${id}/captions`);
    expect((await fetch(done.body.video!.url, { headers: auth('bob') })).status).toBe(404);

    // The uploaded PDF went once its text was extracted.
    expect(await filesIn(uploadsDir())).not.toContain(`${id}.pdf`);

    // Our signed link works without a key; tampered or expired, it does not.
    const share = done.body.video!.shareUrl!;
    expect(share.startsWith(`${h.baseUrl}/files/${id}/video.mp4?exp=`)).toBe(true);
    const shared = await fetch(share);
    expect(shared.status).toBe(200);
    expect(Buffer.from(await shared.arrayBuffer()).equals(got)).toBe(true);
    // One character of the signature changed (to a different one, whatever it was).
    const tampered = share.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await fetch(tampered)).status).toBe(404);
    expect((await fetch(`${h.baseUrl}${signedPath(LINK_SECRET, id, 'video.mp4', Date.now() - 1000)}`)).status).toBe(403);

    // Past JOB_TTL_SECONDS the sweep removes finished records, but not one whose video is kept.
    const removed = await h.services.records.sweep(Date.now() + 120_000);
    expect(removed).toBeGreaterThan(0); // the cancelled job's record went
    const later = await getJob(id, auth('alice'));
    expect(later.res.status).toBe(200);
    expect(later.body.status).toBe('done');
    expect(later.body.video?.bytes).toBe(keptBytes);
  });

  it('closes with an event stream open (app.close() does not wait for it)', async () => {
    const { body } = await upload(auth('bob'));
    const id = body.id as string;
    await waitFor(async () => (await getJob(id, auth('bob'))).body.status === 'done', 'the job to finish');
    // A finished job's stream ends at once; a live one is tested by the close below.
    const res = await fetch(`${h.baseUrl}/api/v1/videos/${id}/events`, { headers: auth('bob') });
    expect(await res.text()).toMatch(/"status":"done"/);
  });
});
