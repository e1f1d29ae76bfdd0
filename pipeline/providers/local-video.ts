// Offline video provider: no keys, no network, no cost. The script is spoken by espeak-ng in its
// language, sentence by sentence with a pause between scenes, and a drawn presenter
// (local-presenter.ts) mouths it: its mouth follows the loudness of each frame and it blinks. The
// result plays the part of D-ID's video: the compose step puts it beside the pages, with captions.
// Rendering is synchronous: create() returns once the file is in workDir, so status() only has to
// look at the disk; the sidecar JSON carries the exact timing of every scene and sentence.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JobError } from '../../src/errors.js';
import { checkTools, MissingToolError, type ToolName } from './tools.js';
import type { SpeechTiming } from '../job.js';
import { sentencesOf } from '../render/captions.js';
import { SCENE_PAUSE_SECONDS } from '../render/timeline.js';
import { countWords, estimateSeconds } from '../script/limits.js';
import { buildWav, bytesPerSecond, frameLoudness, parseWav, pcmSeconds, silence, type Pcm } from './local-audio.js';
import { ALL_FRAMES, blinkFrames, frameList, frameName, mouthShapes, presenterSvg } from './local-presenter.js';
import { runTool, toolEnv } from './process.js';
import { ResultUrlExpiredError, type CallContext, type RenderRequest, type VideoRenderer } from '../ports.js';
import { FPS, ISO639_2 } from './ffmpeg-media.js';

