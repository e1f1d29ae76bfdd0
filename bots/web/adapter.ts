// The web door's side of the chat port. There is no chat: the API answers from what is recorded
// here (progress in the web job hash, the kept video in the job record), and a browser or a
// program reads it by polling or over Server-Sent Events. The PDF comes from the store's
// uploads area, where the API streamed it, and is removed from there once its text is extracted.
import { JobError, formatBytes } from '../../src/errors.js';
import type { AdapterContext, ChatAdapter, FileSource, ProgressUpdate } from '../../pipeline/ports.js';
import { uploadKey, type VideoStore } from '../../src/storage/video-store.js';
import type { WebJobs } from './jobs.js';

export interface WebAdapterDeps {
  store: Pick<VideoStore, 'open' | 'delete'>;
  jobs: Pick<WebJobs, 'setProgress'>;
}

/** Steps after which the uploaded PDF is no longer needed (the text is in the checkpoint). */
const AFTER_EXTRACT = new Set(['script', 'render', 'wait', 'deliver']);

export function createWebAdapter(deps: WebAdapterDeps): ChatAdapter {
  const dropUpload = async (ctx: AdapterContext) => {
    const f = ctx.data.file;
    if (f.kind !== 'upload' || ctx.data.chat.uploadRemoved) return;
    await deps.store.delete([f.key]);
    await ctx.saveChatState({ uploadRemoved: true });
  };

  return {
    platform: 'web',
    // Nothing is uploaded anywhere: the video stays in our store and is fetched from there.
    maxUploadBytes: Number.MAX_SAFE_INTEGER,

    async openFile(ctx: AdapterContext, maxBytes: number): Promise<FileSource> {
      const f = ctx.data.file;
      if (f.kind !== 'upload') throw new Error(`the web adapter cannot open ${f.kind} files`);
      if (f.key !== uploadKey(ctx.jobId)) throw new Error('an upload key that is not this job’s');
      const body = await deps.store.open(f.key);
      // Gone: removed after extraction on an earlier attempt, or swept with an expired job.
      if (!body) throw new JobError('INTERNAL', 'the uploaded PDF is no longer in the store');
      if (body.total > maxBytes) {
        body.stream.destroy();
        throw new JobError('PDF_TOO_LARGE', `${body.total} bytes`, { vars: { limit: formatBytes(maxBytes) } });
      }
      return { stream: body.stream, size: body.total, ...(f.name ? { name: f.name } : {}) };
    },

    // The API's 202 answer was the acknowledgement.
    async acknowledge() {},

    async progress(ctx, u: ProgressUpdate) {
      await deps.jobs.setProgress(ctx.jobId, { step: u.step, phase: u.phase, index: u.index, total: u.total });
      if (AFTER_EXTRACT.has(u.step)) await dropUpload(ctx);
    },

    // The deliver step's VideoKeeper has already put the video into the store and noted it in
    // the job's record, which is where the API reads it.
    async deliverVideo() {
      return { as: 'file' };
    },

    // The record carries the code; the API words it in the caller's language.
    async fail(ctx) {
      await dropUpload(ctx).catch(() => undefined);
    },
  };
}
