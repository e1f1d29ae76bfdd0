// Which language a document is written in: franc's trigram statistics on a sample, and a guess
// from the writing system when the text is too short for statistics. Pure, no I/O.
import { francAll } from 'franc';

/** franc only sees this much (it cuts at 2048 itself; more costs time and adds nothing). */
const LANGUAGE_SAMPLE_CHARS = 5_000;
/**
 * Below this many characters franc's trigram statistics are noise (it tells English from Scots
 * or Arabic from Jawi Malay by a hair); a script-based guess is more honest.
 */
const FRANC_MIN_LENGTH = 150;

// --- language --------------------------------------------------------------------------------

/**
 * franc's ISO 639-3 codes -> ISO 639-1. Also the `only` list passed to franc: restricting it to
 * languages we can name keeps it from answering "sco" (Scots) for short English or "zlm" (Jawi
 * Malay) for Arabic. Order matters: earlier entries win near-ties (see LANGUAGE_NEAR_TIE).
 */
const ISO639_3_TO_1: Readonly<Record<string, string>> = {
  eng: 'en',
  arb: 'ar',
  deu: 'de',
  fra: 'fr',
  spa: 'es',
  ita: 'it',
  por: 'pt',
  nld: 'nl',
  rus: 'ru',
  tur: 'tr',
  pes: 'fa',
  prs: 'fa',
  heb: 'he',
  cmn: 'zh',
  jpn: 'ja',
  kor: 'ko',
  hin: 'hi',
  urd: 'ur',
  ben: 'bn',
  pol: 'pl',
  ukr: 'uk',
  ces: 'cs',
  slk: 'sk',
  slv: 'sl',
  hrv: 'hr',
  srp: 'sr',
  bos: 'bs',
  bul: 'bg',
  mkd: 'mk',
  bel: 'be',
  ron: 'ro',
  hun: 'hu',
  fin: 'fi',
  ekk: 'et',
  lvs: 'lv',
  lit: 'lt',
  swe: 'sv',
  dan: 'da',
  nob: 'nb',
  nno: 'nn',
  cat: 'ca',
  glg: 'gl',
  ell: 'el',
  ind: 'id',
  vie: 'vi',
  tha: 'th',
  tgl: 'tl',
  swh: 'sw',
  afr: 'af',
  als: 'sq',
  azj: 'az',
  kaz: 'kk',
  uzn: 'uz',
  kat: 'ka',
  hye: 'hy',
  amh: 'am',
  mar: 'mr',
  npi: 'ne',
  tam: 'ta',
  tel: 'te',
  kan: 'kn',
  mal: 'ml',
  guj: 'gu',
  pan: 'pa',
  sin: 'si',
  mya: 'my',
  khm: 'km',
  lao: 'lo',
  pbu: 'ps',
  ydd: 'yi',
  epo: 'eo',
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
const LANGUAGE_NEAR_TIE = 0.03;

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
