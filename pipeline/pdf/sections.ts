// A document's sections, from what the parser saw: the PDF outline (bookmarks) when it has one,
// else headings (lines set clearly larger than the body text), else even runs of pages. Each
// section is a title and a page range; together they cover every page read, in order. Pure, no I/O.
import type { Section, SectionSource } from '../job.js';

/** An outline entry resolved to its page (depth 0: a chapter, 1: its first sub-level). */
export interface OutlineEntry {
  title: string;
  page: number;
  depth: number;
}

/** A line of text with its font size (the largest glyph height on it). */
export interface HeadingLine {
  page: number;
  text: string;
  size: number;
}

/** A heading is set at least this much larger than the body text. */
const HEADING_SIZE_RATIO = 1.2;
/** Sections wanted at least / at most: fewer says nothing about structure, more is a table of contents. */
const MIN_SECTIONS = 2;
const MAX_SECTIONS = 60;
/** A heading is a short line with letters in it. */
const MAX_HEADING_WORDS = 14;
/** Even runs: about this many pages each (and at most MAX_EVEN_SECTIONS of them). */
const PAGES_PER_EVEN_SECTION = 10;
const MAX_EVEN_SECTIONS = 12;
const TITLE_MAX_CHARS = 100;

function cleanTitle(t: string): string {
  const s = t
    .normalize('NFKC')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  return s.length > TITLE_MAX_CHARS ? `${s.slice(0, TITLE_MAX_CHARS - 1).trimEnd()}…` : s;
}

/** Sections from starts (page + title) sorted by page: each runs to the page before the next. */
function fromStarts(starts: ReadonlyArray<{ page: number; title: string }>, pages: number): Section[] {
  const sorted = starts.filter((s) => s.page >= 1 && s.page <= pages).sort((a, b) => a.page - b.page);
  // Several starts on one page: the first names the section (the page shows them all).
  const unique = sorted.filter((s, i) => i === 0 || s.page !== sorted[i - 1]!.page);
  if (unique.length === 0) return [];
  const out: Section[] = [];
  // Pages before the first start (a cover, a contents page) open the document.
  if (unique[0]!.page > 1) out.push({ title: '', firstPage: 1, lastPage: unique[0]!.page - 1 });
  unique.forEach((s, i) => {
    const next = unique[i + 1];
    out.push({ title: cleanTitle(s.title), firstPage: s.page, lastPage: next ? next.page - 1 : pages });
  });
  // A front part of one or two pages belongs to the first section.
  if (out.length > 1 && out[0]!.title === '' && out[0]!.lastPage <= 2) {
    const [front, first] = out;
    out.splice(0, 2, { title: first!.title, firstPage: front!.firstPage, lastPage: first!.lastPage });
  }
  return out;
}

/**
 * From the outline: its top-level entries, or the first sub-level when the top level is a single
 * entry (a book whose one root is its title). Undefined when the outline names fewer than two pages.
 */
export function sectionsFromOutline(entries: readonly OutlineEntry[], pages: number): Section[] | undefined {
  const inRange = entries.filter((e) => e.page >= 1 && e.page <= pages);
  let level = inRange.filter((e) => e.depth === 0);
  if (new Set(level.map((e) => e.page)).size < MIN_SECTIONS) level = inRange.filter((e) => e.depth === 1);
  if (new Set(level.map((e) => e.page)).size < MIN_SECTIONS) return undefined;
  return fromStarts(level, pages);
}

/**
 * From headings: lines set at least 1.2x the body size. The largest size that starts between 2 and
 * 60 sections wins (chapter titles before sub-headings); undefined when no size does.
 */
export function sectionsFromHeadings(
  lines: readonly HeadingLine[],
  bodySize: number | undefined,
  pages: number,
): Section[] | undefined {
  if (!bodySize || bodySize <= 0) return undefined;
  const candidates = lines.filter(
    (l) =>
      l.size >= bodySize * HEADING_SIZE_RATIO &&
      /\p{L}/u.test(l.text) &&
      l.text.split(/\s+/).length <= MAX_HEADING_WORDS &&
      l.page <= pages,
  );
  const sizes = [...new Set(candidates.map((l) => l.size))].sort((a, b) => b - a);
  for (const size of sizes) {
    // This size and every larger one (a chapter title is a section start too).
    const starts = candidates.filter((l) => l.size >= size);
    const pagesWithStart = new Set(starts.map((l) => l.page)).size;
    // The largest text on page 1 alone is the document's title, not a section.
    if (pagesWithStart < MIN_SECTIONS || (pagesWithStart === 1 && starts[0]!.page === 1)) continue;
    if (pagesWithStart > MAX_SECTIONS) break;
    // Each page's start is its line closest to this size (a chapter heading, not the larger
    // document title above it on page 1).
    const first = new Map<number, HeadingLine>();
    for (const l of starts) if (!first.has(l.page) || l.size < first.get(l.page)!.size) first.set(l.page, l);
    const found = fromStarts(
      [...first.values()].map((l) => ({ page: l.page, title: l.text })),
      pages,
    );
    if (found.length >= MIN_SECTIONS) return found;
  }
  return undefined;
}

/** Even runs of about ten pages (at most 12 runs), titled by their page range. */
export function evenSections(pages: number): Section[] {
  if (pages <= 0) return [];
  const count = Math.min(MAX_EVEN_SECTIONS, Math.max(1, Math.round(pages / PAGES_PER_EVEN_SECTION)));
  const out: Section[] = [];
  for (let k = 0; k < count; k++) {
    const firstPage = Math.floor((k * pages) / count) + 1;
    const lastPage = Math.floor(((k + 1) * pages) / count);
    if (lastPage >= firstPage) out.push({ title: '', firstPage, lastPage });
  }
  return out;
}

/** Outline, else headings, else even runs; always at least one section covering 1..pages. */
export function findSections(
  facts: { outline?: readonly OutlineEntry[]; headings?: readonly HeadingLine[]; bodySize?: number },
  pages: number,
): { sections: Section[]; source: SectionSource } {
  const outline = facts.outline?.length ? sectionsFromOutline(facts.outline, pages) : undefined;
  if (outline) return { sections: outline, source: 'outline' };
  const headings = facts.headings?.length ? sectionsFromHeadings(facts.headings, facts.bodySize, pages) : undefined;
  if (headings) return { sections: headings, source: 'headings' };
  return { sections: evenSections(pages), source: 'pages' };
}
