// How long a presenter script may be, per language. Speaking rates are words per minute for a
// calm presenter voice; word limits follow from the 20–180 s duration window.

const MIN_SECONDS = 20;
const MAX_SECONDS = 180;

export interface LanguageLimits {
  /** Words per minute a presenter voice speaks in this language. */
  wordsPerMinute: number;
  minWords: number;
  maxWords: number;
}

// Arabic words carry clitics (و، ال، ب...) so there are fewer, longer words per minute.
const RATES: Record<string, number> = {
  en: 150,
  ar: 120,
  de: 130,
  fr: 150,
  es: 160,
  it: 150,
  pt: 150,
  nl: 140,
  ru: 130,
  tr: 130,
  fa: 120,
  he: 120,
  hi: 140,
  // Counted as Intl.Segmenter words (roughly characters or short compounds).
  zh: 260,
  ja: 260,
  ko: 180,
};

const DEFAULT_RATE = 140;

export function limitsFor(language: string): LanguageLimits {
  const wordsPerMinute = RATES[language] ?? DEFAULT_RATE;
  // English: 50–400 and Arabic: 40–320 as specified; others derived from their rate.
  const minWords = Math.round((wordsPerMinute * MIN_SECONDS) / 60);
  const maxWords = Math.round((wordsPerMinute * 160) / 60);
  return { wordsPerMinute, minWords, maxWords };
}

const segmenters = new Map<string, Intl.Segmenter>();

/**
 * Words a listener would count. Uses Intl.Segmenter so scripts written without spaces (Chinese,
 * Japanese, Thai) are split into words instead of counting as one; punctuation is not a word.
 */
export function countWords(text: string, language = 'en'): number {
  let seg = segmenters.get(language);
  if (!seg) {
    seg = new Intl.Segmenter(language, { granularity: 'word' });
    segmenters.set(language, seg);
  }
  let n = 0;
  for (const s of seg.segment(text)) if (s.isWordLike) n++;
  return n;
}

export function estimateSeconds(words: number, language: string): number {
  return Math.round((words / limitsFor(language).wordsPerMinute) * 60);
}

/** Why a script is out of range, or undefined when it is fine. */
export function checkScript(text: string, language: string): { words: number; seconds: number; problem?: string } {
  const words = countWords(text, language);
  const seconds = estimateSeconds(words, language);
  const { minWords, maxWords } = limitsFor(language);
  let problem: string | undefined;
  if (words < minWords) problem = `too short: ${words} words, at least ${minWords} needed (about ${MIN_SECONDS} s)`;
  else if (words > maxWords || seconds > MAX_SECONDS)
    problem = `too long: ${words} words, at most ${maxWords} allowed (about ${MAX_SECONDS} s)`;
  return { words, seconds, ...(problem ? { problem } : {}) };
}
