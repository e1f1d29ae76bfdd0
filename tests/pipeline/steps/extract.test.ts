import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobError } from '../../../src/errors.js';
import { extractStep } from '../../../pipeline/steps/extract.js';
import { captureLogs } from '../../helpers/logs.js';
import { makeImageOnlyPdf, makeTempDir, makeTextPdf } from '../../helpers/hostile-pdfs.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

// A busy test machine must not turn these into "took too long".
const options = { timeoutMs: 150_000 };

describe('extractStep', { timeout: 200_000 }, () => {
  it('returns the extraction and logs pdf_extracted with pages, chars, language and duration', async () => {
    const { logger, logs } = captureLogs();
    const path = await makeTextPdf(dir, 'step.pdf', 2);
    const r = await extractStep({ sha256: 'x', bytes: 1, localPath: path }, { logger, jobId: 'job-1', options });
    expect(r.pages).toBe(2);
    const [line] = logs.events('pdf_extracted');
    expect(line).toMatchObject({ jobId: 'job-1', pages: 2, chars: r.chars, language: 'en' });
    expect(line!.duration_ms).toEqual(expect.any(Number));
  });

  it('passes the JobError through and logs why the PDF was refused', async () => {
    const { logger, logs } = captureLogs();
    const path = await makeImageOnlyPdf(dir);
    const err = await extractStep({ sha256: 'x', bytes: 1, localPath: path }, { logger, jobId: 'job-2', options }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe('PDF_SCANNED');
    expect(logs.events('pdf_rejected')).toEqual([expect.objectContaining({ jobId: 'job-2', code: 'PDF_SCANNED' })]);
    expect(logs.events('pdf_extracted')).toEqual([]);
  });
});
