// Messages between parser-pool.ts (parent) and extract-worker.ts (child process). Types only.
import type { PdfFacts } from './verdict.js';

/** Parent -> child, after the child said it is ready; the next only after the answer to this one. */
export interface WorkerRequest {
  type: 'extract';
  path: string;
  /** Pages parsed for text (the first N). */
  maxPages: number;
  /** Text sent back is capped here (the real-character count still covers every parsed page). */
  maxChars: number;
}

/** Child -> parent. */
export type WorkerMessage =
  | { type: 'ready' }
  /** Sent as soon as the page count is known, before the text is read (for "Reading N pages…"). */
  | { type: 'pages'; pages: number; pagesParsed: number }
  | { type: 'result'; facts: PdfFacts; pagesParsed: number }
  /** pdf-parse/pdfjs threw: `name` is the exception class (PasswordException, InvalidPDFException...). */
  | { type: 'error'; name: string; message: string };
