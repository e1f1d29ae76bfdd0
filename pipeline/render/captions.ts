// Captions: spoken sentences cut into a line or two at a time, as WebVTT (kept with the job) and as
// an ASS file that ffmpeg's libass burns in. ASS rather than SRT/VTT for the burn-in because only
// a real .ass fixes pixel sizes (PlayRes 1280x720), an opaque box behind the text (BorderStyle 3)
// and the base direction (Encoding -1: right-to-left paragraphs for Arabic; with SRT/VTT libass
// lays Arabic out left-to-right and the full stop lands on the wrong side).
import type { Span } from '../job.js';
import { isRightToLeft } from './layout.js';

export interface Cue extends Span {
  text: string;
}

/** Characters per cue at most: two lines of the caption font across the frame. */
const CUE_MAX_CHARS = 84;

function segmenter(language: string, granularity: 'word' | 'sentence'): Intl.Segmenter {
  try {
    return new Intl.Segmenter(language, { granularity });
  } catch {
    return new Intl.Segmenter('en', { granularity });
  }
}

/** The sentences of a scene's text. */
export function sentencesOf(text: string, language: string): string[] {
  return [...segmenter(language, 'sentence').segment(text.replace(/\s+/g, ' ').trim())]
    .map((s) => s.segment.trim())
    .filter(Boolean);
}

/** `text` cut at word boundaries into pieces of at most `max` characters (a longer word stays whole). */
function chunkText(text: string, language: string, max = CUE_MAX_CHARS): string[] {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t ? [t] : [];
  // Even pieces read better than a full line followed by a stub.
  const pieces = Math.ceil(t.length / max);
  const target = t.length / pieces;
  const out: string[] = [];
  let start = 0;
  let lastBreak = -1;
  for (const { index, isWordLike } of segmenter(language, 'word').segment(t)) {
    if (!isWordLike || index === 0) continue;
    if (index - start >= target && lastBreak > start) {
      const cut = index - start > max ? lastBreak : index;
      out.push(t.slice(start, cut).trim());
      start = cut;
    }
    lastBreak = index;
  }
  const rest = t.slice(start).trim();
  if (rest) out.push(rest);
  return out.filter(Boolean);
}

/** Sentences with times -> caption cues, each piece's time in proportion to its characters. */
export function captionCues(sentences: readonly Cue[], language: string, max = CUE_MAX_CHARS): Cue[] {
  const cues: Cue[] = [];
  for (const s of sentences) {
    const pieces = chunkText(s.text, language, max);
    const total = pieces.reduce((n, p) => n + p.length, 0);
    let t = s.start;
    for (const p of pieces) {
      const d = ((s.end - s.start) * p.length) / total;
      cues.push({ start: t, end: t + d, text: p });
      t += d;
    }
  }
  return cues;
}

function vttTime(t: number): string {
  const ms = Math.max(0, Math.round(t * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** A WebVTT file: UTF-8, "WEBVTT" header, one cue per piece, & < > escaped, no "-->" in text. */
export function toWebVtt(cues: readonly Cue[], language: string): string {
  const lines = ['WEBVTT', `Language: ${language}`, ''];
  cues.forEach((c, i) => {
    const text = c.text.replace(/-->/g, '→').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    lines.push(String(i + 1), `${vttTime(c.start)} --> ${vttTime(c.end)}`, text, '');
  });
  return lines.join('\n');
}

function assTime(t: number): string {
  const cs = Math.max(0, Math.round(t * 100));
  const h = Math.floor(cs / 360_000);
  const m = Math.floor((cs % 360_000) / 6000);
  const s = Math.floor((cs % 6000) / 100);
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`;
}

/** Text for an ASS Dialogue line: no override blocks, no escapes, one paragraph. */
function assText(s: string): string {
  return s.replace(/\\/g, '∖').replace(/\{/g, '(').replace(/\}/g, ')').replace(/\s+/g, ' ').trim();
}

/** Font family for captions: libass asks fontconfig, which falls back per character for mixed scripts. */
function captionFont(language: string): string {
  const lang = language.toLowerCase().split(/[-_]/)[0]!;
  if (['ar', 'fa', 'ur', 'ps'].includes(lang)) return 'Noto Sans Arabic';
  if (lang === 'he') return 'Noto Sans Hebrew';
  if (['zh', 'ja', 'ko'].includes(lang)) return 'Noto Sans CJK SC';
  return 'Noto Sans';
}

export interface AssOptions {
  width: number;
  height: number;
  language: string;
  /** Burned-in captions (the `captions` option); cards are drawn either way. */
  cues: readonly Cue[];
  /** Title text shown on card frames (scenes without a page): centred in `cardArea`. */
  cards: readonly Cue[];
  cardArea: { x: number; w: number };
  captionMarginV: number;
}

// Colours are &HAABBGGRR (alpha 00 = opaque).
const WHITE = '&H00FFFFFF';
const BOX = '&H38101820';
const INK = '&H003B291E'; // #1e293b, the slate of the background's family

/** An ASS script: a caption style (white on a dark box, bottom centre) and a card style (large, centred). */
export function toAss(o: AssOptions): string {
  const font = captionFont(o.language);
  // Encoding -1: libass picks the base direction per paragraph (right-to-left for Arabic).
  const encoding = isRightToLeft(o.language) ? -1 : 1;
  const cardL = o.cardArea.x;
  const cardR = o.width - (o.cardArea.x + o.cardArea.w);
  const style = (
    name: string,
    size: number,
    primary: string,
    outlineColour: string,
    back: string,
    border: number,
    outline: number,
    align: number,
    l: number,
    r: number,
    v: number,
  ) =>
    `Style: ${name},${font},${size},${primary},${primary},${outlineColour},${back},0,0,0,0,100,100,0,0,${border},${outline},0,${align},${l},${r},${v},${encoding}`;
  const lines = [
    '[Script Info]',
    'ScriptType: v4.00+',
    `PlayResX: ${o.width}`,
    `PlayResY: ${o.height}`,
    'WrapStyle: 0',
    'ScaledBorderAndShadow: yes',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    // BorderStyle 3: an opaque box (OutlineColour) padded by Outline pixels behind each line.
    style('Caption', 34, WHITE, BOX, BOX, 3, 9, 2, 48, 48, o.captionMarginV),
    style('Card', 54, INK, WHITE, WHITE, 1, 0, 5, cardL + 24, cardR + 24, 0),
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
  ];
  for (const c of o.cards) lines.push(`Dialogue: 0,${assTime(c.start)},${assTime(c.end)},Card,,0,0,0,,${assText(c.text)}`);
  for (const c of o.cues) lines.push(`Dialogue: 1,${assTime(c.start)},${assTime(c.end)},Caption,,0,0,0,,${assText(c.text)}`);
  return `${lines.join('\n')}\n`;
}
