// Step 6: fetch the finished MP4 promptly (the provider's link lasts about a day) and hand the
// bytes to the chat adapter. A 403 on the link means it expired: re-read the status for a new one.
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline as pump } from 'node:stream/promises';
import { JobError } from '../../src/errors.js';
import type { DeliverResult } from '../job.js';
import {
  ResultUrlExpiredError,
  type AdapterContext,
  type CallContext,
  type ChatAdapter,
  type PipelineJob,
  type VideoRenderer,
} from '../ports.js';

/** Far above any 3-minute presenter video; stops a runaway download. */
export const MAX_VIDEO_BYTES = 1024 * 1024 * 1024;

export async function deliverStep(
  job: PipelineJob,
  adapter: ChatAdapter,
  actx: AdapterContext,
  deps: { renderer: VideoRenderer; ctx: CallContext; dir: string },
): Promise<DeliverResult> {
  const { render, wait, extract } = job.data.checkpoint;
  if (!render || !wait || !extract) throw new Error('deliver step needs the render and wait checkpoints');

  const file = path.join(deps.dir, 'video.mp4');
  let resultUrl = wait.resultUrl;
  let bytes: number;
  try {
    bytes = await download(deps.renderer, resultUrl, file, deps.ctx);
  } catch (err) {
    if (!(err instanceof ResultUrlExpiredError)) throw err;
    const status = await deps.renderer.status(render.videoId, deps.ctx);
    if (status.state !== 'done') throw new JobError('VIDEO_FAILED', `result link expired and status is ${status.state}`);
    deps.ctx.logger.info({ event: 'result_url_refreshed', videoId: render.videoId }, 'result link expired, got a fresh one');
    resultUrl = status.resultUrl;
    bytes = await download(deps.renderer, resultUrl, file, deps.ctx);
  }

  const linkable = /^https?:\/\//.test(resultUrl);
  if (bytes > adapter.maxUploadBytes && !linkable) {
    throw new JobError('VIDEO_TOO_LARGE', `${bytes} bytes, the platform takes ${adapter.maxUploadBytes}`);
  }
  const sent = await adapter.deliverVideo(actx, {
    path: file,
    bytes,
    fileName: `${safeName(extract.title) || 'doc2video'}.mp4`,
    title: extract.title,
    ...(wait.durationSeconds !== undefined ? { durationSeconds: wait.durationSeconds } : {}),
    ...(bytes > adapter.maxUploadBytes ? { linkUrl: resultUrl } : {}),
  });
  await rm(deps.dir, { recursive: true, force: true }).catch(() => {});
  return { deliveredAt: Date.now(), bytes, as: sent.as };
}

async function download(renderer: VideoRenderer, url: string, dest: string, ctx: CallContext): Promise<number> {
  await mkdir(path.dirname(dest), { recursive: true });
  const body = await renderer.download(url, ctx);
  let seen = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > MAX_VIDEO_BYTES) cb(new JobError('VIDEO_TOO_LARGE', `more than ${MAX_VIDEO_BYTES} bytes`));
      else cb(null, chunk);
    },
  });
  await pump(body, cap, createWriteStream(dest));
  return (await stat(dest)).size;
}

function safeName(title: string): string {
  return title
    .normalize('NFKC')
    .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 60);
}
