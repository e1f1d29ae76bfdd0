// savePdfStream (pipeline/steps/fetch.ts): size limit while streaming, %PDF- check, hashing, and
// no partial file left behind.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobError, type ErrorCode } from '../../../src/errors.js';
import { savePdfStream } from '../../../pipeline/steps/fetch.js';
import { makeTempDir } from '../../helpers/hostile-pdfs.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('d2v-save-'));
});
afterEach(async () => {
  await cleanup();
});

const pdfBytes = (n: number) => {
  const b = Buffer.alloc(n, 0x41);
  b.write('%PDF-1.7\n');
  return b;
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A stream of `data` in chunks of `size` bytes. */
function chunked(data: Buffer, size: number): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i >= data.length) return this.push(null);
      this.push(data.subarray(i, i + size));
      i += size;
    },
  });
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<JobError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JobError);
  expect((err as JobError).code).toBe(code);
  return err as JobError;
}

describe('savePdfStream', () => {
  it('writes the file and returns its sha256 and size', async () => {
    const data = pdfBytes(200_000);
    const dest = join(dir, 'sub', 'input.pdf');
    const r = await savePdfStream(chunked(data, 16_384), dest, 1_000_000);
    expect(r).toEqual({ sha256: sha(data), bytes: data.length });
    expect((await readFile(dest)).equals(data)).toBe(true);
    expect(await readdir(join(dir, 'sub'))).toEqual(['input.pdf']);
  });

  it('the limit is inclusive: exactly maxBytes passes, one more byte fails', async () => {
    const max = 50_000;
    await expect(savePdfStream(chunked(pdfBytes(max), 7_000), join(dir, 'a.pdf'), max)).resolves.toMatchObject({ bytes: max });
    const err = await expectCode(savePdfStream(chunked(pdfBytes(max + 1), 7_000), join(dir, 'b.pdf'), max), 'PDF_TOO_LARGE');
    expect(err.options.vars).toEqual({ limit: '49 KiB' });
    expect(await readdir(dir)).toEqual(['a.pdf']);
  });

  it('stops reading as soon as the limit is passed (an endless source ends)', async () => {
    let served = 0;
    const endless = new Readable({
      read() {
        served += 65_536;
        this.push(served === 65_536 ? pdfBytes(65_536) : Buffer.alloc(65_536));
      },
    });
    const err = await expectCode(savePdfStream(endless, join(dir, 'x.pdf'), 20 * 1024 * 1024), 'PDF_TOO_LARGE');
    expect(err.userMessage()).toContain('20 MiB');
    expect(endless.destroyed).toBe(true);
    expect(served).toBeLessThan(22 * 1024 * 1024);
    expect(await readdir(dir)).toEqual([]);
  });

  it('NOT_A_PDF for empty input, a PNG and HTML; nothing left on disk', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Buffer.alloc(3000)]);
    for (const data of [Buffer.alloc(0), png, Buffer.from('<!DOCTYPE html><html><body>hi</body></html>')]) {
      await expectCode(savePdfStream(chunked(data, 512), join(dir, 'x.pdf'), 1_000_000), 'NOT_A_PDF');
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('accepts %PDF- anywhere in the first 1024 bytes, even split across one-byte chunks', async () => {
    const late = Buffer.concat([Buffer.alloc(1000, 0x20), pdfBytes(500)]);
    await expect(savePdfStream(chunked(late, 1), join(dir, 'late.pdf'), 1_000_000)).resolves.toMatchObject({ bytes: 1500 });
    const tooLate = Buffer.concat([Buffer.alloc(1024, 0x20), pdfBytes(500)]);
    await expectCode(savePdfStream(chunked(tooLate, 100), join(dir, 'late2.pdf'), 1_000_000), 'NOT_A_PDF');
    expect(await readdir(dir)).toEqual(['late.pdf']);
  });

  it('a source that fails midway: its error, and no partial file', async () => {
    let n = 0;
    const failing = new Readable({
      read() {
        n++;
        if (n === 1) this.push(pdfBytes(10_000));
        else this.destroy(new Error('connection reset'));
      },
    });
    await expect(savePdfStream(failing, join(dir, 'input.pdf'), 1_000_000)).rejects.toThrow('connection reset');
    expect(await readdir(dir)).toEqual([]);
  });
});
