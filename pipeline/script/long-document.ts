// A document longer than one LLM call: which parts get notes, how long the notes are, how many
// words of the script each part gets, and the opening the script starts from. Pure, no I/O.
import { createHash } from 'node:crypto';
import type { Section } from '../job.js';
import { capText } from '../pdf/text.js';

export interface LongDocumentSettings {
  /** Documents up to this many characters are written in one call (SCRIPT_SINGLE_CALL_CHARS). */
  singleCallChars: number;
  /** At most this many notes calls per job (MAX_NOTES_CALLS); the script call comes on top. */
  maxNotesCalls: number;
  /** Notes calls of one job at a time (NOTES_CONCURRENCY). */
  notesConcurrency: number;
}

export const DEFAULT_LONG_DOCUMENTS: LongDocumentSettings = { singleCallChars: 50_000, maxNotesCalls: 12, notesConcurrency: 3 };

/** One notes call: a section, or several small neighbouring ones, and its text. */
export interface NotesPart {
  section: Section;
  /** The pages' text with "[Page N]" markers, cut to fit one call. */
  text: string;
  /** Characters of the part's pages before any cut (its weight in the script). */
  chars: number;
}

/** Notes are at least / at most this long (words). */
const MIN_NOTES_WORDS = 60;
const MAX_NOTES_WORDS = 220;
/** A part of the script gets at least this many words (a sentence), however small its part. */
const MIN_SHARE_WORDS = 12;
const LEAD_MAX_CHARS = 2_500;
/** A part with less text than this shares its notes call with a neighbour. */
const MIN_PART_CHARS = 8_000;

export function documentChars(pageTexts: readonly string[]): number {
  return pageTexts.reduce((n, p) => n + p.length, 0);
}

function pagedText(pageTexts: readonly string[], first: number, last: number, maxChars: number): string {
  const pages: Array<{ page: number; text: string }> = [];
  for (let p = first; p <= last; p++) {
    const t = pageTexts[p - 1]?.trim();
    if (t) pages.push({ page: p, text: t });
  }
  const total = pages.reduce((n, p) => n + p.text.length, 0);
  // Too long for one call: every page keeps the same share of its text (its start), so the notes
  // still see the whole part rather than its first pages only.
  const ratio = total > maxChars ? maxChars / total : 1;
  return pages
    .map((p) => `[Page ${p.page}]\n${ratio < 1 ? capText(p.text, Math.floor(p.text.length * ratio)) : p.text}`)
    .join('\n\n');
}

/**
 * The notes calls for a document: its sections, neighbours merged (the smallest adjacent pair
 * first) until there are at most `maxParts`, each part's text cut to `maxCharsPerPart`.
 */
