// When each scene is spoken. The local voice knows (it speaks sentence by sentence); a D-ID video
// is one file for the whole script, so the scene changes are found from the pauses we asked the
// voice for between scenes (SSML breaks), located with ffmpeg's silence detection and checked
// against where the word counts say they should be. A pause that is missing or far from its
// estimate falls back to the estimate.
import type { Scene, Span, SpeechTiming } from '../job.js';
import { countWords } from '../script/limits.js';
import { sentencesOf, type Cue } from './captions.js';

/** The pause asked for between scenes (D-ID SSML break, local renderer silence). */
export const SCENE_PAUSE_SECONDS = 1.2;
/** A silence at least this long can be a scene pause (a sentence pause is ~0.3–0.7 s). */
export const MIN_SCENE_PAUSE_SECONDS = 0.8;
/** Quieter than this counts as silence (speech sits around -20 dBFS). */
export const SILENCE_NOISE_DB = -35;

export interface SceneTimeline {
  /** When each scene's picture comes up: 0 for the first, then the middle of each pause. */
  starts: number[];
  /** The speech of each scene (for captions). */
  speech: Span[];
  /** Sentences with their times, for captions. */
  sentences: Cue[];
  source: 'renderer' | 'pauses' | 'estimate';
}

/** Sentences of a speech span, each with a share of the time in proportion to its characters. */
function spreadSentences(text: string, span: Span, language: string): Cue[] {
  const parts = sentencesOf(text, language);
  const total = parts.reduce((n, p) => n + p.length, 0) || 1;
  let t = span.start;
  return parts.map((p) => {
    const d = ((span.end - span.start) * p.length) / total;
    const cue = { start: t, end: t + d, text: p };
    t += d;
    return cue;
  });
}

/** From the renderer's own timing (local voice): exact. */
export function timelineFromRenderer(timing: SpeechTiming, duration: number): SceneTimeline {
  const speech = timing.scenes;
  const starts = speech.map((s, i) => (i === 0 ? 0 : (speech[i - 1]!.end + s.start) / 2));
  return { starts: clampStarts(starts, duration), speech, sentences: timing.sentences, source: 'renderer' };
}

/**
 * From the pauses in the audio. Boundary k (before scene k) is expected where the words before
 * it end, at the speaking rate the whole video implies; the detected pause nearest to that, within
 * a tolerance and after the previous boundary, is taken.
 */
export function timelineFromPauses(
  scenes: readonly Scene[],
  language: string,
  duration: number,
  silences: ReadonlyArray<Span>,
  pause = SCENE_PAUSE_SECONDS,
): SceneTimeline {
  const n = scenes.length;
  const words = scenes.map((s) => Math.max(1, countWords(s.text, language)));
  const totalWords = words.reduce((a, b) => a + b, 0);
  const speechSeconds = Math.max(1, duration - (n - 1) * pause);
  // Pauses inside the video only: silence at the very start or end is not between scenes.
  const candidates = silences.filter(
    (s) => s.end - s.start >= MIN_SCENE_PAUSE_SECONDS && s.start > 0.2 && s.end < duration - 0.2,
  );
  const tolerance = Math.max(3, (0.35 * speechSeconds) / n);

  const gaps: Array<Span & { estimated: boolean }> = [];
  let after = 0;
  let cum = 0;
  for (let k = 1; k < n; k++) {
    cum += words[k - 1]!;
    const expected = (cum / totalWords) * speechSeconds + (k - 1) * pause + pause / 2;
    let best: Span | undefined;
    for (const s of candidates) {
      if (s.start < after) continue;
      const mid = (s.start + s.end) / 2;
      if (Math.abs(mid - expected) > tolerance) continue;
      if (!best || Math.abs(mid - expected) < Math.abs((best.start + best.end) / 2 - expected)) best = s;
    }
    const start = Math.max(after, expected - pause / 2);
    const gap = best ? { start: best.start, end: best.end, estimated: false } : { start, end: start + pause, estimated: true };
    gaps.push(gap);
    after = gap.end;
  }
  const speech: Span[] = scenes.map((_, i) => ({
    start: i === 0 ? 0 : gaps[i - 1]!.end,
    end: i === n - 1 ? duration : gaps[i]!.start,
  }));
  const starts = speech.map((_, i) => (i === 0 ? 0 : (gaps[i - 1]!.start + gaps[i - 1]!.end) / 2));
  const sentences = scenes.flatMap((s, i) => spreadSentences(s.text, speech[i]!, language));
  const allFound = gaps.every((g) => !g.estimated);
  return { starts: clampStarts(starts, duration), speech, sentences, source: n === 1 || allFound ? 'pauses' : 'estimate' };
}

function clampStarts(starts: number[], duration: number): number[] {
  let prev = 0;
  return starts.map((s, i) => {
    const v = i === 0 ? 0 : Math.min(Math.max(s, prev), duration);
    prev = v;
    return v;
  });
}
