// Step 2: the text of the PDF, checked (encrypted, corrupt, scanned, too short, gibberish) and
// with its language, parsed in a worker thread so a hostile file cannot hurt this process.
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import type { Logger } from '../../src/logger.js';
import type { ExtractResult, FetchResult } from '../job.js';
import { extractPdf, type ExtractOptions } from '../pdf/extract.js';

// Parsing is CPU-bound: running more parses than cores only makes each one slower, and the
// parse's time budget would then fail good PDFs on a busy worker. Jobs queue here instead; the
// budget starts when a parse actually runs.
const parseSlots = pLimit(Math.max(1, availableParallelism()));

export async function extractStep(
  fetch: FetchResult,
  deps: { logger: Logger; jobId: string; options?: ExtractOptions },
): Promise<ExtractResult> {
  const queuedAt = Date.now();
  return parseSlots(async () => {
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
        queued_ms: started - queuedAt,
      },
      'PDF text extracted',
    );
    return result;
  });
}
