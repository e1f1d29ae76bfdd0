// Both stores behave the same: a local folder, and an S3-compatible bucket (s3rver, started by
// the test) reached through the real AWS SDK.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import S3rver from 's3rver';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captionsKey,
  checkKey,
  createLocalStore,
  createS3Store,
  ObjectTooLargeError,
  RangeNotSatisfiableError,
  uploadKey,
  videoKey,
  type VideoStore,
} from '../../../src/storage/video-store.js';
import { sweepStore } from '../../../src/storage/retention.js';
import { checkLink, signedPath } from '../../../src/storage/links.js';

let work: string;
let sample: string;
let sampleBytes: Buffer;
let s3: S3rver;
let s3Dir: string;
const stores: Record<string, VideoStore> = {};

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'd2v-store-'));
  sample = path.join(work, 'sample.mp4');
  // 6 MiB: bigger than one multipart part (5 MiB), so S3 uploads go out in parts.
  sampleBytes = Buffer.alloc(6 * 1024 * 1024 + 123, 0);
  for (let i = 0; i < sampleBytes.length; i += 4096) sampleBytes[i] = i % 251;
  await writeFile(sample, sampleBytes);

  s3Dir = await mkdtemp(path.join(tmpdir(), 'd2v-s3rver-'));
  s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: s3Dir,
    configureBuckets: [{ name: 'videos', configs: [] }],
  });
  const addr = (await s3.run()) as { port: number };
  stores.local = createLocalStore(path.join(work, 'local'));
  stores.s3 = createS3Store({
    bucket: 'videos',
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${addr.port}`,
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
}, 30_000);

afterAll(async () => {
  for (const s of Object.values(stores)) await s.close();
  await s3?.close();
  await rm(work, { recursive: true, force: true });
  await rm(s3Dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const readAll = async (r: Readable) => Buffer.concat(await r.toArray());

describe.each(['local', 's3'])('%s store', (kind) => {
  const store = () => stores[kind]!;
  const job = `j${kind}1`;

  it('keeps a file byte for byte, and serves ranges of it', async () => {
    const put = await store().putFile(videoKey(job), sample, 'video/mp4');
    expect(put.bytes).toBe(sampleBytes.length);
    const whole = await store().open(videoKey(job));
    expect(whole!.total).toBe(sampleBytes.length);
    expect(sha(await readAll(whole!.stream))).toBe(sha(sampleBytes));

    const part = await store().open(videoKey(job), { start: 4096, end: 4096 + 99 });
    expect(part!.bytes).toBe(100);
    expect(part!.range).toEqual({ start: 4096, end: 4195 });
    expect(await readAll(part!.stream)).toEqual(sampleBytes.subarray(4096, 4196));
    const tail = await store().open(videoKey(job), { start: sampleBytes.length - 10 });
    expect((await readAll(tail!.stream)).length).toBe(10);
    await expect(store().open(videoKey(job), { start: sampleBytes.length })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
    expect(await store().open(videoKey('nosuchjob'))).toBeUndefined();
  });

  it('stops a stream past its limit and keeps nothing of it', async () => {
    const big = Readable.from(
      (function* () {
        for (let i = 0; i < 40; i++) yield Buffer.alloc(64 * 1024, 1);
      })(),
    );
    await expect(store().putStream(uploadKey(`${job}big`), big, 'application/pdf', 1024 * 1024)).rejects.toBeInstanceOf(
      ObjectTooLargeError,
    );
    expect(await store().size(uploadKey(`${job}big`))).toBeUndefined();

    const ok = await store().putStream(
      uploadKey(`${job}ok`),
      Readable.from([Buffer.from('%PDF-1.4 small')]),
      'application/pdf',
      1024,
    );
    expect(ok.bytes).toBe(14);
    expect(await text((await store().open(uploadKey(`${job}ok`)))!.stream)).toBe('%PDF-1.4 small');
  });

  it('sweeps what is past its retention and leaves the rest', async () => {
    const old = `${job}old`;
    await store().putFile(videoKey(old), sample, 'video/mp4');
    await writeFile(path.join(work, 'c.vtt'), 'WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n');
    await store().putFile(captionsKey(old), path.join(work, 'c.vtt'), 'text/vtt');
    // Seen from a clock a week and a day ahead, everything kept so far is old.
    const later = Date.now() + 8 * 86_400_000;
    const removed = await sweepStore(store(), { videoRetentionMs: 7 * 86_400_000, uploadTtlMs: 3600_000 }, later);
    expect(removed.videos).toBeGreaterThanOrEqual(3);
    expect(removed.uploads).toBeGreaterThanOrEqual(1);
    expect(await store().size(videoKey(old))).toBeUndefined();
    expect(await store().size(captionsKey(old))).toBeUndefined();

    // ...while from today's clock nothing is.
    await store().putFile(videoKey(`${job}new`), sample, 'video/mp4');
    const none = await sweepStore(store(), { videoRetentionMs: 7 * 86_400_000, uploadTtlMs: 3600_000 });
    expect(none).toEqual({ videos: 0, uploads: 0 });
    expect(await store().size(videoKey(`${job}new`))).toBe(sampleBytes.length);
  });
});

describe('local store folders', () => {
  it('a folder removed under a running store: the next writes make it again, a failed one leaves no part file', async () => {
    const root = path.join(work, 'removed');
    const store = createLocalStore(root);
    await store.putStream(uploadKey('first'), Readable.from([Buffer.from('%PDF-1.4 one')]), 'application/pdf', 1024);
    await store.putFile(videoKey('first'), sample, 'video/mp4');
    await rm(path.join(root, 'uploads'), { recursive: true });
    await rm(path.join(root, 'videos'), { recursive: true });

    const again = await store.putStream(
      uploadKey('second'),
      Readable.from([Buffer.from('%PDF-1.4 two')]),
      'application/pdf',
      1024,
    );
    expect(again.bytes).toBe(12);
    expect(await text((await store.open(uploadKey('second')))!.stream)).toBe('%PDF-1.4 two');
    expect((await store.putFile(videoKey('second'), sample, 'video/mp4')).bytes).toBe(sampleBytes.length);

    // A source that fails midway: an error, and nothing of it stays in the folder.
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from('%PDF-1.4 half');
        throw new Error('client went away');
      })(),
    );
    await expect(store.putStream(uploadKey('third'), failing, 'application/pdf', 1024)).rejects.toThrow('client went away');
    expect((await readdir(path.join(root, 'uploads'))).sort()).toEqual(['second.pdf']);
    // A missing source is an error, not a folder to make.
    await expect(store.putFile(videoKey('fourth'), path.join(work, 'no-such.mp4'), 'video/mp4')).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await store.close();
  });
});

describe('links', () => {
  it('S3 hands out a presigned URL a browser can seek in; the local store serves it itself', async () => {
    await stores.s3!.putFile(videoKey('jlink'), sample, 'video/mp4');
    const url = await stores.s3!.directUrl(videoKey('jlink'), 600, 'talk.mp4');
    expect(url).toMatch(/X-Amz-Signature=/);
    const res = await request(url!, { headers: { range: 'bytes=0-9' } });
    expect(res.statusCode).toBe(206);
    expect(Buffer.from(await res.body.arrayBuffer())).toEqual(sampleBytes.subarray(0, 10));
    expect(await stores.local!.directUrl(videoKey('jlink'), 600)).toBeUndefined();
  });

  it('our signed links are accepted until they expire, and refused when touched', () => {
    const secret = 'link-secret-for-tests';
    const now = Date.parse('2026-12-01T10:00:00Z');
    const p = signedPath(secret, 'abc123', 'video.mp4', now + 3600_000);
    const u = new URL(p, 'http://x');
    const q = { jobId: 'abc123', file: 'video.mp4', exp: u.searchParams.get('exp'), sig: u.searchParams.get('sig') };
    expect(checkLink(secret, q, now)).toBe('ok');
    expect(checkLink(secret, q, now + 3601_000)).toBe('expired');
    expect(checkLink(secret, { ...q, jobId: 'abc124' }, now)).toBe('invalid');
    expect(checkLink(secret, { ...q, file: 'captions.vtt' }, now)).toBe('invalid');
    expect(checkLink(secret, { ...q, exp: String(Number(q.exp) + 86_400) }, now)).toBe('invalid');
    expect(checkLink('other-secret', q, now)).toBe('invalid');
  });

  it('keys cannot leave the store', () => {
    expect(() => checkKey('videos/../../etc/passwd')).toThrow();
    expect(() => checkKey('/etc/passwd')).toThrow();
    expect(() => checkKey('videos//x')).toThrow();
    expect(checkKey('videos/abc/video.mp4')).toBe('videos/abc/video.mp4');
  });
});
