// Offline script writer: an extractive presenter script made of the document's own most
// informative sentences. No network, no cost, deterministic (same input -> same output), and
// always inside the word range it is asked for, so the pipeline works without an API key.
import type { Scene } from '../job.js';
import { countWords } from '../script/limits.js';
import { scenesFromText, scriptText } from '../script/scenes.js';
import type { ScriptDraft, ScriptRequest, ScriptWriter } from '../ports.js';

interface Phrases {
  opening: (title: string) => string;
  closing: (title: string) => string;
  summary: string;
  untitled: string;
}

const PHRASES: Record<string, Phrases> = {
  en: {
    opening: (t) => `Hello! Today we take a short look at "${t}".`,
    closing: (t) => `That was a brief overview of "${t}". Thank you for watching.`,
    summary: 'To sum up the key points:',
    untitled: 'this document',
  },
  ar: {
    opening: (t) => `مرحباً بكم! نلقي اليوم نظرة سريعة على «${t}».`,
    closing: (t) => `كانت هذه لمحة موجزة عن «${t}». شكراً لحسن متابعتكم.`,
    summary: 'وخلاصة القول:',
    untitled: 'هذا المستند',
  },
  de: {
    opening: (t) => `Hallo! Heute werfen wir einen kurzen Blick auf „${t}“.`,
    closing: (t) => `Das war ein kurzer Überblick über „${t}“. Vielen Dank fürs Zuschauen.`,
    summary: 'Die wichtigsten Punkte noch einmal zusammengefasst:',
    untitled: 'dieses Dokument',
  },
  fr: {
    opening: (t) => `Bonjour ! Aujourd'hui, nous jetons un bref regard sur « ${t} ».`,
    closing: (t) => `C'était un bref aperçu de « ${t} ». Merci de votre attention.`,
    summary: 'Pour résumer les points essentiels :',
    untitled: 'ce document',
  },
  es: {
    opening: (t) => `¡Hola! Hoy echamos un breve vistazo a «${t}».`,
    closing: (t) => `Este fue un breve resumen de «${t}». Gracias por su atención.`,
    summary: 'En resumen, los puntos clave son:',
    untitled: 'este documento',
  },
};

const TERMINATORS = '.!?؟۔。！？';
// Full stops that end a sentence even without a following space (CJK, Urdu).
const HARD_TERMINATORS = '。！？۔';
const CLOSERS = `"'”’»)]」』`;
// Words after which a "." is not the end of a sentence.
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'st',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'fig',
  'figs',
  'no',
  'nr',
  'vol',
  'pp',
  'p',
  'inc',
  'ltd',
  'co',
  'jr',
  'sr',
  'al',
  'approx',
  'ca',
  'cf',
  'eq',
  'sec',
  'ch',
  'z.b',
  'bzw',
  'usw',
  'vgl',
  'ggf',
  'mme',
  'mlle',
  'sra',
  'sr',
  'dra',
  'etc',
]);

/** Joins PDF lines into blocks: paragraphs, with short unpunctuated lines kept apart as headings. */
function blocksOf(text: string): string[] {
  const lines = text
    .replace(/\u00ad/g, '')
    .replace(/\r\n?/g, '\n')
    // Words split across lines by hyphenation: "informa-\ntion" -> "information".
    .replace(/(\p{Ll})-\n(\p{Ll})/gu, '$1$2')
    .split('\n');
  const blocks: string[] = [];
  let cur = '';
  const flush = () => {
    if (cur.trim()) blocks.push(cur.trim());
    cur = '';
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\s+/g, ' ').trim();
    if (!line) {
      flush();
      continue;
    }
    const next = (lines[i + 1] ?? '').trim();
    const atSentenceStart = cur === '' || TERMINATORS.includes(cur.trimEnd().slice(-1));
    const looksLikeHeading =
      atSentenceStart && line.split(' ').length <= 8 && !/[.,;:!?؟،؛。]$/.test(line) && !/^\p{Ll}/u.test(next);
    if (looksLikeHeading) {
      flush();
      blocks.push(line);
      continue;
    }
    cur += (cur ? ' ' : '') + line;
  }
  flush();
  return blocks;
}

