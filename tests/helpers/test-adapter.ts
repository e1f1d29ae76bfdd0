// A chat adapter for tests and the chaos harness: every call is recorded in a Redis list, so a
// test can see what a worker in another process "sent". It reads PDFs from a path or a URL.
// It registers the `test` platform for the tests' type-check only: the production build
// (tsconfig.json) does not include tests/, so its Platform stays telegram | slack | cli.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { request } from 'undici';
import { JobError, formatBytes } from '../../src/errors.js';
import type { AdapterContext, ChatAdapter, FileSource, ProgressUpdate, VideoFile } from '../../pipeline/ports.js';
import { redisKeys } from '../../src/redis/keys.js';

declare module '../../pipeline/job.js' {
  interface Platforms {
    test: true;
  }
}

export type TestEvent = { at: number; pid: number } & (
  | { type: 'acknowledge'; jobId: string; position: number }
  | { type: 'progress'; jobId: string; step: string; phase: string; detail?: ProgressUpdate['detail'] }
  | {
      type: 'video';
      jobId: string;
      bytes: number;
      as: 'file' | 'link';
      savedTo?: string;
      title: string;
      coverage?: VideoFile['coverage'];
    }
  | { type: 'fail'; jobId: string; code: string; message: string }
);

type NewEvent = TestEvent extends infer E ? (E extends TestEvent ? Omit<E, 'at' | 'pid'> : never) : never;

export interface TestAdapterOptions {
  redis: Redis;
  prefix: string;
  /** Copy delivered videos here (to check them with ffprobe). */
  outDir?: string;
  maxUploadBytes?: number;
  /** Make the next N deliveries throw (a half-done upload). */
  failDeliveries?: number;
}

export const testEventsKey = (prefix: string, jobId: string) => redisKeys(prefix).testEvents(jobId);

export function createTestAdapter(opts: TestAdapterOptions): ChatAdapter & { events(jobId: string): Promise<TestEvent[]> } {
  let failDeliveries = opts.failDeliveries ?? 0;
  const record = async (e: NewEvent) => {
    await opts.redis.rpush(testEventsKey(opts.prefix, e.jobId), JSON.stringify({ ...e, at: Date.now(), pid: process.pid }));
  };
  return {
    platform: 'test',
    maxUploadBytes: opts.maxUploadBytes ?? 50 * 1024 * 1024,

    async openFile(ctx: AdapterContext, maxBytes: number): Promise<FileSource> {
      const f = ctx.data.file;
      if (f.size !== undefined && f.size > maxBytes) {
        throw new JobError('PDF_TOO_LARGE', undefined, { vars: { limit: formatBytes(maxBytes) } });
      }
      if (f.kind === 'path') {
        const size = (await stat(f.path)).size;
        return { stream: createReadStream(f.path), size, name: path.basename(f.path) };
      }
      if (f.kind === 'url') {
        const res = await request(f.url);
        if (res.statusCode !== 200) throw new JobError('INTERNAL', `download answered ${res.statusCode}`, { retryable: true });
        return { stream: Readable.from(res.body) };
      }
      throw new Error(`test adapter cannot open ${f.kind} files`);
    },

    async acknowledge(ctx, info) {
      await record({ type: 'acknowledge', jobId: ctx.jobId, position: info.position });
    },

    async progress(ctx, u: ProgressUpdate) {
      await record({
        type: 'progress',
        jobId: ctx.jobId,
        step: u.step,
        phase: u.phase,
        ...(u.detail ? { detail: u.detail } : {}),
      });
    },

    async deliverVideo(ctx, video: VideoFile) {
      if (failDeliveries > 0) {
        failDeliveries--;
        throw new Error('upload interrupted');
      }
      let savedTo: string | undefined;
      if (opts.outDir) {
        await mkdir(opts.outDir, { recursive: true });
        savedTo = path.join(opts.outDir, `${ctx.jobId}.mp4`);
        await copyFile(video.path, savedTo);
      }
      const as = video.linkUrl ? 'link' : 'file';
      await record({
        type: 'video',
        jobId: ctx.jobId,
        bytes: video.bytes,
        as,
        title: video.title,
        ...(video.coverage ? { coverage: video.coverage } : {}),
        ...(savedTo ? { savedTo } : {}),
      });
      return { as };
    },

    async fail(ctx, error) {
      await record({ type: 'fail', jobId: ctx.jobId, code: error.code, message: error.userMessage() });
    },

    async events(jobId: string) {
      const raw = await opts.redis.lrange(testEventsKey(opts.prefix, jobId), 0, -1);
      return raw.map((r) => JSON.parse(r) as TestEvent);
    },
  };
}
