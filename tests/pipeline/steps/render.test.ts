// The render step never pays twice: a create whose answer was lost is found, not repeated.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDid, type FakeDid } from '../../fakes/did.js';
import { didRendererFor } from '../../helpers/did-renderer.js';
import { renderStep } from '../../../pipeline/steps/render.js';
import { captureLogs } from '../../helpers/logs.js';
import { jobData, memoryJob } from '../../helpers/memory-job.js';
import type { Checkpoint } from '../../../pipeline/job.js';

let did: FakeDid | undefined;
afterEach(async () => {
  await did?.close();
  did = undefined;
});

const ready: Checkpoint = {
  extract: { pages: 1, chars: 900, language: 'ar', title: 'عنوان', text: 'نص' },
  script: {
    text: 'مرحبا بكم في هذا العرض القصير عن المستند',
    language: 'ar',
    words: 8,
    estimatedSeconds: 4,
    provider: 'local',
    cached: false,
  },
};

async function setup() {
  did = await startFakeDid({ stageMs: 50 });
  const renderer = didRendererFor(did);
  const { logger } = captureLogs();
  return { did, renderer, logger };
}

describe('renderStep', () => {
  it('records the attempt durably before the create, then returns the D-ID id with a deadline', async () => {
    const { did, renderer, logger } = await setup();
    const job = memoryJob('job1', jobData({ checkpoint: { ...ready } }));
    const result = await renderStep(job, { renderer, ctx: { jobId: 'job1', logger }, deadlineMs: 600_000 });
    expect(job.saves[0]).toEqual({ renderAttemptedAt: expect.any(Number) });
    expect(did.creates).toHaveLength(1);
    expect(result).toMatchObject({ provider: 'd-id', videoId: did.creates[0]!.id });
    expect(result.deadline - result.createdAt).toBe(600_000);
    // Arabic script -> an Arabic Microsoft voice; the job id travels as user_data.
    expect(did.creates[0]!.body).toMatchObject({
      user_data: 'job1',
      script: { provider: { type: 'microsoft', voice_id: expect.stringMatching(/^ar-/) } },
    });
  });

  it('after a crash between the create and recording its id, finds that video instead of paying again', async () => {
    const { did, renderer, logger } = await setup();
    const data = jobData({ checkpoint: { ...ready } });
    const first = memoryJob('job2', data);
    await renderStep(first, { renderer, ctx: { jobId: 'job2', logger }, deadlineMs: 600_000 });
    // The worker died before saving `render`: a new attempt sees only renderAttemptedAt.
    expect(data.checkpoint.renderAttemptedAt).toBeDefined();
    const again = await renderStep(memoryJob('job2', data), { renderer, ctx: { jobId: 'job2', logger }, deadlineMs: 600_000 });
    expect(did.creates).toHaveLength(1);
    expect(again.videoId).toBe(did.creates[0]!.id);
  });

  it('creates once more only when no earlier video exists, and checks cancellation first', async () => {
    const { did, renderer, logger } = await setup();
    const data = jobData({ checkpoint: { ...ready, renderAttemptedAt: Date.now() } });
    let checked = 0;
    await renderStep(memoryJob('job3', data), {
      renderer,
      ctx: { jobId: 'job3', logger },
      deadlineMs: 1000,
      beforeCreate: async () => {
        checked++;
      },
    });
    expect(checked).toBe(1);
    expect(did.creates).toHaveLength(1);
  });

  it('a create answered 504 after the video was made leaves exactly one video', async () => {
    const { did, renderer, logger } = await setup();
    did.program({ type: 'respond', route: 'create', status: 504, afterCreate: true });
    const job = memoryJob('job4', jobData({ checkpoint: { ...ready } }));
    const result = await renderStep(job, { renderer, ctx: { jobId: 'job4', logger }, deadlineMs: 600_000 });
    expect(did.creates).toHaveLength(1);
    expect(result.videoId).toBe(did.creates[0]!.id);
  });
});