export interface LocalRendererOptions {
  /** Where finished MP4s (and their small JSON sidecars) live. Created when missing. */
  workDir: string;
  ffmpegPath?: string;
  espeakPath?: string;
  ffprobePath?: string;
  /** Frame size of the presenter video; the compose step scales it. Default 854x480. */
  resolution?: '854x480' | '1280x720';
  /** Kill ffmpeg after this long. Default: 2 min + 2 s per second of video. */
  timeoutMs?: number;
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
  scenes: number;
  sentences: number;
  durationSeconds: number;
  width: number;
  height: number;
  /** When each scene and sentence is spoken. */
  timing: SpeechTiming;
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

const ID_RE = /^local_[0-9a-f]{20}$/;
const STALE_TEMP_MS = 6 * 3600_000;

/** The script as scenes of sentences to speak (one scene when the request has none). */
export function speechPlan(request: Pick<RenderRequest, 'script' | 'scenes'>, lang: string): string[][] {
  const scenes = request.scenes?.length ? request.scenes : [request.script];
  return scenes
    .map((scene) => sentencesOf(cleanText(scene), lang).filter((s) => countWords(s, lang) > 0))
    .filter((sentences) => sentences.length > 0);
}

export function createLocalRenderer(opts: LocalRendererOptions): VideoRenderer {
  const workDir = resolve(opts.workDir);
  const bins: Record<ToolName, string> = {
    ffmpeg: opts.ffmpegPath ?? 'ffmpeg',
    ffprobe: opts.ffprobePath ?? 'ffprobe',
    'espeak-ng': opts.espeakPath ?? 'espeak-ng',
  };
  const [width, height] = (opts.resolution ?? '854x480').split('x').map(Number) as [number, number];
  const env = toolEnv();

  let toolsChecked = false;
  let voices: Set<string> | undefined;

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

  const run = (tool: ToolName, args: string[], o: { timeoutMs: number; ctx: CallContext; cwd?: string }) =>
    runTool(tool, bins[tool], args, { timeoutMs: o.timeoutMs, signal: o.ctx.signal, env, ...(o.cwd ? { cwd: o.cwd } : {}) });

  async function availableVoices(ctx: CallContext): Promise<Set<string>> {
    if (voices) return voices;
    const { stdout } = await run('espeak-ng', ['--voices'], { timeoutMs: 15_000, ctx });
    const set = new Set<string>();
    for (const line of stdout.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]) set.add(cols[1].toLowerCase());
      if (cols[4]) set.add(cols[4].split('/').pop()!.toLowerCase());
    }
    voices = set;
    return set;
  }

  async function probeDuration(file: string, ctx: CallContext): Promise<number> {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'json', file], {
      timeoutMs: 30_000,
      ctx,
    });
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
    const available = await availableVoices(ctx);
    const wanted = VOICES[lang] ?? lang;
    const voice = available.has(wanted) ? wanted : FALLBACK_VOICE;

    const plan = speechPlan(request, lang);
    const sentences = plan.flat();
    if (sentences.length === 0) throw new JobError('VIDEO_FAILED', 'the script has no words to speak');

    const tmp = await mkdtemp(join(workDir, '.render-'));
    try {
      for (const [i, text] of sentences.entries()) await writeFile(join(tmp, `say_${i}.txt`), text);
      const speak = async (speed: number): Promise<Pcm[]> => {
        const out: Pcm[] = [];
        for (let i = 0; i < sentences.length; i++) {
          await run('espeak-ng', ['-v', voice, '-s', String(speed), '-b', '1', '-w', `say_${i}.wav`, '-f', `say_${i}.txt`], {
            timeoutMs: 60_000,
            ctx,
            cwd: tmp,
          });
          out.push(parseWav(await readFile(join(tmp, `say_${i}.wav`))));
        }
        return out;
      };

      // The video as a whole should last what limits.ts predicts for the script, as D-ID's would
      // (the pauses between scenes come on top, as they do at D-ID).
      const target = Math.max(1, estimateSeconds(countWords(request.script, lang), lang));
      const base = SPEEDS[lang] ?? DEFAULT_SPEED;
      let speed = base;
      let clips = await speak(speed);
      const spoken = clips.reduce((t, c) => t + pcmSeconds(c), 0);
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

      // One track: the sentences back to back, a pause between scenes. Every start and end is
      // known exactly, which is what the compose step needs for pages and captions.
      const fmt = clips[0]!;
      const parts: Buffer[] = [];
      const timing: SpeechTiming = { scenes: [], sentences: [] };
      let t = 0;
      let k = 0;
      for (const [s, scene] of plan.entries()) {
        if (s > 0) {
          parts.push(silence(fmt, SCENE_PAUSE_SECONDS));
          t += SCENE_PAUSE_SECONDS;
        }
        const sceneStart = t;
        for (const text of scene) {
          const clip = clips[k++]!;
          if (clip.sampleRate !== fmt.sampleRate || clip.channels !== fmt.channels || clip.bits !== fmt.bits) {
            throw new JobError('VIDEO_FAILED', 'espeak-ng produced WAV files in different formats');
          }
          parts.push(clip.data);
          const d = clip.data.length / bytesPerSecond(fmt);
          timing.sentences.push({ start: round3(t), end: round3(t + d), text });
          t += d;
        }
        timing.scenes.push({ start: round3(sceneStart), end: round3(t) });
      }
      const speech: Pcm = { ...fmt, data: Buffer.concat(parts) };
      await writeFile(join(tmp, 'speech.wav'), buildWav(fmt, speech.data));

      // The presenter: eight pictures (SVG -> PNG by ffmpeg's librsvg in one run), then one
      // frame-list entry per run of equal frames, from the loudness of each 40 ms.
      const svgArgs: string[] = [];
      const outArgs: string[] = [];
      for (const [i, f] of ALL_FRAMES.entries()) {
        await writeFile(join(tmp, `f${i}.svg`), presenterSvg(f, width, height));
        svgArgs.push('-i', `f${i}.svg`);
        outArgs.push('-map', `${i}:v`, '-frames:v', '1', frameName(f));
      }
      await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...svgArgs, ...outArgs], {
        timeoutMs: 60_000,
        ctx,
        cwd: tmp,
      });
      const mouths = mouthShapes(frameLoudness(speech, FPS));
      const blinks = blinkFrames(mouths.length, FPS);
      await writeFile(
        join(tmp, 'frames.ffconcat'),
        frameList(
          mouths.map((mouth, i) => ({ mouth, blink: blinks[i]! })),
          FPS,
        ),
      );

      const title = cleanText(request.title);
      const lang3 = ISO639_2[lang] ?? 'und';
      const out = join(tmp, 'out.mp4');
      const args = [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'concat',
        '-safe',
        '0',
        '-i',
        'frames.ffconcat',
        '-i',
        'speech.wav',
        '-map',
        '0:v',
        '-map',
        '1:a',
        '-vf',
        `fps=${FPS},format=yuv420p`,
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-tune',
        'animation',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-b:a',
        '96k',
        '-ar',
        '44100',
        '-ac',
        '1',
        '-movflags',
        '+faststart',
        '-metadata',
        `title=${title}`,
        '-metadata',
        `comment=doc2video local render; voice=${voice}; speed=${speed}`,
        '-metadata:s:a:0',
        `language=${lang3}`,
        '-shortest',
        '-f',
        'mp4',
        out,
      ];
      await run('ffmpeg', args, { timeoutMs: opts.timeoutMs ?? 120_000 + t * 2000, ctx, cwd: tmp });

      const durationSeconds = await probeDuration(out, ctx);
      const meta: LocalRenderMeta = {
        id,
        jobId: ctx.jobId,
        language: lang,
        voice,
        speed,
        scenes: plan.length,
        sentences: sentences.length,
        durationSeconds,
        width,
        height,
        timing,
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
      const id = `local_${sha256([ctx.jobId, request.language, request.title, request.script, JSON.stringify(request.scenes ?? []), `${width}x${height}`].join('\u0000')).slice(0, 20)}`;
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
          scenes: meta.scenes,
          sentences: meta.sentences,
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
      const meta = await readMeta(videoId);
      let durationSeconds: number | undefined;
      try {
        durationSeconds = await probeDuration(file, ctx);
      } catch {
        // ffprobe gone since the render: the sidecar has the same figure.
        durationSeconds = meta?.durationSeconds;
      }
      return {
        state: 'done',
        resultUrl: pathToFileURL(file).href,
        ...(durationSeconds !== undefined ? { durationSeconds } : {}),
        ...(meta?.timing ? { timing: meta.timing } : {}),
      };
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

function primaryLanguage(language: string): string {
  return (language || 'en').toLowerCase().split(/[-_]/)[0]!;
}

/** One line of plain text: no control characters, single spaces. */
function cleanText(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

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
