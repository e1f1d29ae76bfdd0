import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDid, type FakeDid } from '../../fakes/did.js';
import { didRendererFor } from '../../helpers/did-renderer.js';
import { waitStep } from '../../../pipeline/steps/wait.js';
import { renderStep } from '../../../pipeline/steps/render.js';
import { captureLogs } from '../../helpers/logs.js';
import { jobData, memoryJob } from '../../helpers/memory-job.js';
import type { RenderResult } from '../../../pipeline/job.js';

let did: FakeDid | undefined;
afterEach(async () => {
  await did?.close();
  did = undefined;
});

async function rendered(program?: Parameters<FakeDid['program']>[0]) {
  did = await startFakeDid({ mode: 'manual', webhooks: false });
  if (program) did.program(program);
  const renderer = didRendererFor(did, { getRetry: { maxRetries: 0 } });
  const { logger } = captureLogs();
  const ctx = { jobId: 'w1', logger };
  const job = memoryJob(
    'w1',
    jobData({
      checkpoint: {
        extract: { pages: 1, chars: 500, language: 'en', title: 'T', text: 'x' },
        script: {
          text: 'Hello and welcome to this short video.',
          language: 'en',
          words: 7,
          estimatedSeconds: 3,
          provider: 'local',
          cached: false,
        },
      },
    }),
  );
  const render = await renderStep(job, { renderer, ctx, deadlineMs: 600_000 });
  return { did, renderer, ctx, render };
}

const statusCalls = (d: FakeDid) => d.calls['GET /clips/:id'] ?? 0;

describe('waitStep', () => {
  it('parks the job on the back-off schedule while the video renders, then returns the result', async () => {
    const { did, renderer, ctx, render } = await rendered();
    const now = render.createdAt + 1000;
    const first = await waitStep(render, 0, { renderer, ctx, now: () => now });
    expect(first).toEqual({ retryAt: now + 5_000 });
    const later = await waitStep(render, 3, { renderer, ctx, now: () => now });
    expect(later).toEqual({ retryAt: now + 40_000 });
    did.finish(render.videoId);
    const done = await waitStep(render, 4, { renderer, ctx });
    expect(done).toMatchObject({ done: { resultUrl: expect.stringContaining('/results/'), polls: 5 } });
  });

  it('gives VIDEO_TIMEOUT at the deadline, and makes no call after it', async () => {
    const { did, renderer, ctx, render } = await rendered({ type: 'video', outcome: 'stuck' });
    const before = statusCalls(did);
    const expired: RenderResult = { ...render, deadline: Date.now() - 1 };
    await expect(waitStep(expired, 9, { renderer, ctx })).rejects.toMatchObject({ code: 'VIDEO_TIMEOUT' });
    expect(statusCalls(did) - before).toBe(1);
    // The next poll is never scheduled past the deadline.
    const near: RenderResult = { ...render, deadline: Date.now() + 2_000 };
    const out = await waitStep(near, 9, { renderer, ctx });
    expect('retryAt' in out && out.retryAt).toBeLessThanOrEqual(near.deadline);
  });

  it.each([
    ['error', 'VIDEO_FAILED'],
    ['rejected', 'VIDEO_REJECTED'],
  ] as const)('maps a render that ends in %s to %s', async (outcome, code) => {
    const { did, renderer, ctx, render } = await rendered({ type: 'video', outcome });
    did.finish(render.videoId);
    await expect(waitStep(render, 1, { renderer, ctx })).rejects.toMatchObject({ code });
  });

  it('keeps waiting when a status read fails (a D-ID hiccup is not a failed render)', async () => {
    const { did, renderer, ctx, render } = await rendered();
    did.program({ type: 'respond', route: 'status', status: 503, times: 5 });
    const out = await waitStep(render, 1, { renderer, ctx });
    expect(out).toHaveProperty('retryAt');
  });
});
