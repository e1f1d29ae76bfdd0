import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeDid, type FakeDid } from '../../fakes/did.js';
import { didRendererFor } from '../../helpers/did-renderer.js';
import { deliverStep } from '../../../pipeline/steps/deliver.js';
import { adapterContext } from '../../../pipeline/run.js';
import { createTestAdapter } from '../../helpers/test-adapter.js';
import { captureLogs } from '../../helpers/logs.js';
import { jobData, memoryJob } from '../../helpers/memory-job.js';

let redis: Redis;
let did: FakeDid | undefined;
let dir: string;
beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-deliver-'));
});
afterEach(async () => {
  await did?.close();
  did = undefined;
});
afterAll(async () => {
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

async function doneVideo(mp4?: Buffer) {
  did = await startFakeDid({ mode: 'manual', webhooks: false, ...(mp4 ? { mp4 } : {}) });
  const renderer = didRendererFor(did);
  const { logger, logs } = captureLogs();
  const ctx = { jobId: 'd1', logger };
  const { id } = await renderer.create(
    { script: 'Hello there, this is a test.', language: 'en', voiceId: 'en-US-JennyNeural', avatarStyle: 'professional', title: 'T' },
    ctx,
  );
  did.finish(id);
  const status = await renderer.status(id, ctx);
  if (status.state !== 'done') throw new Error('not done');
  const prefix = `td${randomBytes(4).toString('hex')}`;
  const job = memoryJob(
    'd1',
    jobData({
      checkpoint: {
        extract: { pages: 1, chars: 500, language: 'en', title: 'Water: a/b "cycle"', text: 'x' },
        render: { provider: 'd-id', videoId: id, createdAt: Date.now(), deadline: Date.now() + 60_000 },
        wait: { resultUrl: status.resultUrl, durationSeconds: 12, polls: 1 },
      },
    }),
  );
  return { did, renderer, ctx, job, logger, logs, prefix };
}

describe('deliverStep', () => {
  it('downloads the MP4 and hands exactly those bytes to the chat', async () => {
    const { did, renderer, ctx, job, logger, prefix } = await doneVideo();
    const adapter = createTestAdapter({ redis, prefix, outDir: path.join(dir, 'out1') });
    const result = await deliverStep(job, adapter, adapterContext(job, logger), { renderer, ctx, dir: path.join(dir, 'j1') });
    expect(result).toMatchObject({ bytes: did.mp4.length, as: 'file' });
    const [video] = (await adapter.events('d1')).filter((e) => e.type === 'video');
    expect(video).toMatchObject({ bytes: did.mp4.length, title: 'Water: a/b "cycle"' });
  });

  it('re-reads the status for a fresh link when the result URL answers 403', async () => {
    const { did, renderer, ctx, job, logger, logs, prefix } = await doneVideo();
    did.expireResultUrls();
    const adapter = createTestAdapter({ redis, prefix });
    const result = await deliverStep(job, adapter, adapterContext(job, logger), { renderer, ctx, dir: path.join(dir, 'j2') });
    expect(result.bytes).toBe(did.mp4.length);
    expect(logs.events('result_url_refreshed')).toHaveLength(1);
  });

  it('sends a link instead of the file when the video is above the platform upload limit', async () => {
    const big = Buffer.alloc(64 * 1024, 1);
    const { renderer, ctx, job, logger, prefix } = await doneVideo(big);
    const adapter = createTestAdapter({ redis, prefix, maxUploadBytes: 1024 });
    const result = await deliverStep(job, adapter, adapterContext(job, logger), { renderer, ctx, dir: path.join(dir, 'j3') });
    expect(result.as).toBe('link');
  });
});
