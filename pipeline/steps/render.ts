// Step 4: start the render. The create is the paid call that must never happen twice for a job:
// a durable marker goes into the job before it is sent, and a job that finds the marker (its
// earlier create's answer was lost to a crash or timeout) looks for that video first.
import { JobError } from '../../src/errors.js';
import type { RenderResult } from '../job.js';
import type { CallContext, PipelineJob, VideoRenderer } from '../ports.js';
import { voiceFor } from '../render/voices.js';

export interface RenderDeps {
  renderer: VideoRenderer;
  ctx: CallContext;
  deadlineMs: number;
  webhookUrl?: string | undefined;
  /** Last check before money is spent (e.g. the job was cancelled meanwhile). */
  beforeCreate?: () => Promise<void>;
}

export async function renderStep(job: PipelineJob, deps: RenderDeps): Promise<RenderResult> {
  const { renderer, ctx } = deps;
  const { script, extract } = job.data.checkpoint;
  if (!script || !extract) throw new Error('render step needs the script and extract checkpoints');
  const resultFor = (videoId: string): RenderResult => {
    const createdAt = Date.now();
    return { provider: renderer.name, videoId, createdAt, deadline: createdAt + deps.deadlineMs };
  };

  if (job.data.checkpoint.renderAttemptedAt !== undefined) {
    const existing = await renderer.findExisting(ctx);
    if (existing) {
      ctx.logger.info({ event: 'did_video_recovered', videoId: existing.id }, 'found the video an earlier attempt created');
      return resultFor(existing.id);
    }
  }

  await deps.beforeCreate?.();
  await job.saveCheckpoint({ renderAttemptedAt: Date.now() });
  const style = job.data.options.avatarStyle ?? 'professional';
  const { id } = await renderer.create(
    {
      script: script.text,
      language: script.language,
      voiceId: voiceFor(script.language, style),
      avatarStyle: style,
      title: extract.title,
      ...(script.scenes && script.scenes.length > 1 ? { scenes: script.scenes.map((s) => s.text) } : {}),
      ...(deps.webhookUrl ? { webhookUrl: deps.webhookUrl } : {}),
    },
    ctx,
  );
  if (!id) throw new JobError('VIDEO_FAILED', 'the renderer returned no video id', { retryable: true });
  return resultFor(id);
}
