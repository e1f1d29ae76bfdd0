// Scenes: the script as a list of one-to-a-few-sentence pieces, each with the PDF pages it talks
// about, so the video can show the page while it is spoken. Writers that give scenes have them
// checked here; plain text (a model that ignored the JSON schema, an old cache entry) is cut
// into scenes by paragraph and each paragraph's page is guessed from the words it shares with
// the pages.
import type { Scene } from '../job.js';
import { cleanScript } from './clean.js';

/** A scene never names more pages than this (a frame shows one page; a few allow a sequence). */
const MAX_PAGES_PER_SCENE = 3;

const segmenters = new Map<string, Intl.Segmenter>();
function words(text: string, language: string): string[] {
  let seg = segmenters.get(language);
  if (!seg) {
    try {
      seg = new Intl.Segmenter(language, { granularity: 'word' });
    } catch {
      seg = new Intl.Segmenter('en', { granularity: 'word' });
    }
    segmenters.set(language, seg);
  }
  const cjk = /^(zh|ja|ko|th)/.test(language);
  const out: string[] = [];
  for (const s of seg.segment(text)) {
    if (!s.isWordLike) continue;
    const w = s.segment.toLocaleLowerCase(language);
    // Short words are mostly function words ("the", "في") and say nothing about a page.
    if (!cjk && [...w].length < 4) continue;
    out.push(w);
  }
  return out;
}

/** Index of page terms: which pages hold each term, for overlap guesses. */
export interface PageIndex {
  pages: number;
  termPages: Map<string, Set<number>>;
}

export function indexPages(pageTexts: readonly string[], language: string): PageIndex {
  const termPages = new Map<string, Set<number>>();
  pageTexts.forEach((text, i) => {
    for (const w of new Set(words(text, language))) {
      let set = termPages.get(w);
      if (!set) termPages.set(w, (set = new Set()));
      set.add(i + 1);
    }
  });
  return { pages: pageTexts.length, termPages };
}

/**
 * The page whose words a passage shares most, weighting rare terms up (a word on every page says
 * nothing about which page); undefined when it shares none.
 */
export function guessPage(passage: string, index: PageIndex, language: string): number | undefined {
  const score = new Map<number, number>();
  for (const w of new Set(words(passage, language))) {
    const pages = index.termPages.get(w);
    if (!pages) continue;
    const weight = 1 / pages.size;
    for (const p of pages) score.set(p, (score.get(p) ?? 0) + weight);
  }
  let best: number | undefined;
  let bestScore = 0;
  for (const [p, s] of score) {
    if (s > bestScore || (s === bestScore && best !== undefined && p < best)) {
      best = p;
      bestScore = s;
    }
  }
  return best;
}

/** Plain script -> scenes: one per paragraph, pages guessed (a paragraph sharing no words keeps the page before it). */
export function scenesFromText(text: string, pageTexts: readonly string[] | undefined, language: string): Scene[] {
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .filter(Boolean);
  const index = pageTexts?.length ? indexPages(pageTexts, language) : undefined;
  let last: number | undefined;
  return paragraphs.map((p) => {
    const page = index ? (guessPage(p, index, language) ?? last) : undefined;
    if (page !== undefined) last = page;
    return { text: p, pages: page !== undefined ? [page] : [] };
  });
}

/**
 * Scenes as a writer gave them, made safe: text cleaned like a plain script (markdown, stage
 * directions), empty scenes dropped, pages kept only when they exist in the document, at most
 * MAX_PAGES_PER_SCENE, in order, without repeats. A scene without pages shows the title card.
 */
export function checkScenes(scenes: readonly Scene[], pageCount: number): Scene[] {
  const out: Scene[] = [];
  for (const s of scenes) {
    const text = cleanScript(s.text)
      .replace(/\s*\n\s*/g, ' ')
      .trim();
    if (!text) continue;
    const pages = [...new Set(s.pages.filter((p) => Number.isInteger(p) && p >= 1 && p <= pageCount))].slice(
      0,
      MAX_PAGES_PER_SCENE,
    );
    out.push({ text, pages });
  }
  return out;
}

/** The script text of scenes: one paragraph each (a paragraph break is a natural pause for the voice). */
export function scriptText(scenes: readonly Scene[]): string {
  return scenes.map((s) => s.text).join('\n\n');
}

/** True when `v` has the shape of a Scene list (cache entries, model answers). */
export function isSceneList(v: unknown): v is Scene[] {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.every(
      (s) =>
        !!s &&
        typeof s === 'object' &&
        typeof (s as Scene).text === 'string' &&
        Array.isArray((s as Scene).pages) &&
        (s as Scene).pages.every((p) => typeof p === 'number'),
    )
  );
}
