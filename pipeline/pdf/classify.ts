// Pure rules that turn what the PDF parser saw into an ExtractResult or a JobError.
// No I/O here: the parser runs in a child process (extract-worker.ts) and hands back PdfFacts;
// everything that decides "is this document usable, in which language, with which title" is
// here so it can be unit- and property-tested without PDFs.
import { francAll } from 'franc';
import { JobError, type ErrorCode } from '../../src/errors.js';
import type { ExtractResult } from '../job.js';

/** Fewer real characters than this: TEXT_TOO_SHORT. */
export const MIN_REAL_CHARS = 50;
/** Fewer letters/digits (any script) than this share of real characters: TEXT_GIBBERISH. */
export const MIN_LETTER_RATIO = 0.3;
/**
 * A page with an image and fewer real characters than this counts as an image page ("almost no
 * text"): a scan often carries a stamp, a page number or a one-line watermark such as
 * "Produced with a Trial Version of PDF Annotator" (60 characters, corpus base64image.pdf).
 */
export const IMAGE_PAGE_MAX_CHARS = 100;
/** At least this share of image pages, and sparse text overall (below), makes a scan... */
export const SCANNED_PAGE_RATIO = 0.5;
/** ...sparse meaning fewer real characters per page on average than this (a text page has ~2000). */
export const SCANNED_MAX_AVG_CHARS = 200;
/** This share of image pages is a scan whatever the other pages hold (a typed cover on a scan). */
export const MOSTLY_SCANNED_PAGE_RATIO = 0.8;
export const DEFAULT_MAX_CHARS = 50_000;
export const TITLE_MAX_CHARS = 80;
/** franc only sees this much (it cuts at 2048 itself; more costs time and adds nothing). */
export const LANGUAGE_SAMPLE_CHARS = 5_000;
/**
 * Below this many characters franc's trigram statistics are noise (it tells English from Scots
 * or Arabic from Jawi Malay by a hair); a script-based guess is more honest.
 */
export const FRANC_MIN_LENGTH = 150;

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
 * stripped again because NFKC can produce spaces (U+00A8 -> " \u0308").
 */
