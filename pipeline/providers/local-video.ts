// Offline video provider: no keys, no network, no cost. The script is spoken by espeak-ng in its
// language, one slide per sentence, and ffmpeg encodes the slides and the speech into an MP4
// (H.264 + AAC). Rendering is synchronous: create() returns once the file is in workDir, so
// status() only has to look at the disk.
//
// Slides are drawn with ffmpeg's drawtext. Debian's ffmpeg is built with libfribidi, and drawtext
// then reorders right-to-left text and joins Arabic letters into their contextual forms
// (text_shaping, on by default), which DejaVu Sans has glyphs for; so Arabic is readable without
// another rendering route (pango/ImageMagick). A build without fribidi is reported in the log.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JobError } from '../../src/errors.js';
import {
  checkTools,
  findFont,
  FONT_PACKAGE,
  MissingToolError,
  TOOL_PACKAGES,
  type ToolName,
} from './tools.js';
import { countWords, estimateSeconds } from '../script/limits.js';
import {
  ResultUrlExpiredError,
  type CallContext,
  type RenderRequest,
  type RenderStatus,
  type VideoRenderer,
} from '../ports.js';

export interface LocalRendererOptions {
  /** Where finished MP4s (and their small JSON sidecars) live. Created when missing. */
  workDir: string;
  ffmpegPath?: string;
  espeakPath?: string;
  ffprobePath?: string;
  /** Frame size; the smaller one encodes about twice as fast. Default 854x480. */
  resolution?: '854x480' | '1280x720';
  /** Kill ffmpeg after this long. Default: 2 min + 2 s per second of video. */
  timeoutMs?: number;
  /** A TrueType/OpenType font for the slides; default: DejaVu Sans (or Noto for CJK/Indic). */
  fontFile?: string;
}

/** What the renderer records next to each MP4 (`<id>.json`). */
export interface LocalRenderMeta {
  id: string;
  jobId: string;
  language: string;
  /** The espeak-ng voice that spoke the script. */
  voice: string;
  /** espeak-ng words per minute (-s) after calibration. */
  speed: number;
  slides: number;
  durationSeconds: number;
  width: number;
  height: number;
  createdAt: number;
}

// ISO 639-1 -> espeak-ng voice. Languages not listed are tried as-is; unknown ones fall back to en.
const VOICES: Record<string, string> = { en: 'en-us', ar: 'ar', zh: 'cmn', pt: 'pt', fr: 'fr', fa: 'fa' };
const FALLBACK_VOICE = 'en';

// espeak-ng -s speeds measured so that a ~100-word script lasts what limits.ts predicts
// (en 99 words at 150 -> 40.0 s for 40 s; ar 84 words at 185 -> 43 s for 42 s). espeak's Arabic is
// slow per word, hence the high value. Other languages start at 150 and are calibrated.
const SPEEDS: Record<string, number> = { en: 150, ar: 185 };
const DEFAULT_SPEED = 150;
// If the spoken length is off the estimate by more than this, speak again at a corrected speed
// (espeak takes milliseconds, so the second pass is free) — within bounds that still sound natural.
const CALIBRATE_ABOVE = 0.08;
const SPEED_MIN_FACTOR = 0.75;
const SPEED_MAX_FACTOR = 1.4;

const TITLE_SECONDS = 1.5;
const FPS = 25;
const BG = '0x1e293b';
const ACCENT = '0x38bdf8';
// Layout at 480 lines; scaled for 720.
const BODY_SIZE = 30;
const TITLE_SIZE = 42;
const MARGIN_X = 48;
// Average advance of DejaVu Sans is ~0.5 em for Latin and Arabic; 0.56 leaves slack.
const EM_PER_COLUMN = 0.56;
const LINES_PER_SLIDE = 4;

// ISO 639-1 -> 639-2 for the MP4 audio track's language tag.
const ISO639_2: Record<string, string> = {
  en: 'eng', ar: 'ara', de: 'ger', fr: 'fre', es: 'spa', it: 'ita', pt: 'por', nl: 'dut', ru: 'rus',
  tr: 'tur', fa: 'per', he: 'heb', hi: 'hin', zh: 'chi', ja: 'jpn', ko: 'kor', pl: 'pol', uk: 'ukr',
};

const ID_RE = /^local_[0-9a-f]{20}$/;
const STALE_TEMP_MS = 6 * 3600_000;

