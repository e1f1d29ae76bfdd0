// extractPdf against generated hostile files. Each must end with its code (or a result) while
// this test process lives on: the parser runs in a child process we can kill.
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobError, type ErrorCode } from '../../../src/errors.js';
import { extractPdf, workerEntry, MAX_TEXT_PAGES } from '../../../pipeline/pdf/extract.js';
import { savePdfStream } from '../../../pipeline/steps/fetch.js';
import {
  makeDecompressionBomb,
  makeDeepNesting,
  makeEncryptedPdf,
  makeImageOnlyPdf,
  makeLargePdf,
  makeManyPages,
  makeRenamedHtml,
  makeRenamedPng,
  makeTempDir,
  makeTextPdf,
  makeTruncatedPdf,
  makeZeroBytes,
} from '../../helpers/hostile-pdfs.js';

// Test machines can be busy (other suites spawn parsers too): where a test expects a result, it
// gives the parser a generous time budget; the budget itself is tested with timeoutMs: 1.
const PATIENT = { timeoutMs: 150_000 };
const TEST_TIMEOUT = { timeout: 200_000 };

let dir: string;
let cleanup: () => Promise<void>;
let control: string;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  control = await makeTextPdf(dir, 'control.pdf');
});
afterAll(async () => {
  await cleanup();
});

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<JobError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected JobError ${code}`).toBeInstanceOf(JobError);
  expect((err as JobError).code).toBe(code);
  return err as JobError;
}

/** The control document still parses: the hostile file before it did not hurt this process. */
async function expectStillWorking(): Promise<void> {
  const r = await extractPdf({ path: control }, PATIENT);
  expect(r.pages).toBe(3);
  expect(r.text).toContain('This is page 3 of the control document.');
  // Text per page, so scenes can point at the page they talk about.
  expect(r.pageTexts).toHaveLength(3);
  expect(r.pageTexts![2]).toContain('This is page 3 of the control document.');
  expect(r.pageTexts![0]).not.toContain('This is page 3');
}

describe('extractPdf: an ordinary PDF', TEST_TIMEOUT, () => {
  it('returns pages, characters, language, the Info title and the text', async () => {
    const r = await extractPdf({ path: control }, PATIENT);
    expect(r).toMatchObject({ pages: 3, language: 'en', title: 'Hostile Suite Control Document' });
    expect(r.chars).toBeGreaterThan(600);
    expect(r.text.startsWith('The quick brown fox')).toBe(true);
    expect(r.text).not.toMatch(/-- \d+ of \d+ --/);
  });
  it('caps the text at maxChars and still counts all of it', async () => {
    const full = await extractPdf({ path: control }, PATIENT);
    const r = await extractPdf({ path: control }, { ...PATIENT, maxChars: 200 });
    expect(r.text.length).toBeLessThanOrEqual(200);
    expect(r.chars).toBe(full.chars);
  });
  it('runs the worker from TypeScript source here (tsx), from .js when compiled', () => {
    expect(workerEntry().file).toMatch(/extract-worker\.ts$/);
    expect(workerEntry().execArgv.join(' ')).toMatch(/--import \S*tsx/);
    const compiled = workerEntry('file:///app/dist/pipeline/pdf/extract.js');
    expect(compiled).toEqual({ file: '/app/dist/pipeline/pdf/extract-worker.js', execArgv: [] });
  });
});

describe('extractPdf: files that are not usable', TEST_TIMEOUT, () => {
  it('encrypted (qpdf, AES-256, user password): PDF_ENCRYPTED', async () => {
    await expectCode(extractPdf({ path: await makeEncryptedPdf(dir) }, PATIENT), 'PDF_ENCRYPTED');
  });
  it('image-only pages: PDF_SCANNED', async () => {
    await expectCode(extractPdf({ path: await makeImageOnlyPdf(dir) }, PATIENT), 'PDF_SCANNED');
  });
  it('first half of a real PDF: PDF_CORRUPT (pdfjs cannot rebuild a document without its catalog)', async () => {
    const err = await expectCode(extractPdf({ path: await makeTruncatedPdf(dir) }, PATIENT), 'PDF_CORRUPT');
    expect(err.message).toMatch(/^InvalidPDFException/);
  });
  it('zero bytes, a PNG, HTML renamed to .pdf: NOT_A_PDF without starting a parser', async () => {
    for (const make of [makeZeroBytes, makeRenamedPng, makeRenamedHtml]) {
      await expectCode(extractPdf({ path: await make(dir) }), 'NOT_A_PDF');
    }
  });
  it('a missing local file is an I/O error, not a user-facing code', async () => {
    await expect(extractPdf({ path: join(dir, 'nope.pdf') })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('savePdfStream on the hostile inputs', () => {
  it('zero bytes, a PNG, HTML: NOT_A_PDF and nothing left on disk', async () => {
    const out = await makeTempDir('d2v-save-');
    try {
      for (const make of [makeZeroBytes, makeRenamedPng, makeRenamedHtml]) {
        const dest = join(out.dir, 'input.pdf');
        await expectCode(savePdfStream(createReadStream(await make(dir)), dest, 20 * 1024 * 1024), 'NOT_A_PDF');
        expect(await readdir(out.dir)).toEqual([]);
      }
    } finally {
      await out.cleanup();
    }
  });
  it('a 21 MB PDF with a 20 MiB limit: PDF_TOO_LARGE naming the limit', async () => {
    const out = await makeTempDir('d2v-save-');
    try {
      const err = await expectCode(
        savePdfStream(createReadStream(await makeLargePdf(dir)), join(out.dir, 'input.pdf'), 20 * 1024 * 1024),
        'PDF_TOO_LARGE',
      );
      expect(err.userMessage()).toContain('20 MiB');
      expect(await readdir(out.dir)).toEqual([]);
    } finally {
      await out.cleanup();
    }
  });
});

describe('extractPdf: hostile files end with a code and this process lives on', TEST_TIMEOUT, () => {
  it('decompression bomb (a content stream inflating to 4 GiB): ends within the default budget', async () => {
    // Default limits (25 s, 512 MB): whichever is hit first ends it.
    const err = await extractPdf({ path: await makeDecompressionBomb(dir) }).then(
      () => undefined,
      (e: unknown) => e as JobError,
    );
    // The memory budget, unless a busy machine lets the time budget run out first.
    expect(err).toBeInstanceOf(JobError);
    expect(['PDF_CORRUPT', 'PDF_PARSE_TIMEOUT']).toContain(err!.code);
    expect(err!.message).toMatch(/memory|too long/);
    await expectStillWorking();
  });
  it('100,000 nested arrays in the page dictionary: PDF_CORRUPT (stack overflow inside the parser)', async () => {
    const err = await expectCode(extractPdf({ path: await makeDeepNesting(dir, 'page') }, PATIENT), 'PDF_CORRUPT');
    expect(err.message).toMatch(/call stack/);
    await expectStillWorking();
  });
  it('100,000 nested arrays in the content stream: pdfjs skips the operand, the text before it is kept', async () => {
    const r = await extractPdf({ path: await makeDeepNesting(dir, 'content') }, PATIENT);
    expect(r.text).toContain('The quick brown fox');
    await expectStillWorking();
  });
  it(`10,000 pages: a result with text from the first ${MAX_TEXT_PAGES} pages only`, async () => {
    const r = await extractPdf({ path: await makeManyPages(dir, 10_000) }, PATIENT);
    expect(r.pages).toBe(10_000);
    expect(r.language).toBe('en');
    expect(r.text).toContain(`This is page ${MAX_TEXT_PAGES} of`);
    expect(r.text).not.toContain(`This is page ${MAX_TEXT_PAGES + 1} of`);
    await expectStillWorking();
  });
  it('past the time budget the parser is killed: PDF_PARSE_TIMEOUT', async () => {
    const err = await expectCode(extractPdf({ path: control }, { timeoutMs: 1 }), 'PDF_PARSE_TIMEOUT');
    expect(err.message).toMatch(/^took too long to parse \(1 ms; CPU used: /);
    await expectStillWorking();
  });
  it('past the memory budget the parser is killed: PDF_CORRUPT', async () => {
    // 16 MB is below what node itself needs: the watchdog (or V8) stops it at once.
    const err = await expectCode(extractPdf({ path: control }, { maxMemoryMb: 16 }), 'PDF_CORRUPT');
    expect(err.message).toMatch(/memory/);
    await expectStillWorking();
  });
  it('an abort signal kills the parser: CANCELLED', async () => {
    const ac = new AbortController();
    const p = extractPdf({ path: control }, { signal: ac.signal });
    ac.abort();
    await expectCode(p, 'CANCELLED');
  });
});
