// Where finished videos (and their captions) are kept, and where PDFs uploaded through the web
// API wait for a worker: a folder on this machine (VIDEO_STORE=local, for web and worker on one
// machine) or any S3-compatible bucket (VIDEO_STORE=s3, what several machines need: Heroku's
// web and worker dynos share no disk). Both behave the same from the outside.
//
// Keys are ours, never a user's: `videos/<jobId>/video.mp4`, `videos/<jobId>/captions.vtt`,
// `uploads/<jobId>.pdf`. They are checked anyway, so no key can leave the store's folder.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline as pump } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Config } from '../config.js';

export interface ByteRange {
  start: number;
  /** Inclusive; default: the last byte. */
  end?: number;
}

export interface StoredBody {
  stream: Readable;
  /** Bytes in this answer (the range's length for a range). */
  bytes: number;
  /** The whole object's size. */
  total: number;
  contentType: string;
  range?: { start: number; end: number };
}

export interface VideoStore {
  readonly kind: 'local' | 's3';
  /** Copy a finished local file into the store. */
  putFile(key: string, file: string, contentType: string): Promise<{ bytes: number }>;
  /** Stream into the store; more than maxBytes throws ObjectTooLargeError and keeps nothing. */
  putStream(key: string, stream: Readable, contentType: string, maxBytes: number): Promise<{ bytes: number }>;
  /** The object (or a byte range of it); undefined when there is none. */
  open(key: string, range?: ByteRange): Promise<StoredBody | undefined>;
  size(key: string): Promise<number | undefined>;
  /** A URL a browser can fetch directly for a while (S3 presigned); undefined when we serve it ourselves. */
  directUrl(key: string, expiresInSeconds: number, downloadName?: string): Promise<string | undefined>;
  delete(keys: readonly string[]): Promise<void>;
  /** Keys under `prefix` last written before `before` (epoch ms), at most `limit`. */
  listOlderThan(prefix: string, before: number, limit?: number): Promise<string[]>;
  close(): Promise<void>;
}

export class ObjectTooLargeError extends Error {
  override name = 'ObjectTooLargeError';
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

export class RangeNotSatisfiableError extends Error {
  override name = 'RangeNotSatisfiableError';
  constructor(readonly total: number) {
    super(`range outside 0-${total - 1}`);
  }
}

const KEY_RE = /^(videos|uploads)\/[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$/;

/** Our keys only: a known area, no `..`, no empty segment. */
export function checkKey(key: string): string {
  if (!KEY_RE.test(key) || key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`not a store key: ${JSON.stringify(key)}`);
  }
  return key;
}

export const videoKey = (jobId: string) => checkKey(`videos/${jobId}/video.mp4`);
export const captionsKey = (jobId: string) => checkKey(`videos/${jobId}/captions.vtt`);
export const uploadKey = (jobId: string) => checkKey(`uploads/${jobId}.pdf`);

/** Counts bytes on the way through and stops the stream past the limit. */
function byteLimit(maxBytes: number, seen: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen.n += chunk.length;
      if (seen.n > maxBytes) cb(new ObjectTooLargeError(maxBytes));
      else cb(null, chunk);
    },
  });
}

function resolveRange(range: ByteRange | undefined, total: number): { start: number; end: number } | undefined {
  if (!range) return undefined;
  const end = Math.min(range.end ?? total - 1, total - 1);
  if (range.start >= total || range.start > end) throw new RangeNotSatisfiableError(total);
  return { start: range.start, end };
}

// ---- a folder -------------------------------------------------------------------------------

