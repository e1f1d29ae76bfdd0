// Step 6: the explainer. The presenter video (D-ID's MP4 or the local renderer's) is downloaded
// and laid out with the document: in `slides`, each scene's page fills the frame while it is
// spoken and the presenter talks from a circle beside it; in `presenter`, the presenter fills the
// frame. Captions run along the bottom (burned in unless turned off; a WebVTT file is kept with
// the job either way). Nothing here is paid: a worker that crashes mid-compose, or another worker
// that picks the job up, composes again from the checkpoints.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline as pump } from 'node:stream/promises';
import { JobError } from '../../src/errors.js';
import type { ComposeResult, Scene, SpeechTiming, VideoLayout } from '../job.js';
import {
  ResultUrlExpiredError,
  type CallContext,
  type MediaToolkit,
  type PageImages,
  type PipelineJob,
  type VideoRenderer,
} from '../ports.js';
import { captionCues, toAss, toWebVtt, type Cue } from '../render/captions.js';
import { BACKGROUND, CAPTION_BAND, FRAME_HEIGHT, FRAME_WIDTH, slidesLayout } from '../render/layout.js';
import {
  MIN_SCENE_PAUSE_SECONDS,
  SILENCE_NOISE_DB,
  timelineFromPauses,
  timelineFromRenderer,
  type SceneTimeline,
} from '../render/timeline.js';
import { scenesFromText } from '../script/scenes.js';

/** Far above any 3-minute presenter video; stops a runaway download. */
const MAX_VIDEO_BYTES = 1024 * 1024 * 1024;

export interface ComposeDeps {
  renderer: VideoRenderer;
  media: MediaToolkit;
  pageImages: PageImages;
  ctx: CallContext;
  /** This job's work directory on this worker. */
  dir: string;
  /** Where the job's WebVTT file is kept (outlives the work directory). */
  captionsDir: string;
  /** The PDF on this worker's disk (fetched again when another worker had it). */
  ensurePdf(): Promise<string>;
  defaults: { layout: VideoLayout; captions: boolean };
}

export async function composeStep(job: PipelineJob, deps: ComposeDeps): Promise<ComposeResult> {
  const { render, wait, script, extract } = job.data.checkpoint;
  if (!render || !wait || !script || !extract) throw new Error('compose step needs the script, render and wait checkpoints');
  const { ctx, media } = deps;
  const started = Date.now();
  const language = script.language;
  const layout = job.data.options.layout ?? deps.defaults.layout;
  const captions = job.data.options.captions ?? deps.defaults.captions;
  await mkdir(deps.dir, { recursive: true });

  const source = path.join(deps.dir, 'presenter.mp4');
  await downloadResult(deps.renderer, render.videoId, wait.resultUrl, source, ctx);
  const info = await media.probe(source, ctx);
  const duration = info.durationSeconds;

  // Checkpoints from before scenes existed: one scene per paragraph.
  const scenes: Scene[] = script.scenes?.length ? script.scenes : scenesFromText(script.text, extract.pageTexts, language);
  const timeline = await findTimeline(scenes, language, duration, wait.timing, source, media, ctx);

  const frames = path.join(deps.dir, 'frames');
  await mkdir(frames, { recursive: true });
  const geometry = slidesLayout(language);
  const slides: Array<{ image: string; seconds: number }> = [];
  const cards: Cue[] = [];
  if (layout === 'slides') {
    const wanted = [...new Set(scenes.flatMap((s) => s.pages))];
    const images = wanted.length
      ? await deps.pageImages.render(
          {
            pdfPath: await deps.ensurePdf(),
            pageCount: extract.pages,
            pages: wanted,
            outDir: path.join(deps.dir, 'pages'),
            size: geometry.pageImageSize,
          },
          ctx,
        )
      : new Map<number, string>();
    const frameOf = new Map<number | 'card', string>();
    const frameFor = async (page: number | undefined): Promise<string> => {
      const key = page !== undefined && images.has(page) ? page : 'card';
      let file = frameOf.get(key);
      if (!file) {
        file = path.join(frames, `frame-${key}.png`);
        await media.slide(
          {
            ...(key !== 'card' ? { page: images.get(key)! } : {}),
            box: geometry.page,
            width: FRAME_WIDTH,
            height: FRAME_HEIGHT,
            background: BACKGROUND,
            output: file,
          },
          ctx,
        );
        frameOf.set(key, file);
      }
      return file;
    };
    for (const [i, scene] of scenes.entries()) {
      const start = timeline.starts[i]!;
      const end = timeline.starts[i + 1] ?? duration;
      if (end <= start) continue;
      const shown = scene.pages.filter((p) => images.has(p));
      if (shown.length === 0) {
        slides.push({ image: await frameFor(undefined), seconds: end - start });
        cards.push({ start, end, text: extract.title });
        continue;
      }
      // Several pages share the scene's time evenly.
      const each = (end - start) / shown.length;
      for (const p of shown) slides.push({ image: await frameFor(p), seconds: each });
    }
  }

  const cues = captionCues(timeline.sentences, language);
  await mkdir(deps.captionsDir, { recursive: true });
  const vttPath = path.join(deps.captionsDir, `${job.id}.vtt`);
  await writeFile(`${vttPath}.tmp`, toWebVtt(cues, language));
  await rename(`${vttPath}.tmp`, vttPath);

  let assFile: string | undefined;
  if (captions || cards.length > 0) {
    assFile = path.join(deps.dir, 'captions.ass');
    await writeFile(
      assFile,
      toAss({
        width: FRAME_WIDTH,
        height: FRAME_HEIGHT,
        language,
        cues: captions ? cues : [],
        cards,
        cardArea: { x: geometry.page.x, w: geometry.page.w },
        captionMarginV: Math.round(CAPTION_BAND / 2 - 24),
      }),
    );
  }

  const output = path.join(deps.dir, 'explainer.mp4');
  const partial = path.join(deps.dir, 'explainer.partial.mp4');
  await media.compose(
    {
      presenter: source,
      durationSeconds: duration,
      width: FRAME_WIDTH,
      height: FRAME_HEIGHT,
      layout,
      slides: mergeSlides(slides),
      ...(layout === 'slides' ? { pip: geometry.pip } : {}),
      background: BACKGROUND,
      ...(assFile ? { assFile } : {}),
      output: partial,
      title: extract.title,
      language,
    },
    ctx,
  );
  await rename(partial, output);
  await rm(source, { force: true });
  const bytes = (await stat(output)).size;
  ctx.logger.info(
    {
      event: 'video_composed',
      jobId: ctx.jobId,
      layout,
      captions,
      scenes: scenes.length,
      timing: timeline.source,
      seconds: Math.round(duration * 10) / 10,
      bytes,
      duration_ms: Date.now() - started,
    },
    'explainer composed',
  );
  return {
    path: output,
    bytes,
    durationSeconds: duration,
    layout,
    captions,
    vttPath,
    sceneStarts: timeline.starts.map((t) => Math.round(t * 1000) / 1000),
    timing: timeline.source,
  };
}

