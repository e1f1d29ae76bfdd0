// One attempt at a time inside the paid render create, even when BullMQ runs a job twice (a
// worker that lost its lock during a Redis outage runs on while another takes the job over
// from an older checkpoint, without the before-create marker).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createRenderClaims } from '../../../src/jobs/render-claims.js';
import { runPipeline, type PipelineDeps } from '../../../pipeline/run.js';
import type { ChatAdapter } from '../../../pipeline/ports.js';
import { countingRenderer } from '../../fakes/counting-providers.js';
import { captureLogs } from '../../helpers/logs.js';
import { jobData, memoryJob, Parked } from '../../helpers/memory-job.js';
import type { VideoJobData } from '../../../pipeline/job.js';

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.disconnect());
const prefix = () => `t${randomBytes(4).toString('hex')}`;

describe('render claims', () => {
  it('are held by one attempt; a release by a holder whose claim lapsed leaves the new holder alone', async () => {
    const claims = createRenderClaims(redis, prefix(), 200);
    const a = await claims.claim('job1');
    expect(a).toBeDefined();
    expect(await claims.claim('job1')).toBeUndefined();
    expect(await claims.claim('job2')).toBeDefined();
    await a!.release();
    const b = await claims.claim('job1');
    expect(b).toBeDefined();

    // b's claim lapses; c takes it; b's late release must not free c's.
    const p = prefix();
    const shortClaims = createRenderClaims(redis, p, 50);
    const stale = await shortClaims.claim('job3');
    await new Promise((r) => setTimeout(r, 80));
    const fresh = await shortClaims.claim('job3');
    expect(fresh).toBeDefined();
    await stale!.release();
    expect(await shortClaims.claim('job3')).toBeUndefined();
    await fresh!.release();
    expect(await shortClaims.claim('job3')).toBeDefined();
  });

  it('two attempts of one job, one of them on a stale checkpoint: one create, the other waits', async () => {
    const claims = createRenderClaims(redis, prefix());
    const renderer = countingRenderer();
    let letCreateFinish!: () => void;
    const gate = new Promise<void>((r) => (letCreateFinish = r));
    let inCreate!: () => void;
    const entered = new Promise<void>((r) => (inCreate = r));
    const create = renderer.create.bind(renderer);
    renderer.create = async (req, ctx) => {
      inCreate();
      await gate;
      return create(req, ctx);
    };
    const ready = (): VideoJobData =>
      jobData({
        options: { stopAfter: 'render' },
        checkpoint: {
          fetch: { sha256: 'x', bytes: 10, localPath: '/nonexistent' },
          extract: { pages: 1, chars: 100, language: 'en', title: 'T', text: 'Some text.' },
          script: { text: 'Hello there.', language: 'en', words: 2, estimatedSeconds: 2, provider: 'local', cached: false },
        },
      });
    const adapter = { platform: 'test', progress: async () => {} } as unknown as ChatAdapter;
    const deps = {
      logger: captureLogs().logger,
      adapters: { test: adapter },
      writer: { name: 'local' as const, write: async () => ({ text: '' }) },
      renderer,
      scriptCache: { get: async () => undefined, set: async () => {} },
      isCancelled: async () => false,
      workDir: '/nonexistent',
      maxPdfBytes: 1000,
      renderDeadlineMs: 60_000,
      renderClaims: claims,
      // Never reached: the jobs stop after the render step.
      media: {} as PipelineDeps['media'],
      pageImages: {} as PipelineDeps['pageImages'],
      videoDefaults: { layout: 'slides' as const, captions: true },
    };
    const first = runPipeline(memoryJob('dup1', ready()), deps);
    await entered;
    // The second attempt reads the job as it was before the first one wrote its marker.
    await expect(runPipeline(memoryJob('dup1', ready()), deps)).rejects.toBeInstanceOf(Parked);
    letCreateFinish();
    await first;
    expect(renderer.creates).toHaveLength(1);
    // Once the first attempt let go, a later run of the second one may go ahead (it would find
    // the recorded video in the real job's checkpoint; here it adopts the made one).
    const later = ready();
    later.checkpoint.renderAttemptedAt = Date.now();
    await runPipeline(memoryJob('dup1', later), deps);
    expect(renderer.creates).toHaveLength(1);
  });
});