export function createLocalStore(dir: string): VideoStore {
  const root = path.resolve(dir);
  const file = (key: string) => path.join(root, checkKey(key));
  const types = new Map<string, string>([
    ['.mp4', 'video/mp4'],
    ['.vtt', 'text/vtt; charset=utf-8'],
    ['.pdf', 'application/pdf'],
  ]);
  const typeOf = (key: string) => types.get(path.extname(key)) ?? 'application/octet-stream';

  /**
   * Run `make`, which creates `target`; when `target`'s folder is missing (never made yet, or
   * removed under a running process), make the folder and run it once more. Not a mkdir before
   * every write: on the upload path that was a system call and a promise per request, for a
   * folder that is nearly always there.
   */
  async function inFolder<T>(target: string, make: () => Promise<T>): Promise<T> {
    try {
      return await make();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(path.dirname(target), { recursive: true });
      return make();
    }
  }

  /** Write under a temporary name, then rename: a reader never sees half a file. */
  async function writeAtomically(key: string, write: (tmp: string) => Promise<number | void>): Promise<number> {
    const dest = file(key);
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.part`;
    let written: number | void;
    try {
      written = await write(tmp);
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return written ?? (await stat(dest)).size;
  }

  return {
    kind: 'local',
    async putFile(key, src) {
      // A missing source fails both tries with ENOENT: that error is the one thrown.
      return { bytes: await writeAtomically(key, (tmp) => inFolder(tmp, () => copyFile(src, tmp))) };
    },
    async putStream(key, stream, _type, maxBytes) {
      const seen = { n: 0 };
      const bytes = await writeAtomically(key, async (tmp) => {
        // Opened before the stream flows: a stream cannot be read twice, an open can be retried.
        const out = await inFolder(tmp, () => open(tmp, 'wx'));
        await pump(stream, byteLimit(maxBytes, seen), out.createWriteStream());
        return seen.n;
      });
      return { bytes };
    },
    async open(key, range) {
      const p = file(key);
      const total = await stat(p).then(
        (s) => s.size,
        () => undefined,
      );
      if (total === undefined) return undefined;
      const r = resolveRange(range, total);
      return {
        stream: createReadStream(p, r ? { start: r.start, end: r.end } : {}),
        bytes: r ? r.end - r.start + 1 : total,
        total,
        contentType: typeOf(key),
        ...(r ? { range: r } : {}),
      };
    },
    async size(key) {
      return stat(file(key)).then(
        (s) => s.size,
        () => undefined,
      );
    },
    async directUrl() {
      return undefined;
    },
    async delete(keys) {
      for (const key of keys) {
        await rm(file(key), { force: true });
        // A job's folder (videos/<jobId>/) goes with its last file; rmdir refuses a non-empty one.
        const parent = path.dirname(file(key));
        if (path.dirname(parent) === path.join(root, 'videos')) await rmdir(parent).catch(() => undefined);
      }
    },
    async listOlderThan(prefix, before, limit = 1000) {
      const base = path.join(root, prefix);
      const out: string[] = [];
      const walk = async (d: string): Promise<void> => {
        const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
        for (const e of entries) {
          if (out.length >= limit) return;
          const p = path.join(d, e.name);
          if (e.isDirectory()) await walk(p);
          else if (!e.name.endsWith('.part') && (await stat(p)).mtimeMs < before)
            out.push(path.relative(root, p).split(path.sep).join('/'));
        }
      };
      await walk(base);
      return out;
    },
    async close() {},
  };
}

// ---- an S3-compatible bucket ----------------------------------------------------------------

export interface S3StoreOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
}

export function createS3Store(o: S3StoreOptions): VideoStore {
  const client = new S3Client({
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    forcePathStyle: o.forcePathStyle,
    ...(o.accessKeyId && o.secretAccessKey
      ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } }
      : {}),
    // The default (WHEN_SUPPORTED) sends stream bodies aws-chunked with a trailing checksum,
    // which several S3 clones store verbatim (s3rver did: a 12 MiB file grew by 1.7 KB).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = o.bucket;

  const upload = async (key: string, body: Readable, ContentType: string) => {
    await new Upload({ client, params: { Bucket, Key: checkKey(key), Body: body, ContentType }, queueSize: 2 }).done();
  };
  const notFound = (err: unknown) => {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
  };

  return {
    kind: 's3',
    async putFile(key, file, contentType) {
      await upload(key, createReadStream(file), contentType);
      return { bytes: (await stat(file)).size };
    },
    async putStream(key, stream, contentType, maxBytes) {
      const seen = { n: 0 };
      const limited = stream.pipe(byteLimit(maxBytes, seen));
      stream.on('error', (err) => limited.destroy(err));
      try {
        await upload(key, limited, contentType);
      } catch (err) {
        // lib-storage aborts a multipart upload it started; a single-part one never completed.
        if (limited.errored instanceof ObjectTooLargeError) throw limited.errored;
        throw err;
      }
      if (limited.errored instanceof ObjectTooLargeError) {
        await this.delete([key]);
        throw limited.errored;
      }
      return { bytes: seen.n };
    },
    async open(key, range) {
      let total: number | undefined;
      if (range) {
        total = await this.size(key);
        if (total === undefined) return undefined;
      }
      const r = total !== undefined ? resolveRange(range, total) : undefined;
      try {
        const res = await client.send(
          new GetObjectCommand({ Bucket, Key: checkKey(key), ...(r ? { Range: `bytes=${r.start}-${r.end}` } : {}) }),
        );
        const bytes = res.ContentLength ?? 0;
        return {
          stream: res.Body as Readable,
          bytes,
          total: total ?? bytes,
          contentType: res.ContentType ?? 'application/octet-stream',
          ...(r ? { range: r } : {}),
        };
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    async size(key) {
      try {
        return (await client.send(new HeadObjectCommand({ Bucket, Key: checkKey(key) }))).ContentLength;
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    async directUrl(key, expiresInSeconds, downloadName) {
      const cmd = new GetObjectCommand({
        Bucket,
        Key: checkKey(key),
        ...(downloadName ? { ResponseContentDisposition: `inline; filename="${downloadName.replace(/[^\w.-]+/g, '_')}"` } : {}),
      });
      // S3 refuses to sign for more than 7 days.
      return getSignedUrl(client, cmd, { expiresIn: Math.min(Math.max(1, Math.floor(expiresInSeconds)), 604_800) });
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000).map((Key) => ({ Key: checkKey(Key) }));
        await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch, Quiet: true } }));
      }
    },
    async listOlderThan(prefix, before, limit = 1000) {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const res = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const obj of res.Contents ?? []) {
          if (obj.Key && obj.LastModified && obj.LastModified.getTime() < before) out.push(obj.Key);
          if (out.length >= limit) return out;
        }
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
    async close() {
      client.destroy();
    },
  };
}

/** The configured store (VIDEO_STORE): a folder, or an S3-compatible bucket. */
export function createVideoStoreFrom(s: Pick<Config['storage'], 'kind' | 'dir' | 's3'>): VideoStore {
  if (s.kind === 'local' || !s.s3) return createLocalStore(s.dir);
  const o = s.s3;
  return createS3Store({
    bucket: o.bucket,
    region: o.region,
    forcePathStyle: o.forcePathStyle,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.accessKeyId ? { accessKeyId: o.accessKeyId } : {}),
    ...(o.secretAccessKey ? { secretAccessKey: o.secretAccessKey } : {}),
  });
}
