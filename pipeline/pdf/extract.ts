// PDF file -> checked text. The parsing runs in a child process (extract-worker.ts) with a heap
// limit, a resident-memory watchdog and a deadline, so a hostile PDF (decompression bomb, deep
// nesting, thousands of pages) ends with PDF_CORRUPT instead of taking this process down.
//
// Why a child process and not a worker_thread: resourceLimits.maxOldGenerationSizeMb only bounds
// the V8 heap. pdfjs decodes streams into ArrayBuffers, which live outside that heap, so a
// FlateDecode bomb in a worker_thread grows the *shared* process memory until the kernel kills
// everything (tried: with maxOldGenerationSizeMb 256 the process passed 3 GB RSS). A child process
// has its own address space: we measure its RSS, SIGKILL it, and the OOM killer would pick it, not
// us. It also gets an environment without our API keys. Starting node and loading pdfjs costs
// ~0.4 s (~0.7 s from TypeScript source), so the child is started ahead of the request
// (parser-pool.ts: one warm child per parse slot). The RSS watchdog needs Linux /proc; elsewhere
// only the V8 heap limit and the deadline apply.
import { open } from 'node:fs/promises';
import { JobError } from '../../src/errors.js';
import type { ExtractResult } from '../job.js';
import { PDF_HEADER_WINDOW, hasPdfHeader } from './text.js';
import { MAX_DOCUMENT_CHARS, classifyPdf } from './verdict.js';
import { DEFAULT_MAX_MEMORY_MB, sharedParserPool, type ParserPool } from './parser-pool.js';

export { DEFAULT_MAX_MEMORY_MB, workerEntry } from './parser-pool.js';
const DEFAULT_TIMEOUT_MS = 25_000;
/**
 * Text is taken from the first 500 pages (config MAX_PDF_PAGES): every page of a long report, and
 * it bounds the parse time of a 10,000-page file. `pages` in the result is still the full count.
 */
export const MAX_TEXT_PAGES = 500;

export interface ExtractOptions {
  /** The parse, from the moment a parse slot is free (a warm child is already started). Default 25 s. */
  timeoutMs?: number;
  /** Resident memory of the parsing process (heap limit too). Default 512 MB. */
  maxMemoryMb?: number;
  /** Cap of all page texts together (`text` is capped at min(this, 50,000)). Default 2,000,000. */
  maxChars?: number;
  /** Pages parsed for text. Default 500 (config MAX_PDF_PAGES). */
  maxPages?: number;
  /** Told the page count as soon as the parser knows it, before the text is read. */
  onPages?(info: { pages: number; pagesRead: number }): void;
  /** Abort: kills the parser and rejects with JobError CANCELLED. */
  signal?: AbortSignal;
  /** Where the parse runs. Default: this process's shared pool (sharedParserPool()). */
  parser?: ParserPool;
}

export interface ExtractInput {
  path: string;
  /** The file name the user sent: last-resort title. */
  name?: string;
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(PDF_HEADER_WINDOW);
    const { bytesRead } = await fh.read(buf, 0, PDF_HEADER_WINDOW, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Read a PDF and return its checked text.
 *
 * Throws JobError: NOT_A_PDF (no `%PDF-` in the first 1024 bytes), PDF_ENCRYPTED, PDF_CORRUPT
 * (unparseable, too much memory), PDF_PARSE_TIMEOUT (too slow: retryable when the machine was
 * busy), PDF_SCANNED, TEXT_TOO_SHORT, TEXT_GIBBERISH, CANCELLED
 * (opts.signal), INTERNAL (the parser could not start). File system errors on `input.path` itself
 * (ENOENT...) are passed through unchanged: the file is ours, not the user's.
 */
export async function extractPdf(input: ExtractInput, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxMemoryMb = opts.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB;
  const maxChars = opts.maxChars ?? MAX_DOCUMENT_CHARS;
  const maxPages = opts.maxPages ?? MAX_TEXT_PAGES;

  const head = await readHead(input.path);
  if (!hasPdfHeader(head)) {
    throw new JobError('NOT_A_PDF', head.length === 0 ? 'the file is empty' : 'no %PDF- header in the first 1024 bytes');
  }
  const pool = opts.parser ?? sharedParserPool();
  const { facts } = await pool.parse(
    { type: 'extract', path: input.path, maxPages, maxChars },
    {
      timeoutMs,
      maxMemoryMb,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onPages ? { onPages: opts.onPages } : {}),
    },
  );
  return classifyPdf(facts, { maxChars, name: input.name });
}
