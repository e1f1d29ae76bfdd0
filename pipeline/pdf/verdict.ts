// The verdict on what the PDF parser saw: a usable document (ExtractResult) or a JobError
// (scanned, too short, gibberish). The parser runs in a child process (extract-worker.ts) and
// hands back PdfFacts; the rules that decide live here so they can be unit- and property-tested
// without PDFs.
import { JobError } from '../../src/errors.js';
import type { ExtractResult } from '../job.js';
import { detectLanguage } from './language.js';
import { capText, normalizeText, wordStats } from './text.js';
import { cleanInfoTitle, firstLineTitle } from './title.js';
import { findSections, type HeadingLine, type OutlineEntry } from './sections.js';
import { MIN_REAL_CHARS, scanVerdict, type PageFacts } from './scan.js';

/** Fewer letters/digits (any script) than this share of real characters: TEXT_GIBBERISH. */
const MIN_LETTER_RATIO = 0.3;
/**
 * Fewer word-like tokens than this share of all tokens: TEXT_GIBBERISH (digit-and-symbol soup).
 * Half: a page of a financial table still has its row labels and headings among the numbers.
 */
const MIN_WORD_RATIO = 0.5;

/** `text` (the head of the document, what title and language are read from) is capped here. */
export const DEFAULT_MAX_CHARS = 50_000;
/**
 * All page texts together are capped here: 500 dense pages are ~1.5 M characters, and the text
 * travels in the job's checkpoint (Redis), so a hostile file full of tiny text cannot make it huge.
 */
export const MAX_DOCUMENT_CHARS = 2_000_000;

/** Everything the worker hands back for a document it could open. */
export interface PdfFacts {
  /** Pages in the document. */
  pages: number;
  /** One entry per page parsed (the first MAX_TEXT_PAGES). */
  pageFacts: PageFacts[];
  /** The Info dictionary's Title, raw. */
  infoTitle?: unknown;
  /** Normalised text of the parsed pages (may already be capped). */
  text: string;
  /**
   * Normalised text of each parsed page, index = page - 1, sharing the cap of `text` (pages past
   * it are absent, the page that crosses it is cut). Absent from facts of older workers.
   */
  pageTexts?: string[];
  /** The outline's entries resolved to pages (empty: no outline). */
  outline?: OutlineEntry[];
  /** The largest lines of each page with their font size (only read when there is no outline). */
  headings?: HeadingLine[];
  /** The font size most of the text is set in. */
  bodySize?: number;
}

export interface ClassifyOptions {
  /** Cap of all page texts together (default MAX_DOCUMENT_CHARS); `text` is capped at min(this, 50,000). */
  maxChars?: number;
  /** Fallback title (e.g. the file name the user sent). */
  name?: string;
}

/** Decide. Throws JobError PDF_SCANNED / TEXT_TOO_SHORT / TEXT_GIBBERISH; else the result. */
export function classifyPdf(facts: PdfFacts, opts: ClassifyOptions = {}): ExtractResult {
  const maxChars = opts.maxChars ?? MAX_DOCUMENT_CHARS;
  const chars = facts.pageFacts.reduce((n, p) => n + p.chars, 0);
  const letters = facts.pageFacts.reduce((n, p) => n + p.letters, 0);

  const scan = scanVerdict(facts.pageFacts);
  if (scan.scanned) {
    throw new JobError('PDF_SCANNED', `${scan.imageOnlyPages} of ${facts.pageFacts.length} pages are images with no text`);
  }
  if (chars < MIN_REAL_CHARS) {
    throw new JobError('TEXT_TOO_SHORT', `${chars} characters of text (at least ${MIN_REAL_CHARS} needed)`);
  }
  if (letters / chars < MIN_LETTER_RATIO) {
    throw new JobError('TEXT_GIBBERISH', `only ${Math.round((letters / chars) * 100)}% of the text are letters or digits`);
  }
  const text = capText(normalizeText(facts.text), Math.min(maxChars, DEFAULT_MAX_CHARS));
  const words = wordStats(text);
  if (words.tokens > 0 && words.wordLike / words.tokens < MIN_WORD_RATIO) {
    throw new JobError(
      'TEXT_GIBBERISH',
      `only ${Math.round((words.wordLike / words.tokens) * 100)}% of the text are words or numbers among words`,
    );
  }
  const title = cleanInfoTitle(facts.infoTitle) ?? firstLineTitle(text) ?? cleanInfoTitle(opts.name) ?? 'Untitled';
  const pagesRead = facts.pageFacts.length;
  const { sections, source } = findSections(facts, pagesRead);
  return {
    pages: facts.pages,
    pagesRead,
    chars,
    language: detectLanguage(text),
    title,
    text,
    pageTexts: capPageTexts((facts.pageTexts ?? []).map(normalizeText), maxChars),
    sections,
    sectionSource: source,
  };
}

/** Page texts in order until `max` characters in all; the page that crosses it is cut. */
export function capPageTexts(pages: readonly string[], max: number): string[] {
  const out: string[] = [];
  let left = max;
  for (const p of pages) {
    if (left <= 0) break;
    const kept = capText(p, left);
    out.push(kept);
    left -= kept.length;
  }
  return out;
}
