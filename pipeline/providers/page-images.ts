// PDF pages -> PNG images with poppler's pdftoppm, for the pages the scenes show (never all of a
// long PDF). A hostile PDF must not hurt the worker here either, so each page is rendered in its
// own pdftoppm under prlimit (address space, CPU seconds, file size) with a wall-clock timeout,
// an environment without our secrets, and a budget for the whole call. What comes out is checked,
// not only the exit code: under a memory limit pdftoppm has printed "Out of memory", exited 0
// and written a 1x1 PNG (../shared/reference/video.md).
//
// Why pdftoppm and not pdf.js on @napi-rs/canvas: poppler is already a Debian package we rely on,
// it renders in its own process (so prlimit and SIGKILL bound it), and on GeoTopo-komprimiert.pdf
// it renders a page in ~0.2 s (BENCHMARKS.md); pdf.js in-process would share our heap.
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isJobError } from '../../src/errors.js';
import { runTool, toolEnv } from './process.js';
import type { CallContext, PageImageRequest, PageImages } from '../ports.js';

export interface PageImageOptions {
  pdftoppmPath?: string;
  prlimitPath?: string;
  /** Address-space limit of one pdftoppm. Default 768 MB. */
  maxMemoryMb?: number;
  /** CPU seconds of one page. Default 15. */
  maxCpuSeconds?: number;
  /** Wall clock of one page. Default 20 s. */
  pageTimeoutMs?: number;
  /** Wall clock of the whole call; pages left when it runs out are skipped. Default 60 s. */
  budgetMs?: number;
  /** Pages rendered per call at most (the rest show the title card). Default 40. */
  maxPages?: number;
}

/** Largest PNG one page may write (a 1280 px page is well under 5 MB). */
const MAX_PNG_BYTES = 32 * 1024 * 1024;

/** Width and height from a PNG's IHDR chunk; undefined when the file is not a PNG. */
export async function pngSize(file: string): Promise<{ width: number; height: number } | undefined> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(24);
    const { bytesRead } = await fh.read(b, 0, 24, 0);
    if (bytesRead < 24 || b.readUInt32BE(0) !== 0x89504e47 || b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  } finally {
    await fh.close();
  }
}

export function createPageImages(opts: PageImageOptions = {}): PageImages {
  const pdftoppm = opts.pdftoppmPath ?? 'pdftoppm';
  const prlimit = opts.prlimitPath ?? 'prlimit';
  const memBytes = (opts.maxMemoryMb ?? 768) * 1024 * 1024;
  const cpu = opts.maxCpuSeconds ?? 15;
  const pageTimeoutMs = opts.pageTimeoutMs ?? 20_000;
  const budgetMs = opts.budgetMs ?? 60_000;
  const maxPages = opts.maxPages ?? 40;

  return {
    async render(req: PageImageRequest, ctx: CallContext) {
      const out = new Map<number, string>();
      await mkdir(req.outDir, { recursive: true });
      const pages = [...new Set(req.pages)]
        .filter((p) => Number.isInteger(p) && p >= 1 && p <= req.pageCount)
        .sort((a, b) => a - b);
      const deadline = Date.now() + budgetMs;
      const started = Date.now();
      for (const page of pages.slice(0, maxPages)) {
        const left = deadline - Date.now();
        if (left < 1000) {
          ctx.logger.warn(
            { event: 'page_render_budget', jobId: ctx.jobId, page, rendered: out.size },
            'page render budget spent',
          );
          break;
        }
        const prefix = join(req.outDir, `page-${page}`);
        const file = `${prefix}.png`;
        const args = [
          `--as=${memBytes}`,
          `--cpu=${cpu}`,
          `--fsize=${MAX_PNG_BYTES}`,
          '--',
          pdftoppm,
          '-f',
          String(page),
          '-l',
          String(page),
          '-png',
          '-singlefile',
          // The long side in pixels: bounds the work whatever the page box says.
          '-scale-to',
          String(req.size),
          req.pdfPath,
          prefix,
        ];
        try {
          const { stderr } = await runTool('pdftoppm', prlimit, args, {
            timeoutMs: Math.min(pageTimeoutMs, left),
            signal: ctx.signal,
            env: toolEnv(),
            maxBuffer: 256 * 1024,
            failCode: 'PDF_CORRUPT',
          });
          const size = await pngSize(file).catch(() => undefined);
          if (/out of memory/i.test(stderr) || !size || size.width < 16 || size.height < 16) {
            throw new Error(
              `no usable image (${size ? `${size.width}x${size.height}` : 'no PNG'}): ${stderr.trim().slice(-200)}`,
            );
          }
          out.set(page, file);
        } catch (err) {
          if (isJobError(err) && err.code === 'CANCELLED') throw err;
          // A page that cannot be drawn shows the title card; the video is still worth making.
          ctx.logger.warn(
            { event: 'page_render_failed', jobId: ctx.jobId, page, err: err instanceof Error ? err.message : String(err) },
            'page could not be rendered',
          );
          await rm(file, { force: true });
          if (isJobError(err) && !err.retryable) throw err; // pdftoppm or prlimit is not installed
        }
      }
      ctx.logger.info(
        {
          event: 'pages_rendered',
          jobId: ctx.jobId,
          asked: pages.length,
          rendered: out.size,
          duration_ms: Date.now() - started,
        },
        'page images rendered',
      );
      return out;
    },
  };
}
