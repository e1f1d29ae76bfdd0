// Step 7: hand the explainer to the chat adapter. It is our composite, never the provider's raw
// result (D-ID's result_url is a presigned link to a video without pages or captions). Over the
// platform's upload limit it is re-encoded to fit; when even that cannot fit, VIDEO_TOO_LARGE.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { DeliverResult } from '../job.js';
import type { AdapterContext, CallContext, ChatAdapter, MediaToolkit, PipelineJob } from '../ports.js';

export async function deliverStep(
  job: PipelineJob,
  adapter: ChatAdapter,
  actx: AdapterContext,
  deps: { media: MediaToolkit; ctx: CallContext; dir: string },
): Promise<DeliverResult> {
  const { compose, extract } = job.data.checkpoint;
  if (!compose || !extract) throw new Error('deliver step needs the compose and extract checkpoints');

  let file = compose.path;
  let bytes = compose.bytes;
  let shrunk = false;
  if (bytes > adapter.maxUploadBytes) {
    const smaller = path.join(deps.dir, 'explainer.fit.mp4');
    // Throws VIDEO_TOO_LARGE when no bitrate worth watching fits.
    bytes = await deps.media.shrink(file, smaller, adapter.maxUploadBytes, deps.ctx);
    deps.ctx.logger.info(
      { event: 'video_shrunk', from: compose.bytes, to: bytes, limit: adapter.maxUploadBytes },
      're-encoded to fit the upload limit',
    );
    file = smaller;
    shrunk = true;
  }
  const sent = await adapter.deliverVideo(actx, {
    path: file,
    bytes,
    fileName: `${safeName(extract.title) || 'doc2video'}.mp4`,
    title: extract.title,
    durationSeconds: compose.durationSeconds,
  });
  // The captions file lives elsewhere (compose.vttPath) and stays with the job.
  await rm(deps.dir, { recursive: true, force: true }).catch(() => {});
  return { deliveredAt: Date.now(), bytes, as: sent.as, ...(shrunk ? { shrunk } : {}) };
}

function safeName(title: string): string {
  return title
    .normalize('NFKC')
    .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 60);
}