/** Sentence splitting for Latin, Arabic ('؟' '۔' '.') and CJK ('。' without a following space). */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const block of blocksOf(text)) {
    let start = 0;
    for (let i = 0; i < block.length; i++) {
      const ch = block[i]!;
      if (!TERMINATORS.includes(ch)) continue;
      let end = i + 1;
      while (end < block.length && (TERMINATORS.includes(block[end]!) || CLOSERS.includes(block[end]!))) end++;
      const atEnd = end >= block.length;
      const spaceAfter = atEnd || /\s/.test(block[end]!);
      if (!HARD_TERMINATORS.includes(ch) && !spaceAfter) continue; // 3.5, example.com, U.S.A
      if (ch === '.' && end === i + 1) {
        const word = /([\p{L}.]+)$/u.exec(block.slice(start, i))?.[1]?.toLowerCase() ?? '';
        // Initials ("J. Smith") and known abbreviations do not end a sentence.
        if (ABBREVIATIONS.has(word) || /^\p{L}$/u.test(word)) continue;
      }
      out.push(block.slice(start, end).trim());
      start = end;
      i = end - 1;
    }
    const rest = block.slice(start).trim();
    if (rest) out.push(rest);
  }
  return out
    .map((s) =>
      s
        .replace(/https?:\/\/\S+/g, '')
        .replace(/\[\d+(?:[,–-]\s*\d+)*\]/g, '') // citation markers [3], [4-6]
        .replace(/\s+/g, ' ')
        .replace(/\s+([.,;:!?؟،])/g, '$1')
        .trim(),
    )
    .filter((s) => s.length > 0);
}

const segmenters = new Map<string, Intl.Segmenter>();
function terms(sentence: string, language: string): string[] {
  let seg = segmenters.get(language);
  if (!seg) {
    seg = new Intl.Segmenter(language, { granularity: 'word' });
    segmenters.set(language, seg);
  }
  const cjk = /^(zh|ja|ko|th)$/.test(language);
  const out: string[] = [];
  for (const s of seg.segment(sentence)) {
    if (!s.isWordLike) continue;
    const t = s.segment.toLocaleLowerCase(language);
    // Very short words are mostly function words ("of", "في"); numbers say little on their own.
    if ((!cjk && [...t].length < 3) || /^\d+$/.test(t)) continue;
    out.push(t);
  }
  return out;
}

interface Sentence {
  index: number;
  text: string;
  words: number;
  score: number;
  /** 1-based page it was read from; undefined when the page texts are unknown. */
  page?: number;
}

/** Sentences with the page they were read from (whole text, unpaged, when page texts are unknown). */
function pagedSentences(request: ScriptRequest): Array<{ text: string; page?: number }> {
  if (!request.pageTexts?.length) return splitSentences(request.text).map((text) => ({ text }));
  return request.pageTexts.flatMap((t, i) => splitSentences(t).map((text) => ({ text, page: i + 1 })));
}

/** Scores sentences by the TF-IDF weight of their distinct terms, length-normalised. */
function rank(paged: Array<{ text: string; page?: number }>, language: string, title: string): Sentence[] {
  const sentences = paged.map((p) => p.text);
  const termLists = sentences.map((s) => terms(s, language));
  const df = new Map<string, number>();
  const tf = new Map<string, number>();
  for (const list of termLists) {
    for (const t of list) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const t of new Set(list)) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const n = sentences.length;
  const titleTerms = new Set(terms(title, language));
  return sentences.map((text, index) => {
    const distinct = new Set(termLists[index]);
    let sum = 0;
    for (const t of distinct) {
      const idf = Math.log((n + 1) / (df.get(t) ?? 1));
      let w = (1 + Math.log(tf.get(t) ?? 1)) * idf;
      if (titleTerms.has(t)) w *= 1.5;
      sum += w;
    }
    // The opening sentences of a document usually state what it is about.
    const position = index < 3 ? 1.15 : 1;
    const score = (sum / Math.sqrt(Math.max(1, termLists[index]!.length))) * position;
    const page = paged[index]!.page;
    return { index, text, words: countWords(text, language), score, ...(page !== undefined ? { page } : {}) };
  });
}

