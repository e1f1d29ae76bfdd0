// Step 7: hand the explainer to the chat adapter. It is our composite, never the provider's raw
// result (D-ID's result_url is a presigned link to a video without pages or captions). Over the
// platform's upload limit it is re-encoded to fit; when even that cannot fit, our link to the kept
// copy goes out instead (VIDEO_TOO_LARGE when there is no link to give).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { isJobError } from '../../src/errors.js';
import type { Checkpoint, DeliverResult } from '../job.js';
import type { AdapterContext, CallContext, ChatAdapter, MediaToolkit, PipelineJob, VideoKeeper } from '../ports.js';

export async function deliverStep(
  job: PipelineJob,
  adapter: ChatAdapter,
  actx: AdapterContext,
  deps: { media: MediaToolkit; ctx: CallContext; dir: string; keeper?: VideoKeeper },
): Promise<DeliverResult> {
  const { compose, extract } = job.data.checkpoint;
  if (!compose || !extract) throw new Error('deliver step needs the compose and extract checkpoints');

  // The full-quality composite and its captions are kept first: the API, /status and a link
  // that stands in for a refused upload all point at this copy.
  const kept = await deps.keeper?.keep({
    jobId: job.id,
    path: compose.path,
    bytes: compose.bytes,
    seconds: compose.durationSeconds,
    // A WebVTT file is made whether or not the captions are burned in.
    captionsPath: compose.vttPath,
  });

  let file = compose.path;
  let bytes = compose.bytes;
  let shrunk = false;
  let linkUrl: string | undefined;
  if (bytes > adapter.maxUploadBytes) {
    const smaller = path.join(deps.dir, 'explainer.fit.mp4');
    try {
      // Throws VIDEO_TOO_LARGE when no bitrate worth watching fits: then our link, if we have one.
      bytes = await deps.media.shrink(file, smaller, adapter.maxUploadBytes, deps.ctx);
      deps.ctx.logger.info(
        { event: 'video_shrunk', from: compose.bytes, to: bytes, limit: adapter.maxUploadBytes },
        're-encoded to fit the upload limit',
      );
      file = smaller;
      shrunk = true;
    } catch (err) {
      if (!(isJobError(err) && err.code === 'VIDEO_TOO_LARGE' && kept?.url)) throw err;
      linkUrl = kept.url;
    }
  }
  const sent = await adapter.deliverVideo(actx, {
    path: file,
    bytes,
    fileName: `${safeName(extract.title) || 'doc2video'}.mp4`,
    title: extract.title,
    durationSeconds: compose.durationSeconds,
    ...coverageOf(job.data.checkpoint),
    ...(linkUrl ? { linkUrl } : {}),
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

/** How much of the document the video speaks about (absent for checkpoints that do not say). */
function coverageOf(cp: Checkpoint): { coverage?: { pagesCovered: number; pages: number } } {
  const pagesCovered = cp.script?.pagesCovered ?? cp.extract?.pagesRead;
  const pages = cp.extract?.pages;
  return pagesCovered && pages ? { coverage: { pagesCovered: Math.min(pagesCovered, pages), pages } } : {};
}
