// Step 5: look at the render once. The caller parks the job between looks (no worker slot is
// held while the provider renders); the webhook only wakes the job early, it is never trusted.
import { JobError, isJobError } from '../../src/errors.js';
import type { RenderResult, WaitResult } from '../job.js';
import type { CallContext, RenderStatus, VideoRenderer } from '../ports.js';
import { nextPollAt } from '../render/schedule.js';

export type WaitOutcome = { done: WaitResult } | { retryAt: number };

export async function waitStep(
  render: RenderResult,
  pollsSoFar: number,
  deps: { renderer: VideoRenderer; ctx: CallContext; now?: () => number },
): Promise<WaitOutcome> {
  const now = deps.now ?? Date.now;
  let status: RenderStatus;
  try {
    status = await deps.renderer.status(render.videoId, deps.ctx);
  } catch (err) {
    // A provider hiccup while rendering is not the render failing: look again later.
    if (!(isJobError(err) && err.retryable)) throw err;
    deps.ctx.logger.warn({ event: 'did_poll_failed', videoId: render.videoId, err: err.message }, 'status read failed');
    status = { state: 'pending', raw: 'unknown' };
  }
  switch (status.state) {
    case 'done':
      deps.ctx.logger.info(
        { event: 'did_video_ready', videoId: render.videoId, polls: pollsSoFar + 1, duration: status.durationSeconds },
        'video ready',
      );
      return {
        done: {
          resultUrl: status.resultUrl,
          polls: pollsSoFar + 1,
          ...(status.durationSeconds !== undefined ? { durationSeconds: status.durationSeconds } : {}),
          ...(status.timing ? { timing: status.timing } : {}),
        },
      };
    case 'error':
      throw new JobError('VIDEO_FAILED', `render failed: ${status.reason}`);
    case 'rejected':
      throw new JobError('VIDEO_REJECTED', `render rejected: ${status.reason}`);
    case 'pending': {
      const t = now();
      if (t >= render.deadline) {
        throw new JobError('VIDEO_TIMEOUT', `still ${status.raw} after ${Math.round((t - render.createdAt) / 1000)} s`);
      }
      return { retryAt: nextPollAt(t, pollsSoFar, render.deadline) };
    }
  }
}