export function planNotesParts(
  sections: readonly Section[],
  pageTexts: readonly string[],
  opts: { maxParts: number; maxCharsPerPart: number },
): NotesPart[] {
  const charsOf = (s: Section) => {
    let n = 0;
    for (let p = s.firstPage; p <= s.lastPage; p++) n += pageTexts[p - 1]?.length ?? 0;
    return n;
  };
  let groups = sections
    .filter((s) => s.firstPage <= pageTexts.length)
    .map((s) => ({ titles: s.title ? [s.title] : [], firstPage: s.firstPage, lastPage: Math.min(s.lastPage, pageTexts.length) }))
    .map((g) => ({ ...g, chars: charsOf({ title: '', firstPage: g.firstPage, lastPage: g.lastPage }) }));
  // Sections without text (blank pages) join their neighbour.
  groups = groups.filter((g, i) => g.chars > 0 || groups.length === 1 || i === 0);
  // A section too long for one call is cut into even page runs, so that more of it is read
  // (the merging below joins runs again when there are more than maxParts).
  groups = groups.flatMap((g) => {
    const pages = g.lastPage - g.firstPage + 1;
    const k = Math.min(pages, Math.ceil(g.chars / opts.maxCharsPerPart));
    if (k <= 1) return [g];
    return Array.from({ length: k }, (_, j) => {
      const firstPage = g.firstPage + Math.floor((j * pages) / k);
      const lastPage = g.firstPage + Math.floor(((j + 1) * pages) / k) - 1;
      return { titles: j === 0 ? g.titles : [], firstPage, lastPage, chars: charsOf({ title: '', firstPage, lastPage }) };
    });
  });
  const max = Math.max(1, opts.maxParts);
  // Merge the smallest adjacent pair while there are too many parts, or while a part is too
  // small to be worth a call of its own (an index, a list of figures) and its pair still fits.
  const minChars = Math.min(MIN_PART_CHARS, opts.maxCharsPerPart / 4);
  for (;;) {
    if (groups.length <= 1) break;
    let best: number | undefined;
    if (groups.length > max) {
      best = 0;
      for (let i = 1; i < groups.length - 1; i++) {
        if (groups[i]!.chars + groups[i + 1]!.chars < groups[best]!.chars + groups[best + 1]!.chars) best = i;
      }
    } else {
      const small = groups
        .map((g, i) => ({ g, i }))
        .filter((x) => x.g.chars < minChars)
        .sort((a, b) => a.g.chars - b.g.chars);
      for (const { g, i } of small) {
        const fits = [i - 1, i + 1]
          .filter((n) => n >= 0 && n < groups.length && groups[n]!.chars + g.chars <= opts.maxCharsPerPart)
          .sort((a, b) => groups[a]!.chars - groups[b]!.chars);
        if (fits.length) {
          best = Math.min(i, fits[0]!);
          break;
        }
      }
      if (best === undefined) break;
    }
    const a = groups[best]!;
    const b = groups[best + 1]!;
    groups.splice(best, 2, {
      titles: [...a.titles, ...b.titles],
      firstPage: a.firstPage,
      lastPage: b.lastPage,
      chars: a.chars + b.chars,
    });
  }
  // The merged ranges must still cover every page: stretch each part to the next one's start.
  return groups.map((g, i) => {
    const lastPage = i + 1 < groups.length ? groups[i + 1]!.firstPage - 1 : Math.max(g.lastPage, pageTexts.length);
    const firstPage = i === 0 ? 1 : g.firstPage;
    const title = g.titles.length <= 2 ? g.titles.join('; ') : `${g.titles[0]}; ${g.titles[1]}; …`;
    return {
      section: { title, firstPage, lastPage },
      text: pagedText(pageTexts, firstPage, lastPage, opts.maxCharsPerPart),
      chars: g.chars,
    };
  });
}

/** Words of the script for each part, in proportion to its text, summing to about `targetWords`. */
export function wordShares(parts: ReadonlyArray<{ chars: number }>, targetWords: number): number[] {
  const total = parts.reduce((n, p) => n + p.chars, 0) || 1;
  return parts.map((p) => Math.max(MIN_SHARE_WORDS, Math.round((targetWords * p.chars) / total)));
}

/** How long a part's notes may be: a few times its share of the script, within bounds. */
export function notesWordsFor(shareWords: number): number {
  return Math.min(MAX_NOTES_WORDS, Math.max(MIN_NOTES_WORDS, shareWords * 3));
}

/** The abstract when one of the first three pages has it, else the first page with text. */
export function leadOf(pageTexts: readonly string[]): { page: number; text: string } | undefined {
  const first = pageTexts.slice(0, 3);
  const abstract = first.findIndex((t) =>
    /\b(abstract|summary|executive summary|zusammenfassung|résumé)\b|ملخص|الملخص/iu.test(t),
  );
  const index = abstract >= 0 ? abstract : pageTexts.findIndex((t) => t.trim().length > 0);
  if (index < 0) return undefined;
  return { page: index + 1, text: capText(pageTexts[index]!.trim(), LEAD_MAX_CHARS) };
}

/** The notes cache and checkpoint key: the same text, length, language and model give the same notes. */
export function notesKey(part: { text: string }, maxWords: number, language: string, model: string | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify({ text: part.text, maxWords, language, model: model ?? '' }))
    .digest('hex');
}
