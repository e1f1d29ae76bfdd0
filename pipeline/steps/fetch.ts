// Step 1: get the user's PDF onto this worker's disk through the platform's adapter. The size
// limit is enforced while streaming (the metadata can lie or be missing) and the %PDF- header
// is checked on the first bytes; a partial file never stays behind.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline as pump } from 'node:stream/promises';
import { JobError, formatBytes } from '../../src/errors.js';
import type { AdapterContext, ChatAdapter } from '../../bots/adapter.js';
import type { FetchResult } from '../job.js';
import { PDF_HEADER_WINDOW, hasPdfHeader } from '../pdf/classify.js';

/**
 * Stream `stream` into `dest`, hashing it. Throws PDF_TOO_LARGE as soon as more than maxBytes
 * arrive (exactly maxBytes is fine) and NOT_A_PDF when the start has no %PDF- header.
 */
export async function savePdfStream(stream: Readable, dest: string, maxBytes: number): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let head = Buffer.alloc(0);
  let headChecked = false;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        cb(new JobError('PDF_TOO_LARGE', `more than ${maxBytes} bytes`, { vars: { limit: formatBytes(maxBytes) } }));
        return;
      }
      if (!headChecked) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= PDF_HEADER_WINDOW) {
          headChecked = true;
          if (!hasPdfHeader(head)) {
            cb(new JobError('NOT_A_PDF', 'no %PDF- header'));
            return;
          }
        }
      }
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      if (!headChecked && !hasPdfHeader(head)) cb(new JobError('NOT_A_PDF', bytes === 0 ? 'empty file' : 'no %PDF- header'));
      else cb();
    },
  });
  await mkdir(path.dirname(dest), { recursive: true });
  try {
    await pump(stream, check, createWriteStream(dest));
  } catch (err) {
    await rm(dest, { force: true });
    throw err;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export async function fetchStep(
  adapter: ChatAdapter,
  ctx: AdapterContext,
  opts: { dir: string; maxBytes: number },
): Promise<FetchResult> {
  const source = await adapter.openFile(ctx, opts.maxBytes);
  if (source.size !== undefined && source.size > opts.maxBytes) {
    source.stream.destroy();
    throw new JobError('PDF_TOO_LARGE', `${source.size} bytes`, { vars: { limit: formatBytes(opts.maxBytes) } });
  }
  const localPath = path.join(opts.dir, 'input.pdf');
  const saved = await savePdfStream(source.stream, localPath, opts.maxBytes);
  ctx.logger.info({ event: 'pdf_fetched', bytes: saved.bytes }, 'PDF downloaded');
  return { ...saved, localPath };
}
