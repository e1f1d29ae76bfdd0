// Step 1: get the user's PDF onto this worker's disk through the platform's adapter. The size
// limit is enforced while streaming (the metadata can lie or be missing) and the %PDF- header
// is checked on the first bytes; a partial file never stays behind.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline as pump } from 'node:stream/promises';
import { JobError, formatBytes } from '../../src/errors.js';
import type { AdapterContext, ChatAdapter } from '../ports.js';
import type { FetchResult } from '../job.js';
import { PDF_HEADER_WINDOW, hasPdfHeader } from '../pdf/text.js';

/**
 * Stream `stream` into `dest`, hashing it. Throws PDF_TOO_LARGE as soon as more than maxBytes
 * arrive (exactly maxBytes is fine; the source is destroyed, so a download stops there) and
 * NOT_A_PDF when the first 1024 bytes hold no %PDF- header (an empty file included) - the same
 * rule extractPdf applies. The bytes go to a temporary name next to `dest` and are renamed into
 * place only when complete, so `dest` is never a partial file, even after a crash; on failure
 * the temporary file is removed.
 */
export async function savePdfStream(
  stream: Readable,
  dest: string,
  maxBytes: number,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let head = Buffer.alloc(0);
  let headChecked = false;
  const check = new Transform({
    transform(chunk: Buffer | string, _enc, cb) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buf.length;
      if (bytes > maxBytes) {
        cb(new JobError('PDF_TOO_LARGE', `more than ${maxBytes} bytes`, { vars: { limit: formatBytes(maxBytes) } }));
        return;
      }
      if (!headChecked) {
        head = Buffer.concat([head, buf.subarray(0, PDF_HEADER_WINDOW - head.length)]);
        // Decide as soon as the header shows up; a non-PDF needs the whole window (or the end).
        if (hasPdfHeader(head)) headChecked = true;
        else if (head.length >= PDF_HEADER_WINDOW) {
          cb(new JobError('NOT_A_PDF', 'no %PDF- header in the first 1024 bytes'));
          return;
        }
      }
      hash.update(buf);
      cb(null, buf);
    },
    flush(cb) {
      if (!headChecked) cb(new JobError('NOT_A_PDF', bytes === 0 ? 'the file is empty' : 'no %PDF- header'));
      else cb();
    },
  });
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${randomBytes(6).toString('hex')}.part`;
  const out = createWriteStream(tmp, { flags: 'wx' });
  try {
    await pump(stream, check, out);
    await rename(tmp, dest);
  } catch (err) {
    // Let the write stream finish closing (it may still be opening the file) before removing it.
    if (!out.closed) await once(out, 'close').catch(() => undefined);
    await rm(tmp, { force: true });
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