async function findTimeline(
  scenes: Scene[],
  language: string,
  duration: number,
  timing: SpeechTiming | undefined,
  source: string,
  media: MediaToolkit,
  ctx: CallContext,
): Promise<SceneTimeline> {
  if (timing && timing.scenes.length === scenes.length) return timelineFromRenderer(timing, duration);
  const silences =
    scenes.length > 1
      ? await media.silences(source, { noiseDb: SILENCE_NOISE_DB, minSeconds: MIN_SCENE_PAUSE_SECONDS }, ctx)
      : [];
  const t = timelineFromPauses(scenes, language, duration, silences);
  if (t.source === 'estimate') {
    ctx.logger.warn(
      { event: 'scene_pauses_missing', jobId: ctx.jobId, scenes: scenes.length, silences: silences.length },
      'some scene changes estimated from word counts',
    );
  }
  return t;
}

/** Neighbouring slides showing the same frame become one (fewer concat entries, no flicker). */
function mergeSlides(slides: Array<{ image: string; seconds: number }>): Array<{ image: string; seconds: number }> {
  const out: Array<{ image: string; seconds: number }> = [];
  for (const s of slides) {
    const last = out[out.length - 1];
    if (last && last.image === s.image) last.seconds += s.seconds;
    else out.push({ ...s });
  }
  return out;
}

/** Fetch the finished render promptly (D-ID's link lasts about a day); an expired link is re-read once. */
async function downloadResult(
  renderer: VideoRenderer,
  videoId: string,
  resultUrl: string,
  dest: string,
  ctx: CallContext,
): Promise<void> {
  try {
    await download(renderer, resultUrl, dest, ctx);
  } catch (err) {
    if (!(err instanceof ResultUrlExpiredError)) throw err;
    const status = await renderer.status(videoId, ctx);
    if (status.state !== 'done') throw new JobError('VIDEO_FAILED', `result link expired and status is ${status.state}`);
    ctx.logger.info({ event: 'result_url_refreshed', videoId }, 'result link expired, got a fresh one');
    await download(renderer, status.resultUrl, dest, ctx);
  }
}

async function download(renderer: VideoRenderer, url: string, dest: string, ctx: CallContext): Promise<number> {
  const body = await renderer.download(url, ctx);
  let seen = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > MAX_VIDEO_BYTES) cb(new JobError('VIDEO_TOO_LARGE', `more than ${MAX_VIDEO_BYTES} bytes`));
      else cb(null, chunk);
    },
  });
  await pump(body, cap, createWriteStream(dest));
  return (await stat(dest)).size;
}
