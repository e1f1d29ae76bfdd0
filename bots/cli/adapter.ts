// The command line as a chat: the PDF comes from a path, progress goes to the terminal, and the
// video is copied to --out.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { JobError, formatBytes } from '../../src/errors.js';
import type { AdapterContext, ChatAdapter, FileSource, ProgressUpdate, VideoFile } from '../../pipeline/ports.js';

export interface CliReporter {
  progress(update: ProgressUpdate): void;
  delivered(info: { path: string; bytes: number; durationSeconds?: number }): void;
  failed(error: JobError): void;
}

export function createCliAdapter(opts: { outPath: string; reporter: CliReporter }): ChatAdapter {
  return {
    platform: 'cli',
    maxUploadBytes: Number.MAX_SAFE_INTEGER,

    async openFile(ctx: AdapterContext, maxBytes: number): Promise<FileSource> {
      const f = ctx.data.file;
      if (f.kind !== 'path') throw new Error(`the CLI reads files from a path, not ${f.kind}`);
      const size = (await stat(f.path)).size;
      if (size > maxBytes) throw new JobError('PDF_TOO_LARGE', undefined, { vars: { limit: formatBytes(maxBytes) } });
      return { stream: createReadStream(f.path), size, name: path.basename(f.path) };
    },

    async acknowledge() {},

    async progress(_ctx, update) {
      opts.reporter.progress(update);
    },

    async deliverVideo(_ctx, video: VideoFile) {
      await mkdir(path.dirname(path.resolve(opts.outPath)), { recursive: true });
      await copyFile(video.path, opts.outPath);
      opts.reporter.delivered({
        path: path.resolve(opts.outPath),
        bytes: video.bytes,
        ...(video.durationSeconds !== undefined ? { durationSeconds: video.durationSeconds } : {}),
      });
      return { as: 'file' };
    },

    async fail(_ctx, error) {
      opts.reporter.failed(error);
    },
  };
}
