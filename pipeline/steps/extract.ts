// Step 2: the text of the PDF, checked (encrypted, corrupt, scanned, too short, gibberish) and
// with its language, parsed in a worker thread so a hostile file cannot hurt this process.
import type { Logger } from '../../src/logger.js';
import type { ExtractResult, FetchResult } from '../job.js';
import { extractPdf, type ExtractOptions } from '../pdf/extract.js';

export async function extractStep(
  fetch: FetchResult,
  deps: { logger: Logger; jobId: string; options?: ExtractOptions },
): Promise<ExtractResult> {
  const started = Date.now();
  const result = await extractPdf({ path: fetch.localPath }, deps.options);
  deps.logger.info(
    {
      event: 'pdf_extracted',
      jobId: deps.jobId,
      pages: result.pages,
      chars: result.chars,
      language: result.language,
      duration_ms: Date.now() - started,
    },
    'PDF text extracted',
  );
  return result;
}
