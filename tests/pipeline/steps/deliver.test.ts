// The deliver step hands the chat our composite (never the provider's raw result link), and
// re-encodes it to fit a platform's upload limit or fails with VIDEO_TOO_LARGE.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deliverStep } from '../../../pipeline/steps/deliver.js';
import { adapterContext } from '../../../pipeline/run.js';
import { createFfmpegMedia } from '../../../pipeline/providers/ffmpeg-media.js';
import { createTestAdapter } from '../../helpers/test-adapter.js';
import { JobError } from '../../../src/errors.js';
import { captureLogs } from '../../helpers/logs.js';
import { jobData, memoryJob } from '../../helpers/memory-job.js';
import { probe } from '../../helpers/media.js';
import { syntheticVideoArgs } from '../../fakes/synthetic-video.js';
import { createVideoKeeper } from '../../../src/storage/keeper.js';
import { captionsKey, createLocalStore, videoKey } from '../../../src/storage/video-store.js';
import { JobRecords } from '../../../src/jobs/records.js';
import type { VideoFile } from '../../../pipeline/ports.js';
import { writeFile } from 'node:fs/promises';

const run = promisify(execFile);
let redis: Redis;
let dir: string;
const media = createFfmpegMedia();

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-deliver-'));
});
afterAll(async () => {
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

/** A job whose compose step left a real 6-second 1280x720 composite in its work directory. */
async function composedJob(id: string) {
  const jobDir = path.join(dir, id);
  await (await import('node:fs/promises')).mkdir(jobDir, { recursive: true });
  const file = path.join(jobDir, 'explainer.mp4');
  // A high quality setting, so the file is large enough to matter to the delivery rules.
  await run('ffmpeg', syntheticVideoArgs({ picture: 'testsrc2=s=1280x720:r=25:d=6', audio: 'sine=f=440:d=6', crf: 12 }, file));
  const bytes = (await stat(file)).size;
  const { logger, logs } = captureLogs();
  const job = memoryJob(
    id,
    jobData({
      checkpoint: {
        extract: { pages: 1, chars: 500, language: 'en', title: 'Water: a/b "cycle"', text: 'x' },
        render: { provider: 'd-id', videoId: 'clp_x', createdAt: Date.now(), deadline: Date.now() + 60_000 },
        wait: { resultUrl: 'https://d-id-results.example/clp_x.mp4?X-Amz-Signature=abc', durationSeconds: 6, polls: 1 },
        compose: {
          path: file,
          bytes,
          durationSeconds: 6,
          layout: 'slides',
          captions: true,
          vttPath: path.join(dir, `${id}.vtt`),
          sceneStarts: [0],
          timing: 'pauses',
        },
      },
    }),
  );
  return { job, logger, logs, file, bytes, jobDir, ctx: { jobId: id, logger } };
}

describe('deliverStep', () => {
  it('sends the composite as a file, exactly its bytes, never a link to the provider result', async () => {
    const { job, logger, ctx, bytes, file, jobDir } = await composedJob('d1');
    const original = await readFile(file);
    const prefix = `td${randomBytes(4).toString('hex')}`;
    const adapter = createTestAdapter({ redis, prefix, outDir: path.join(dir, 'out1') });
    const result = await deliverStep(job, adapter, adapterContext(job, logger), { media, ctx, dir: jobDir });
    expect(result).toMatchObject({ bytes, as: 'file' });
    const [video] = (await adapter.events('d1')).filter((e) => e.type === 'video') as Array<{
      savedTo: string;
      as: string;
      title: string;
    }>;
    expect(video).toMatchObject({ as: 'file', title: 'Water: a/b "cycle"' });
    expect((await readFile(video!.savedTo)).equals(original)).toBe(true);
  });

  it('re-encodes a composite above the upload limit to fit, same size and duration', async () => {
    const { job, logger, ctx, bytes, jobDir } = await composedJob('d2');
    const limit = Math.floor(bytes / 3);
    const prefix = `td${randomBytes(4).toString('hex')}`;
    const adapter = createTestAdapter({ redis, prefix, maxUploadBytes: limit, outDir: path.join(dir, 'out2') });
    const result = await deliverStep(job, adapter, adapterContext(job, logger), { media, ctx, dir: jobDir });
    expect(result).toMatchObject({ as: 'file', shrunk: true });
    expect(result.bytes).toBeLessThanOrEqual(limit);
    const [video] = (await adapter.events('d2')).filter((e) => e.type === 'video') as Array<{ savedTo: string }>;
    const p = await probe(video!.savedTo);
    expect(p).toMatchObject({ width: 1280, height: 720 });
    expect(Math.abs(p.duration - 6)).toBeLessThan(0.3);
  });

  it('fails with VIDEO_TOO_LARGE when no watchable bitrate fits', async () => {
    const { job, logger, ctx, jobDir } = await composedJob('d3');
    const prefix = `td${randomBytes(4).toString('hex')}`;
    const adapter = createTestAdapter({ redis, prefix, maxUploadBytes: 20_000 });
    const err = await deliverStep(job, adapter, adapterContext(job, logger), { media, ctx, dir: jobDir }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe('VIDEO_TOO_LARGE');
    expect((await adapter.events('d3')).filter((e) => e.type === 'video')).toHaveLength(0);
  });

  it('keeps the composite and its captions, and links to our copy when no watchable bitrate fits', async () => {
    const { job, logger, ctx, jobDir, bytes } = await composedJob('d4');
    await writeFile(job.data.checkpoint.compose!.vttPath, 'WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n');
    const prefix = `td${randomBytes(4).toString('hex')}`;
    const store = createLocalStore(path.join(dir, 'store'));
    const links = { publicUrl: 'https://d2v.example', linkSecret: 'link-secret-for-deliver-tests' };
    const keeper = createVideoKeeper({ store, records: new JobRecords(redis, prefix, 60), retentionMs: 86_400_000, links });
    const adapter = createTestAdapter({ redis, prefix, maxUploadBytes: 20_000 });
    let sent: VideoFile | undefined;
    const spy = {
      ...adapter,
      deliverVideo: async (c: Parameters<typeof adapter.deliverVideo>[0], v: VideoFile) => (
        (sent = v),
        adapter.deliverVideo(c, v)
      ),
    };
    const result = await deliverStep(job, spy, adapterContext(job, logger), { media, ctx, dir: jobDir, keeper });
    expect(result.as).toBe('link');
    expect(sent?.linkUrl).toMatch(/^https:\/\/d2v\.example\/files\/d4\/video\.mp4\?exp=\d+&sig=/);
    expect(await store.size(videoKey('d4'))).toBe(bytes);
    expect(await store.size(captionsKey('d4'))).toBeGreaterThan(0);

    // With nowhere to link to, it still fails rather than hand out anything else.
    const again = await composedJob('d5');
    const noLinks = createVideoKeeper({
      store,
      records: new JobRecords(redis, prefix, 60),
      retentionMs: 86_400_000,
      links: { publicUrl: undefined, linkSecret: undefined },
    });
    await expect(
      deliverStep(again.job, adapter, adapterContext(again.job, again.logger), {
        media,
        ctx: again.ctx,
        dir: again.jobDir,
        keeper: noLinks,
      }),
    ).rejects.toMatchObject({ code: 'VIDEO_TOO_LARGE' });
  });
});
