// The text of a PDF as characters and tokens: the header check, which characters are real
// (visible), the letters among them, word-like tokens, and the normalisation the script writer
// sees. Pure functions, no I/O.

const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
/** Readers (Acrobat, pdfjs) accept junk before the header within the first 1024 bytes. */
export const PDF_HEADER_WINDOW = 1024;

/** True when `%PDF-` occurs in the first 1024 bytes. */
export function hasPdfHeader(head: Uint8Array): boolean {
  const window = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, PDF_HEADER_WINDOW));
  return window.indexOf(PDF_MAGIC) !== -1;
}

// --- real characters -------------------------------------------------------------------------

// Removed before counting: whitespace and separators (\s, \p{Z}), control characters (\p{Cc}) and
// format characters (\p{Cf}: the direction marks U+200E/F, U+061C, U+202A–E, U+2066–9, plus zero
// width (non-)joiners, soft hyphen and BOM - all invisible). A per-character filter, so inserting
// any of these anywhere can never change the count.
const INVISIBLE = /[\s\p{Z}\p{Cc}\p{Cf}]+/gu;
// pdf-parse's page separator "-- 3 of 12 --", matched after invisible characters are gone so
// the match cannot depend on spacing.
const PAGE_SEPARATOR_STRIPPED = /--\d+of\d+--/g;
const PAGE_SEPARATOR_LINE = /^-- \d+ of \d+ --$/gm;
const LETTER_OR_DIGIT = /[\p{L}\p{N}\p{M}]/u;

/**
 * The visible characters of `text`: invisible characters and page separators removed, then NFKC
 * (so a "ﬁ" ligature is two characters and Arabic presentation forms become letters), then
 * stripped again because NFKC can produce spaces (U+00A8 -> " \u0308"), then composed again: the
 * mark such a space carried now follows a letter (fullwidth macron after "I" -> "Ī"), and the
 * normalised text, which keeps that space until it is counted, must count the same.
 */
function realChars(text: string): string {
  const stripped = text.replace(INVISIBLE, '').replace(PAGE_SEPARATOR_STRIPPED, '');
  return stripped.normalize('NFKC').replace(INVISIBLE, '').normalize('NFC');
}

export interface TextStats {
  /** Real characters, counted as code points. */
  chars: number;
  /** How many of them are letters, digits or combining marks of any script. */
  letters: number;
}

export function textStats(text: string): TextStats {
  let chars = 0;
  let letters = 0;
  for (const ch of realChars(text)) {
    chars++;
    // Combining marks count with letters: Devanagari vowel signs and Arabic harakat are \p{M}
    // and make up a large share of Hindi text.
    if (LETTER_OR_DIGIT.test(ch)) letters++;
  }
  return { chars, letters };
}

export function countRealChars(text: string): number {
  return textStats(text).chars;
}

/** Share of real characters that are letters/digits of any script; 0 for no text. */
export function letterRatio(text: string): number {
  const s = textStats(text);
  return s.chars === 0 ? 0 : s.letters / s.chars;
}

// --- word-like tokens ------------------------------------------------------------------------

// A number as documents write them: 41,125 / -3.5% / (1,200) / $12 / 2023-24 / 12:30 / 1/2.
const NUMBER_TOKEN = /^[-+(]?[$€£¥]?\d[\d.,:/%–-]*[)%]?$/u;
// Punctuation that wraps a word without being part of it ("(see", "end.", «word»).
const WRAPPING = /^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu;
/** A number counts as word-like when a word is at most this many tokens away. */
const NUMBER_WORD_WINDOW = 4;

export interface WordStats {
  /** Whitespace-separated tokens. */
  tokens: number;
  /** Words (letters of any script, digits only inside them) plus numbers that sit among words. */
  wordLike: number;
}

type TokenKind = 'word' | 'number' | 'junk';

function tokenKind(raw: string): TokenKind {
  const t = raw.replace(WRAPPING, '');
  if (NUMBER_TOKEN.test(t)) return 'number';
  let letters = 0;
  let digits = 0;
  let other = 0;
  for (const ch of t) {
    if (/[\p{L}\p{M}]/u.test(ch)) letters++;
    else if (/\p{N}/u.test(ch)) digits++;
    // Punctuation inside a token is fine (don't, e-mail, U.S., CJK sentences with no spaces);
    // maths and currency symbols inside one are not (o98={, 76>38).
    else if (/\p{S}/u.test(ch)) other++;
  }
  // A word is mostly letters: "COVID-19", "H2O" and "3rd" are words; "o98={" and "x7#2" are not.
  return letters > 0 && letters >= digits && other === 0 ? 'word' : 'junk';
}

/**
 * How word-like a text is. Digit-and-symbol soup ("41125 {35< 02/9 76>38 o98={") is letters-or-digits
 * by character but has no words; a financial report is full of numbers, but they stand among words.
 */
export function wordStats(text: string): WordStats {
  const kinds = text
    .split(/[\s\p{Z}]+/u)
    .filter((t) => t.length > 0)
    .map(tokenKind);
  const wordAt: number[] = [];
  kinds.forEach((k, i) => {
    if (k === 'word') wordAt.push(i);
  });
  let wordLike = 0;
  let w = 0; // index into wordAt of the first word at or after i
  for (let i = 0; i < kinds.length; i++) {
    while (w < wordAt.length && wordAt[w]! < i) w++;
    const k = kinds[i];
    if (k === 'word') wordLike++;
    else if (k === 'number') {
      const after = wordAt[w];
      const before = wordAt[w - 1];
      const near =
        (after !== undefined && after - i <= NUMBER_WORD_WINDOW) || (before !== undefined && i - before <= NUMBER_WORD_WINDOW);
      if (near) wordLike++;
    }
  }
  return { tokens: kinds.length, wordLike };
}

/** Share of tokens that are word-like; 0 for no text. */
export function wordRatio(text: string): number {
  const s = wordStats(text);
  return s.tokens === 0 ? 0 : s.wordLike / s.tokens;
}

// --- normalisation ---------------------------------------------------------------------------

// Direction marks and other invisible formatting that only confuses a language model. Zero width
// (non-)joiners U+200C/D stay: they change how Persian and Indic words are written.
const DROP_IN_TEXT = /[\u200E\u200F\u061C\u202A-\u202E\u2066-\u2069\uFEFF\u00AD\u200B\u2060]/g;
// Control characters except \t \n \r \f (turned into spaces/newlines first).
const CONTROL = /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F]/g;

/**
 * Text for the script writer: NFKC, pdf-parse page separators dropped, direction marks and
 * control characters dropped, runs of spaces collapsed, lines trimmed, at most one blank line
 * in a row. Line breaks are kept (titles and headings are lines). Idempotent.
 */
export function normalizeText(text: string): string {
  // Order matters for idempotence: drop invisibles before NFKC (dropping can bring a letter and
  // its combining mark together), and find separator lines only once spaces are collapsed.
  return text
    .replace(/\r\n?|[\f\v\u2028\u2029\u0085]/g, '\n')
    .replace(DROP_IN_TEXT, '')
    .replace(CONTROL, '')
    .normalize('NFKC')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(PAGE_SEPARATOR_LINE, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Cut at `max` UTF-16 units without splitting a surrogate pair. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end).trimEnd();
}
