// Step 2: the text of the PDF, checked (encrypted, corrupt, scanned, too short, gibberish) and
// with its language. Parsing runs in a pre-started child process (pdf/parser-pool.ts) with a
// time and memory budget, so a hostile file cannot hurt this worker.
import pLimit from 'p-limit';
import type { Logger } from '../../src/logger.js';
import { isJobError } from '../../src/errors.js';
import type { ExtractResult, FetchResult } from '../job.js';
import { extractPdf, type ExtractOptions } from '../pdf/extract.js';
import { PARSE_SLOTS } from '../pdf/parser-pool.js';

// Parsing is CPU-bound: running more parses than cores only makes each one slower, and the
// parse's time budget would then fail good PDFs on a busy worker. Jobs queue here instead; the
// budget starts when a parse actually runs. (The pool enforces the same count for every caller;
// queueing here as well lets this step log how long a job waited.)
const parseSlots = pLimit(PARSE_SLOTS);

export async function extractStep(
  fetch: FetchResult,
  deps: { logger: Logger; jobId: string; signal?: AbortSignal; options?: ExtractOptions },
): Promise<ExtractResult> {
  const queuedAt = Date.now();
  return parseSlots(async () => {
    const started = Date.now();
    try {
      const result = await extractPdf(
        { path: fetch.localPath },
        { ...deps.options, ...(deps.signal ? { signal: deps.signal } : {}) },
      );
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
    } catch (err) {
      if (isJobError(err)) {
        deps.logger.info(
          { event: 'pdf_rejected', jobId: deps.jobId, code: err.code, reason: err.message, duration_ms: Date.now() - started },
          'PDF refused',
        );
      }
      throw err;
    }
  });
}