export function createLocalRenderer(opts: LocalRendererOptions): VideoRenderer {
  const workDir = resolve(opts.workDir);
  const bins: Record<ToolName, string> = {
    ffmpeg: opts.ffmpegPath ?? 'ffmpeg',
    ffprobe: opts.ffprobePath ?? 'ffprobe',
    'espeak-ng': opts.espeakPath ?? 'espeak-ng',
  };
  const [width, height] = (opts.resolution ?? '854x480').split('x').map(Number) as [number, number];
  const scale = height / 480;

  let toolsChecked = false;
  let voices: Set<string> | undefined;
  let canShape: boolean | undefined;

  const mp4Path = (id: string) => join(workDir, `${id}.mp4`);
  const metaPath = (id: string) => join(workDir, `${id}.json`);
  const jobPath = (jobId: string) => join(workDir, `job_${sha256(jobId).slice(0, 32)}.json`);

  function ensureTools(): void {
    if (toolsChecked) return;
    const { missing } = checkTools(['ffmpeg', 'ffprobe', 'espeak-ng'], bins);
    if (missing.length > 0) {
      const m = missing[0]!;
      throw toolError(new MissingToolError(m.tool, m.debianPackage));
    }
    toolsChecked = true;
  }

  async function availableVoices(ctx: CallContext): Promise<Set<string>> {
    if (voices) return voices;
    const { stdout } = await run('espeak-ng', bins['espeak-ng'], ['--voices'], { timeoutMs: 15_000, ctx });
    const set = new Set<string>();
    for (const line of stdout.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]) set.add(cols[1].toLowerCase());
      if (cols[4]) set.add(cols[4].split('/').pop()!.toLowerCase());
    }
    voices = set;
    return set;
  }

  async function ffmpegShapes(ctx: CallContext): Promise<boolean> {
    if (canShape !== undefined) return canShape;
    const { stdout } = await run('ffmpeg', bins.ffmpeg, ['-hide_banner', '-buildconf'], { timeoutMs: 15_000, ctx });
    canShape = stdout.includes('--enable-libfribidi');
    return canShape;
  }

  /** Run a tool; map every way it can fail to a JobError with a clear detail. */
  function run(
    tool: ToolName,
    bin: string,
    args: string[],
    o: { timeoutMs: number; ctx: CallContext; cwd?: string },
  ): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolvePromise, reject) => {
      const { signal } = o.ctx;
      if (signal?.aborted) return reject(new JobError('CANCELLED', `${tool} not started: job cancelled`));
      let child: ChildProcess;
      try {
        child = spawn(bin, args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
      } catch (err) {
        return reject(spawnError(tool, err));
      }
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      let aborted = false;
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        if (stdout.length < 4_000_000) stdout += d;
      });
      // Keep the tail: the last lines say why ffmpeg failed.
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr = (stderr + d).slice(-4000);
      });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, o.timeoutMs);
      const onAbort = () => {
        aborted = true;
        child.kill('SIGKILL');
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      child.on('error', (err) => {
        done();
        reject(spawnError(tool, err));
      });
      child.on('close', (code, sig) => {
        done();
        if (aborted) return reject(new JobError('CANCELLED', `${tool} stopped: job cancelled`));
        if (timedOut) {
          return reject(
            new JobError('VIDEO_TIMEOUT', `${tool} took longer than ${Math.round(o.timeoutMs / 1000)} s`, {
              retryable: true,
            }),
          );
        }
        if (code !== 0) {
          const why = stderr.trim().split('\n').slice(-3).join(' | ');
          return reject(
            new JobError('VIDEO_FAILED', `${tool} exited with ${code ?? sig}: ${why}`, { retryable: true }),
          );
        }
        resolvePromise({ stdout, stderr });
      });
    });
  }

  async function probeDuration(file: string, ctx: CallContext): Promise<number> {
    const { stdout } = await run(
      'ffprobe',
      bins.ffprobe,
      ['-v', 'error', '-show_entries', 'format=duration', '-of', 'json', file],
      { timeoutMs: 30_000, ctx },
    );
    const d = Number((JSON.parse(stdout) as { format?: { duration?: string } }).format?.duration);
    if (!Number.isFinite(d)) throw new JobError('VIDEO_FAILED', `ffprobe found no duration in ${file}`);
    return d;
  }

  async function readMeta(id: string): Promise<LocalRenderMeta | undefined> {
    try {
      return JSON.parse(await readFile(metaPath(id), 'utf8')) as LocalRenderMeta;
    } catch {
      return undefined;
    }
  }

  async function render(request: RenderRequest, ctx: CallContext, id: string): Promise<LocalRenderMeta> {
    const lang = primaryLanguage(request.language);
    const font = opts.fontFile ?? findFont(lang);
    if (!font || !(await exists(font))) {
      throw toolError(new MissingToolError(`font ${font ?? '(DejaVu Sans)'}`, FONT_PACKAGE));
    }
    const available = await availableVoices(ctx);
    const wanted = VOICES[lang] ?? lang;
    const voice = available.has(wanted) ? wanted : FALLBACK_VOICE;
    if (lang === 'ar' || lang === 'fa' || lang === 'he' || lang === 'ur') {
      if (!(await ffmpegShapes(ctx))) {
        ctx.logger.warn(
          { event: 'local_render_no_shaping', jobId: ctx.jobId },
          'ffmpeg lacks libfribidi: right-to-left slides will show unjoined letters',
        );
      }
    }

    const bodySize = Math.round(BODY_SIZE * scale);
    const titleSize = Math.round(TITLE_SIZE * scale);
    const columns = (size: number) => Math.floor((width - 2 * MARGIN_X * scale) / (size * EM_PER_COLUMN));
    const chunks = splitIntoSlides(request.script, lang, columns(bodySize) * LINES_PER_SLIDE);
    if (chunks.length === 0) throw new JobError('VIDEO_FAILED', 'the script has no words to speak');

    const tmp = await mkdtemp(join(workDir, '.render-'));
    try {
      for (const [i, text] of chunks.entries()) await writeFile(join(tmp, `say_${i}.txt`), text);

      const speak = async (speed: number): Promise<Pcm[]> => {
        const out: Pcm[] = [];
        for (let i = 0; i < chunks.length; i++) {
          await run(
            'espeak-ng',
            bins['espeak-ng'],
            ['-v', voice, '-s', String(speed), '-b', '1', '-w', `say_${i}.wav`, '-f', `say_${i}.txt`],
            { timeoutMs: 60_000, ctx, cwd: tmp },
          );
          out.push(parseWav(await readFile(join(tmp, `say_${i}.wav`))));
        }
        return out;
      };

      const title = cleanText(request.title);
      const titleSeconds = title ? TITLE_SECONDS : 0;
      // The video as a whole should last what limits.ts predicts for the script, as D-ID's would.
      const target = Math.max(1, estimateSeconds(countWords(request.script, lang), lang) - titleSeconds);
      const base = SPEEDS[lang] ?? DEFAULT_SPEED;
      let speed = base;
      let clips = await speak(speed);
      const spoken = clips.reduce((s, c) => s + pcmSeconds(c), 0);
      if (Math.abs(spoken / target - 1) > CALIBRATE_ABOVE) {
        const corrected = clamp(
          Math.round(speed * (spoken / target)),
          Math.round(base * SPEED_MIN_FACTOR),
          Math.round(base * SPEED_MAX_FACTOR),
        );
        if (corrected !== speed) {
          speed = corrected;
          clips = await speak(speed);
        }
      }

      // One WAV for the whole video: silence under the title, then each sentence back to back.
      const fmt = clips[0]!;
      const bytesPerSecond = fmt.sampleRate * fmt.channels * (fmt.bits / 8);
      const blockAlign = fmt.channels * (fmt.bits / 8);
      const silenceBytes = Math.round(titleSeconds * fmt.sampleRate) * blockAlign;
      const parts: Buffer[] = [Buffer.alloc(silenceBytes)];
      const slides: { start: number; end: number; lines: string[]; size: number }[] = [];
      if (title) slides.push({ start: 0, end: titleSeconds, lines: wrapLines(title, lang, columns(titleSize)), size: titleSize });
      let t = titleSeconds;
      for (const [i, clip] of clips.entries()) {
        if (clip.sampleRate !== fmt.sampleRate || clip.channels !== fmt.channels || clip.bits !== fmt.bits) {
          throw new JobError('VIDEO_FAILED', 'espeak-ng produced WAV files in different formats');
        }
        parts.push(clip.data);
        const d = clip.data.length / bytesPerSecond;
        slides.push({ start: t, end: t + d, lines: wrapLines(chunks[i]!, lang, columns(bodySize)), size: bodySize });
        t += d;
      }
      const total = t;
      await writeFile(join(tmp, 'speech.wav'), buildWav(fmt, Buffer.concat(parts)));

      // Text goes to files (textfile=, expansion=none): no escaping of quotes, colons or % in
      // the script. The files are relative to ffmpeg's cwd, so only the font path is escaped.
      const filters: string[] = [`drawbox=x=0:y=ih-${Math.round(6 * scale)}:w=iw:h=${Math.round(6 * scale)}:color=${ACCENT}:t=fill`];
      for (const [s, slide] of slides.entries()) {
        const lineHeight = Math.round(slide.size * 1.45);
        const top = Math.round((height - lineHeight * slide.lines.length) / 2);
        // Place lines by baseline: y is the top of the line's tallest glyph, which differs
        // between lines (Arabic hamza, capitals) and would make the spacing uneven.
        const baseline = (l: number) => top + l * lineHeight + slide.size;
        const last = s === slides.length - 1;
        // The last slide stays up to the end, whatever the encoder's rounding.
        const enable = last ? `gte(t,${slide.start.toFixed(3)})` : `gte(t,${slide.start.toFixed(3)})*lt(t,${slide.end.toFixed(3)})`;
        for (const [l, line] of slide.lines.entries()) {
          const file = `slide_${s}_${l}.txt`;
          await writeFile(join(tmp, file), line);
          filters.push(
            `drawtext=fontfile=${escapeFilterValue(font)}:textfile=${file}:expansion=none` +
              `:fontsize=${slide.size}:fontcolor=white:x=(w-text_w)/2:y=${baseline(l)}-ascent` +
              `:enable='${enable}'`,
          );
        }
      }
      await writeFile(join(tmp, 'graph.txt'), `[0:v]${filters.join(',')}[v]`);

      const lang3 = ISO639_2[lang] ?? 'und';
      const out = join(tmp, 'out.mp4');
      const args = [
        '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
        '-f', 'lavfi', '-i', `color=c=${BG}:s=${width}x${height}:r=${FPS}:d=${total.toFixed(3)}`,
        '-i', 'speech.wav',
        '-filter_complex_script', 'graph.txt',
        '-map', '[v]', '-map', '1:a',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'stillimage', '-pix_fmt', 'yuv420p', '-r', String(FPS),
        '-c:a', 'aac', '-b:a', '96k', '-ar', '44100', '-ac', '1',
        '-movflags', '+faststart',
        '-metadata', `title=${title}`,
        '-metadata', `comment=doc2video local render; voice=${voice}; speed=${speed}`,
        '-metadata:s:a:0', `language=${lang3}`,
        '-shortest',
        '-f', 'mp4', out,
      ];
      await run('ffmpeg', bins.ffmpeg, args, { timeoutMs: opts.timeoutMs ?? 120_000 + total * 2000, ctx, cwd: tmp });

      const durationSeconds = await probeDuration(out, ctx);
      const meta: LocalRenderMeta = {
        id,
        jobId: ctx.jobId,
        language: lang,
        voice,
        speed,
        slides: slides.length,
        durationSeconds,
        width,
        height,
        createdAt: Date.now(),
      };
      // Sidecar first, MP4 last: an MP4 at its final path is always complete and described.
      await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
      await rename(join(tmp, 'meta.json'), metaPath(id));
      await rename(out, mp4Path(id));
      return meta;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  // Temp dirs of a process that was killed mid-render (SIGKILL skips `finally`).
  async function sweepStaleTemps(): Promise<void> {
    try {
      for (const name of await readdir(workDir)) {
        if (!name.startsWith('.render-')) continue;
        const p = join(workDir, name);
        const st = await stat(p).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > STALE_TEMP_MS) await rm(p, { recursive: true, force: true });
      }
    } catch {
      // best effort
    }
  }

  return {
    name: 'local',

    async create(request, ctx) {
      ensureTools();
      await mkdir(workDir, { recursive: true });
      // Same job and same input -> same id: a retried create reuses the finished file.
      const id = `local_${sha256([ctx.jobId, request.language, request.title, request.script, `${width}x${height}`].join('\u0000')).slice(0, 20)}`;
      if (await exists(mp4Path(id))) {
        ctx.logger.info({ event: 'local_render_reused', jobId: ctx.jobId, videoId: id });
      } else {
        void sweepStaleTemps();
        const started = Date.now();
        ctx.logger.info({ event: 'local_render_start', jobId: ctx.jobId, videoId: id, language: request.language });
        const meta = await render(request, ctx, id);
        ctx.logger.info({
          event: 'local_render_done',
          jobId: ctx.jobId,
          videoId: id,
          voice: meta.voice,
          speed: meta.speed,
          slides: meta.slides,
          seconds: Math.round(meta.durationSeconds * 10) / 10,
          duration_ms: Date.now() - started,
        });
      }
      const pointer = jobPath(ctx.jobId);
      // Write-then-rename so a concurrent reader never sees half a file.
      const tmpPointer = `${pointer}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmpPointer, JSON.stringify({ jobId: ctx.jobId, id }));
      await rename(tmpPointer, pointer);
      return { id };
    },

    async findExisting(ctx) {
      try {
        const { jobId, id } = JSON.parse(await readFile(jobPath(ctx.jobId), 'utf8')) as { jobId?: string; id?: string };
        if (jobId === ctx.jobId && typeof id === 'string' && ID_RE.test(id) && (await exists(mp4Path(id)))) {
          return { id };
        }
      } catch {
        // no pointer: this job never finished a render here
      }
      return undefined;
    },

    async status(videoId, ctx) {
      if (!ID_RE.test(videoId)) return { state: 'error', reason: `not a local video id: ${videoId}` };
      const file = mp4Path(videoId);
      if (!(await exists(file))) return { state: 'error', reason: `local video ${videoId} is not in ${workDir}` };
      let durationSeconds: number | undefined;
      try {
        durationSeconds = await probeDuration(file, ctx);
      } catch {
        // ffprobe gone since the render: the sidecar has the same figure.
        durationSeconds = (await readMeta(videoId))?.durationSeconds;
      }
      return { state: 'done', resultUrl: pathToFileURL(file).href, durationSeconds };
    },

    async download(resultUrl) {
      let file: string;
      try {
        const url = new URL(resultUrl);
        if (url.protocol !== 'file:') throw new Error('not a file: URL');
        file = fileURLToPath(url);
      } catch {
        throw new JobError('VIDEO_FAILED', `the local renderer can only read file:// URLs, got ${resultUrl.slice(0, 80)}`);
      }
      // Only our own output: the URL comes back from job data, which is not trusted with paths.
      const rel = relative(workDir, file);
      if (rel.startsWith('..') || isAbsolute(rel)) {
        throw new JobError('VIDEO_FAILED', `refusing to read ${file}: outside the local render directory`);
      }
      try {
        const handle = await open(file, 'r');
        return handle.createReadStream() as Readable;
      } catch (err) {
        // Gone (work dir cleaned): re-reading the status turns this into a clear error.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ResultUrlExpiredError(`${file} no longer exists`);
        throw err;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Text: sentences -> slides -> lines.

const segmenters = new Map<string, Intl.Segmenter>();
function segmenter(lang: string, granularity: 'word' | 'sentence'): Intl.Segmenter {
  const key = `${lang}:${granularity}`;
  let s = segmenters.get(key);
  if (!s) {
    try {
      s = new Intl.Segmenter(lang, { granularity });
    } catch {
      s = new Intl.Segmenter('en', { granularity });
    }
    segmenters.set(key, s);
  }
  return s;
}

function primaryLanguage(language: string): string {
  return (language || 'en').toLowerCase().split(/[-_]/)[0]!;
}

/** One line of plain text: no control characters, single spaces. */
export function cleanText(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Columns a string takes on screen: East Asian wide characters count 2, combining marks 0. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (/\p{M}/u.test(ch)) continue;
    const wide =
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      c >= 0x20000;
    w += wide ? 2 : 1;
  }
  return w;
}

/**
 * The script cut into slide-sized pieces: one per sentence, and a sentence longer than
 * `maxWidth` columns split at a clause mark (, ; : ، ؛) or else a word boundary near its middle.
 * Pieces without any word (stray punctuation) are dropped: there is nothing to speak.
 */
export function splitIntoSlides(script: string, lang: string, maxWidth: number): string[] {
  const out: string[] = [];
  const text = cleanText(script);
  for (const { segment } of segmenter(lang, 'sentence').segment(text)) {
    for (const piece of splitLong(segment.trim(), lang, maxWidth)) {
      if (countWords(piece, lang) > 0) out.push(piece);
    }
  }
  return out;
}

function splitLong(s: string, lang: string, maxWidth: number): string[] {
  if (displayWidth(s) <= maxWidth) return s ? [s] : [];
  // Cut only before a word, never before punctuation; prefer right after a clause mark.
  const clause: number[] = [];
  const word: number[] = [];
  for (const { index, isWordLike } of segmenter(lang, 'word').segment(s)) {
    if (index === 0 || !isWordLike) continue;
    word.push(index);
    if (/[,;:،؛、，；：]$/.test(s.slice(0, index).trimEnd())) clause.push(index);
  }
  const mid = s.length / 2;
  const nearest = (xs: number[]) => xs.reduce((a, b) => (Math.abs(b - mid) < Math.abs(a - mid) ? b : a));
  // A clause mark near either end would leave one piece nearly as long as the sentence.
  const goodClause = clause.filter((i) => i > s.length * 0.25 && i < s.length * 0.75);
  const at = goodClause.length ? nearest(goodClause) : word.length ? nearest(word) : Math.floor(mid);
  const a = s.slice(0, at).trim();
  const b = s.slice(at).trim();
  if (!a || !b) return [s];
  return [...splitLong(a, lang, maxWidth), ...splitLong(b, lang, maxWidth)];
}

/**
 * Greedy wrap to `columns` display columns. Punctuation stays on its word's line (it may hang a
 * few columns over); a word longer than a whole line (a URL) is cut.
 */
export function wrapLines(text: string, lang: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  const push = () => {
    const l = line.trim();
    if (l) lines.push(l);
    line = '';
  };
  for (const { segment, isWordLike } of segmenter(lang, 'word').segment(cleanText(text))) {
    const space = /^\s+$/.test(segment);
    const width = displayWidth(line + segment);
    if (width <= columns || (!isWordLike && !space && width <= columns + 3)) {
      line += segment;
      continue;
    }
    push();
    if (space) continue;
    line = segment;
    while (displayWidth(line) > columns) {
      const chars = [...line];
      let n = 0;
      let w = 0;
      while (n < chars.length && w + displayWidth(chars[n]!) <= columns) w += displayWidth(chars[n++]!);
      n = Math.max(1, n);
      lines.push(chars.slice(0, n).join(''));
      line = chars.slice(n).join('');
    }
  }
  push();
  return lines;
}

/** Escape a value for an ffmpeg filter option inside a filtergraph (two levels of quoting). */
export function escapeFilterValue(v: string): string {
  // The graph parser unescapes once, then the filter's option parser (':' separates options).
  const option = v.replace(/[\\':]/g, (c) => `\\${c}`);
  return option.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

// ---------------------------------------------------------------------------------------------
// WAV (espeak-ng writes 16-bit PCM, mono, 22050 Hz; read generically anyway).

interface Pcm {
  sampleRate: number;
  channels: number;
  bits: number;
  data: Buffer;
}

function parseWav(buf: Buffer): Pcm {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new JobError('VIDEO_FAILED', 'espeak-ng wrote something that is not a WAV file');
  }
  let off = 12;
  let fmt: Omit<Pcm, 'data'> | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = { channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      // A writer that could not seek back leaves the size 0 or 0xffffffff: take the rest.
      if (size === 0 || body + size > buf.length) size = buf.length - body;
      if (!fmt || fmt.bits % 8 !== 0 || fmt.channels < 1) break;
      const block = fmt.channels * (fmt.bits / 8);
      return { ...fmt, data: buf.subarray(body, body + size - (size % block)) };
    }
    off = body + size + (size & 1);
  }
  throw new JobError('VIDEO_FAILED', 'espeak-ng wrote a WAV file without PCM data');
}

function pcmSeconds(p: Pcm): number {
  return p.data.length / (p.sampleRate * p.channels * (p.bits / 8));
}

function buildWav(fmt: Omit<Pcm, 'data'>, data: Buffer): Buffer {
  const h = Buffer.alloc(44);
  const block = fmt.channels * (fmt.bits / 8);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(fmt.channels, 22);
  h.writeUInt32LE(fmt.sampleRate, 24);
  h.writeUInt32LE(fmt.sampleRate * block, 28);
  h.writeUInt16LE(block, 32);
  h.writeUInt16LE(fmt.bits, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

// ---------------------------------------------------------------------------------------------

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Missing tools are an operator problem: not retryable, and the detail says what to install. */
function toolError(err: MissingToolError): JobError {
  return new JobError('VIDEO_FAILED', err.message, { retryable: false, cause: err });
}

function spawnError(tool: ToolName, err: unknown): JobError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EACCES') {
    return toolError(new MissingToolError(tool, TOOL_PACKAGES[tool]));
  }
  return new JobError('VIDEO_FAILED', `${tool} could not start: ${(err as Error).message}`, { retryable: true, cause: err });
}