export function realChars(text: string): string {
  const stripped = text.replace(INVISIBLE, '').replace(PAGE_SEPARATOR_STRIPPED, '');
  return stripped.normalize('NFKC').replace(INVISIBLE, '');
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

// --- language --------------------------------------------------------------------------------

/**
 * franc's ISO 639-3 codes -> ISO 639-1. Also the `only` list passed to franc: restricting it to
 * languages we can name keeps it from answering "sco" (Scots) for short English or "zlm" (Jawi
 * Malay) for Arabic. Order matters: earlier entries win near-ties (see LANGUAGE_NEAR_TIE).
 */
export const ISO639_3_TO_1: Readonly<Record<string, string>> = {
  eng: 'en', arb: 'ar', deu: 'de', fra: 'fr', spa: 'es', ita: 'it', por: 'pt', nld: 'nl',
  rus: 'ru', tur: 'tr', pes: 'fa', prs: 'fa', heb: 'he', cmn: 'zh', jpn: 'ja', kor: 'ko',
  hin: 'hi', urd: 'ur', ben: 'bn', pol: 'pl', ukr: 'uk', ces: 'cs', slk: 'sk', slv: 'sl',
  hrv: 'hr', srp: 'sr', bos: 'bs', bul: 'bg', mkd: 'mk', bel: 'be', ron: 'ro', hun: 'hu',
  fin: 'fi', ekk: 'et', lvs: 'lv', lit: 'lt', swe: 'sv', dan: 'da', nob: 'nb', nno: 'nn',
  cat: 'ca', glg: 'gl', ell: 'el', ind: 'id', vie: 'vi', tha: 'th', tgl: 'tl', swh: 'sw',
  afr: 'af', als: 'sq', azj: 'az', kaz: 'kk', uzn: 'uz', kat: 'ka', hye: 'hy', amh: 'am',
  mar: 'mr', npi: 'ne', tam: 'ta', tel: 'te', kan: 'kn', mal: 'ml', guj: 'gu', pan: 'pa',
  sin: 'si', mya: 'my', khm: 'km', lao: 'lo', pbu: 'ps', ydd: 'yi', epo: 'eo',
};
const FRANC_ONLY = Object.keys(ISO639_3_TO_1);

// Scripts that name one language (or one we default to), for the short-text fallback.
const SCRIPT_LANGUAGE: ReadonlyArray<[RegExp, string]> = [
  [/\p{Script=Hangul}/u, 'ko'],
  [/[\p{Script=Hiragana}\p{Script=Katakana}]/u, 'ja'],
  [/\p{Script=Han}/u, 'zh'],
  [/\p{Script=Arabic}/u, 'ar'],
  [/\p{Script=Hebrew}/u, 'he'],
  [/\p{Script=Cyrillic}/u, 'ru'],
  [/\p{Script=Greek}/u, 'el'],
  [/\p{Script=Devanagari}/u, 'hi'],
  [/\p{Script=Bengali}/u, 'bn'],
  [/\p{Script=Tamil}/u, 'ta'],
  [/\p{Script=Telugu}/u, 'te'],
  [/\p{Script=Gujarati}/u, 'gu'],
  [/\p{Script=Gurmukhi}/u, 'pa'],
  [/\p{Script=Kannada}/u, 'kn'],
  [/\p{Script=Malayalam}/u, 'ml'],
  [/\p{Script=Thai}/u, 'th'],
  [/\p{Script=Georgian}/u, 'ka'],
  [/\p{Script=Armenian}/u, 'hy'],
  [/\p{Script=Ethiopic}/u, 'am'],
  [/\p{Script=Latin}/u, 'en'],
];
const URDU_LETTERS = /[\u0679\u0688\u0691\u06BA\u06D2]/u; // ٹ ڈ ڑ ں ے
const PERSIAN_LETTERS = /[\u067E\u0686\u0698\u06AF\u06A9\u06CC]/u; // پ چ ژ گ ک ی

/** Language from the writing system alone: the script with the most letters wins. */
export function guessLanguageFromScript(text: string): string {
  const counts = new Map<string, number>();
  let kana = 0;
  let han = 0;
  let urdu = 0;
  let persian = 0;
  for (const ch of text) {
    if (!/\p{L}/u.test(ch)) continue;
    for (const [re, lang] of SCRIPT_LANGUAGE) {
      if (re.test(ch)) {
        if (lang === 'ja') kana++;
        if (lang === 'zh') han++;
        if (URDU_LETTERS.test(ch)) urdu++;
        if (PERSIAN_LETTERS.test(ch)) persian++;
        // Japanese text is mostly kanji with kana between: count both for Japanese.
        const key = lang === 'zh' || lang === 'ja' ? 'cjk' : lang;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        break;
      }
    }
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [k, n] of counts) {
    if (n > bestCount) {
      best = k;
      bestCount = n;
    }
  }
  if (best === undefined) return 'en';
  if (best === 'cjk') return kana > 0 && kana >= han * 0.1 ? 'ja' : 'zh';
  if (best === 'ar') {
    if (urdu > 0) return 'ur';
    if (persian > 0) return 'fa';
  }
  return best;
}

/**
 * franc scores (1 = best) closer than this are a tie: on a 200-character paragraph Russian vs
 * Macedonian or Bulgarian differ by ~0.01-0.03, while distinct languages (es/pt, nl/af, uk/ru)
 * differ by 0.06 or more. A tie goes to the language listed first in ISO639_3_TO_1 (the more
 * widely used one).
 */
export const LANGUAGE_NEAR_TIE = 0.03;

/** ISO 639-1 language of `text`: franc on the first 5000 characters, script guess for short text. */
export function detectLanguage(text: string): string {
  const sample = text.slice(0, LANGUAGE_SAMPLE_CHARS);
  const ranked = francAll(sample, { minLength: FRANC_MIN_LENGTH, only: FRANC_ONLY });
  const top = ranked[0];
  if (!top || top[0] === 'und') return guessLanguageFromScript(sample);
  let best = top[0];
  for (const [code, score] of ranked) {
    if (top[1] - score > LANGUAGE_NEAR_TIE) break;
    if (FRANC_ONLY.indexOf(code) < FRANC_ONLY.indexOf(best)) best = code;
  }
  return ISO639_3_TO_1[best] ?? guessLanguageFromScript(sample);
}

// --- title -----------------------------------------------------------------------------------

const APP_PREFIX = /^(?:Microsoft\s+(?:Office\s+)?(?:Word|PowerPoint|Excel)|Microsoft Word|PowerPoint)\s*[-–—:]\s*/i;
const FILE_EXTENSION =
  /\.(?:docx?|dotx?|pptx?|xlsx?|odt|odp|ods|rtf|txt|pdf|tex|dvi|e?ps|indd|pages|key|numbers|html?|md|xml|png|jpe?g|tiff?)$/i;
const PLACEHOLDER_TITLES = new Set([
  'untitled', 'untitled document', 'untitled presentation', 'no title', 'title', 'document',
  'unknown', 'none', 'null', 'undefined', 'n/a', 'new document', 'presentation',
  'powerpoint presentation', 'slide 1', 'print', 'sans titre', 'ohne titel', 'sin título',
  'senza titolo', 'sem título', 'بدون عنوان',
]);

export function truncateTitle(s: string, max = TITLE_MAX_CHARS): string {
  if (s.length <= max) return s;
  const cut = capText(s, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The Info dictionary's Title when it names the document, else undefined. */
export function cleanInfoTitle(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let t = raw
    .normalize('NFKC')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  t = t.replace(APP_PREFIX, '');
  if (FILE_EXTENSION.test(t) || /^[A-Za-z]:\\|^\/|\\/.test(t)) {
    // A file name or path: keep the base name without the extension.
    t = t.split(/[\\/]/).pop()!.replace(FILE_EXTENSION, '').replace(/[_]+/g, ' ').trim();
  }
  const lower = t.toLowerCase();
  if (PLACEHOLDER_TITLES.has(lower) || /^(?:document|doc|presentation|book|untitled)[\s_-]*\d*$/i.test(t)) return undefined;
  // At least two letters: "1", "-" or "???" are not titles.
  if ((t.match(/\p{L}/gu) ?? []).length < 2) return undefined;
  return truncateTitle(t);
}

/** The first line of normalised text that has a letter in it. */
export function firstLineTitle(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (/\p{L}/u.test(t)) return truncateTitle(t);
  }
  return undefined;
}

// --- classification --------------------------------------------------------------------------

/** What the parser saw on one page. */
export interface PageFacts {
  /** Real characters on the page. */
  chars: number;
  /** Letters, digits and marks among them. */
  letters: number;
  /**
   * Whether the page paints an image. Only looked at for pages with little text (and only a
   * sample of those); undefined = not checked.
   */
  hasImage?: boolean;
}

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
}

export interface ScanVerdict {
  imagePages: number;
  /** Estimated number of pages that are images with (almost) no text. */
  imageOnlyPages: number;
  scanned: boolean;
}

/**
 * Is this a scan? Pages with little text were checked for images (a sample of them when there are
 * many); the share of image pages is estimated from the sample. A scan is: no real text at all
 * next to an image; or half the pages images and little text per page overall; or 80% images.
 */
export function scanVerdict(pageFacts: readonly PageFacts[]): ScanVerdict {
  const parsed = pageFacts.length;
  const totalChars = pageFacts.reduce((n, p) => n + p.chars, 0);
  const imagePages = pageFacts.filter((p) => p.hasImage === true).length;
  const lowText = pageFacts.filter((p) => p.chars < IMAGE_PAGE_MAX_CHARS);
  const checked = lowText.filter((p) => p.hasImage !== undefined);
  const hits = checked.filter((p) => p.hasImage === true).length;
  const imageOnlyPages = checked.length === 0 ? 0 : Math.round((hits / checked.length) * lowText.length);
  const scanned =
    parsed > 0 &&
    ((totalChars < MIN_REAL_CHARS && imagePages > 0) ||
      (imageOnlyPages >= parsed * SCANNED_PAGE_RATIO && totalChars / parsed < SCANNED_MAX_AVG_CHARS) ||
      imageOnlyPages >= parsed * MOSTLY_SCANNED_PAGE_RATIO);
  return { imagePages, imageOnlyPages, scanned };
}

export interface ClassifyOptions {
  maxChars?: number;
  /** Fallback title (e.g. the file name the user sent). */
  name?: string;
}

/** Decide. Throws JobError PDF_SCANNED / TEXT_TOO_SHORT / TEXT_GIBBERISH; else the result. */
export function classifyPdf(facts: PdfFacts, opts: ClassifyOptions = {}): ExtractResult {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
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
    throw new JobError(
      'TEXT_GIBBERISH',
      `only ${Math.round((letters / chars) * 100)}% of the text are letters or digits`,
    );
  }
  const text = capText(normalizeText(facts.text), maxChars);
  const title =
    cleanInfoTitle(facts.infoTitle) ??
    firstLineTitle(text) ??
    cleanInfoTitle(opts.name) ??
    'Untitled';
  return { pages: facts.pages, chars, language: detectLanguage(text), title, text };
}

/** pdf-parse's exception names (pdfjs errors mapped by getException) -> our code. */
export function codeForParseError(name: string | undefined): ErrorCode {
  return name === 'PasswordException' ? 'PDF_ENCRYPTED' : 'PDF_CORRUPT';
}