/** The first `n` words of `text` (by the same segmentation countWords uses), ended with a stop. */
function truncateWords(text: string, n: number, language: string): string {
  const seg = new Intl.Segmenter(language, { granularity: 'word' });
  let count = 0;
  let end = 0;
  for (const s of seg.segment(text)) {
    if (s.isWordLike) {
      if (count === n) break;
      count++;
    }
    end = s.index + s.segment.length;
  }
  const cut = text
    .slice(0, end)
    .trim()
    .replace(/[,;:،؛\s]+$/, '');
  if (!cut) return '';
  return TERMINATORS.includes(cut.slice(-1)) ? cut : `${cut}${/^(zh|ja)$/.test(language) ? '。' : '.'}`;
}

function shortTitle(title: string, fallback: string): string {
  const t = title
    .replace(/\s+/g, ' ')
    .replace(/["«»“”„]/g, '')
    .trim();
  if (!t) return fallback;
  const words = t.split(' ');
  return words.length > 16 ? `${words.slice(0, 16).join(' ')}…` : t;
}

/** Sentences per scene: a page stays on screen for a few sentences, not a whole minute. */
const SENTENCES_PER_SCENE = 3;

/** Consecutive sentences of the same page grouped into scenes of up to SENTENCES_PER_SCENE. */
function groupScenes(sentences: readonly Sentence[], joiner: string): Scene[] {
  const scenes: Array<Scene & { n: number; page: number | undefined }> = [];
  for (const s of sentences) {
    const last = scenes[scenes.length - 1];
    if (last && last.n < SENTENCES_PER_SCENE && last.page === s.page) {
      last.text += joiner + s.text;
      last.n++;
    } else {
      scenes.push({ text: s.text, pages: s.page !== undefined ? [s.page] : [], n: 1, page: s.page });
    }
  }
  return scenes.map(({ text, pages }) => ({ text, pages }));
}

/** Page ranges the picks are spread over: the sections when there are several, else thirds. */
function partsOf(request: ScriptRequest): Array<{ first: number; last: number }> {
  const pages = request.pageTexts?.length ?? 0;
  if (pages === 0) return [{ first: 0, last: Number.MAX_SAFE_INTEGER }];
  const sections = (request.sections ?? []).filter((s) => s.firstPage <= pages);
  if (sections.length >= 2) return sections.map((s) => ({ first: s.firstPage, last: Math.min(s.lastPage, pages) }));
  if (pages < 3) return [{ first: 1, last: pages }];
  const third = (k: number) => Math.floor((k * pages) / 3);
  return [0, 1, 2].map((k) => ({ first: third(k) + 1, last: third(k + 1) }));
}

/**
 * The best sentences of each part, each part getting a share of `budget` in proportion to its
 * text (and at least its best sentence), then the best of the rest until `budget`. Without parts
 * the picks would crowd where the most distinctive sentences are, often the first pages.
 */
function pickAcrossParts(
  byScore: readonly Sentence[],
  parts: ReadonlyArray<{ first: number; last: number }>,
  budget: number,
  bodyMax: number,
): { chosen: Sentence[]; words: number } {
  const partOf = (s: Sentence) => (s.page === undefined ? 0 : parts.findIndex((p) => s.page! >= p.first && s.page! <= p.last));
  const weight = parts.map(() => 0);
  for (const s of byScore) {
    const i = partOf(s);
    if (i >= 0) weight[i]! += s.words;
  }
  const total = weight.reduce((a, b) => a + b, 0) || 1;
  const share = weight.map((w) => (budget * w) / total);
  const used = parts.map(() => 0);
  const chosen: Sentence[] = [];
  const taken = new Set<Sentence>();
  let words = 0;
  for (const s of byScore) {
    const i = partOf(s);
    if (i < 0 || words + s.words > bodyMax) continue;
    // A part with nothing yet takes its best sentence; otherwise it stays within its share.
    if (used[i]! > 0 && (used[i]! + s.words > share[i]! || words >= budget)) continue;
    chosen.push(s);
    taken.add(s);
    used[i]! += s.words;
    words += s.words;
  }
  for (const s of byScore) {
    if (words >= budget) break;
    if (taken.has(s) || words + s.words > bodyMax) continue;
    chosen.push(s);
    words += s.words;
  }
  return { chosen, words };
}

export function writeLocalScript(request: ScriptRequest): string {
  return scriptText(writeLocalScenes(request));
}

/**
 * The extractive script as scenes: the opening on the first page (the title), the picked
 * sentences grouped by the page they were read from, a summary (when the document is short) on
 * the pages of its sentences, and the closing on no page (a closing card).
 */
function writeLocalScenes(request: ScriptRequest): Scene[] {
  const language = request.language;
  const phrases = PHRASES[language] ?? PHRASES[language.split('-')[0]!] ?? PHRASES.en!;
  const wc = (s: string) => countWords(s, language);
  const title = shortTitle(request.title, phrases.untitled);
  const opening = phrases.opening(title);
  const closing = phrases.closing(title);
  const frame = wc(opening) + wc(closing);
  const { minWords, maxWords } = request;
  const target = Math.min(maxWords, Math.max(minWords, request.targetWords));

  const ranked = rank(pagedSentences(request), language, request.title);
  // Candidates: real sentences of speakable length. Fragments (headings, captions, page numbers)
  // and run-on blocks (tables, reference lists) make poor narration.
  let candidates = ranked.filter((s) => s.words >= 4 && s.words <= 70 && TERMINATORS.includes(s.text.slice(-1)));
  if (candidates.length === 0) candidates = ranked.filter((s) => s.words >= 3 && s.words <= 70);
  if (candidates.length === 0) {
    // No usable sentences (text without punctuation): cut the text into 20-word pieces.
    const pieces: string[] = [];
    let rest = request.text.replace(/\s+/g, ' ').trim();
    while (rest && pieces.length < 200) {
      const piece = truncateWords(rest, 20, language);
      if (!piece) break;
      pieces.push(piece);
      const used = piece.replace(/[.。]$/, '');
      rest = rest.slice(rest.indexOf(used) + used.length).replace(/^[\s.,;:]+/, '');
    }
    candidates = pieces.map((text, index) => ({ index, text, words: wc(text), score: 0 }));
  }
  const byScore = [...candidates].sort((a, b) => b.score - a.score || a.index - b.index);

  // Most informative sentences of each part of the document, until the target; then spoken in
  // document order.
  const bodyMax = maxWords - frame;
  const picked = pickAcrossParts(byScore, partsOf(request), target - frame, bodyMax);
  const chosen = picked.chosen;
  let words = picked.words;
  chosen.sort((a, b) => a.index - b.index);
  // Chinese and Japanese are written without spaces between sentences.
  const joiner = /^(zh|ja)/.test(language) ? '' : ' ';
  const scenes: Scene[] = [{ text: opening, pages: request.pageTexts?.length ? [1] : [] }, ...groupScenes(chosen, joiner)];

  // A short document: repeat its key sentences as a summary until the minimum is reached.
  if (frame + words < minWords) {
    const summary: string[] = [phrases.summary];
    const summaryPages = new Set<number>();
    words += wc(phrases.summary);
    const pool = byScore.length ? byScore : [{ index: 0, text: closing, words: wc(closing), score: 0 }];
    for (let i = 0; frame + words < minWords && i < 10_000; i++) {
      const s = pool[i % pool.length]!;
      const room = bodyMax - words;
      if (room <= 0) break;
      const text = s.words <= room ? s.text : truncateWords(s.text, room, language);
      const w = wc(text);
      if (w === 0) break;
      summary.push(text);
      if ('page' in s && s.page !== undefined) summaryPages.add(s.page);
      words += w;
    }
    scenes.push({ text: summary.join(joiner), pages: [...summaryPages].slice(0, 3) });
  }
  scenes.push({ text: closing, pages: [] });
  const kept = scenes.filter((s) => s.text.trim());

  // Safety net: segmentation of the joined text can differ by a word or two from the sum of parts.
  // Rare; the cut text is then re-split into scenes with pages guessed from its words.
  let script = scriptText(kept);
  if (wc(script) <= maxWords && wc(script) >= minWords) return kept;
  if (wc(script) > maxWords) script = truncateWords(script, maxWords, language);
  for (let i = 0; wc(script) < minWords && i < 1000; i++) script += `\n\n${closing}`;
  if (wc(script) > maxWords) script = truncateWords(script, maxWords, language);
  return scenesFromText(script, request.pageTexts, language);
}

export function createLocalScriptWriter(): ScriptWriter {
  return {
    name: 'local',
    model: 'extractive-v1',
    async write(request: ScriptRequest): Promise<ScriptDraft> {
      const scenes = writeLocalScenes(request);
      return { text: scriptText(scenes), scenes, model: 'extractive-v1', costUsd: 0 };
    },
  };
}
