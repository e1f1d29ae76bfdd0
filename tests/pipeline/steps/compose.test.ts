// The explainer composite, looked at as a user would: real ffmpeg, pdftoppm and tesseract on a
// generated 3-page PDF whose pages carry different words, a presenter video from the fake D-ID
// (a real MP4 of the script with its pauses) or from the offline renderer.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDid, type FakeDid } from '../../fakes/did.js';
import { didRendererFor } from '../../helpers/did-renderer.js';
import { captureLogs } from '../../helpers/logs.js';
import { jobData, memoryJob } from '../../helpers/memory-job.js';
import { frameAt, makeScenePdf, meanLuma, ocr, probe, silencesOf } from '../../helpers/media.js';
import { composeStep, type ComposeDeps } from '../../../pipeline/steps/compose.js';
import { createFfmpegMedia } from '../../../pipeline/providers/ffmpeg-media.js';
import { createPageImages } from '../../../pipeline/providers/page-images.js';
import { slidesLayout, FRAME_HEIGHT, CAPTION_BAND } from '../../../pipeline/render/layout.js';
import type { Checkpoint, JobOptions, Scene } from '../../../pipeline/job.js';
import type { VideoRenderer } from '../../../pipeline/ports.js';

const PAGES = [
  ['GLACIER', 'FROZEN RIVER', 'MOUNTAIN ICE'],
  ['VOLCANO', 'MOLTEN MAGMA', 'ASH CLOUD'],
  ['DESERT', 'SAND DUNES', 'CACTUS BLOOM'],
];
const SCENES: Scene[] = [
  { text: 'Glaciers are rivers of frozen water that move slowly down the mountain.', pages: [1] },
  { text: 'A volcano throws molten rock and clouds of ash high into the sky.', pages: [2] },
  { text: 'Deserts get very little rain, yet cactus plants bloom after a storm.', pages: [3] },
];

let dir: string;
let pdf: string;
let did: FakeDid;
let renderer: VideoRenderer;
const media = createFfmpegMedia();
const pageImages = createPageImages();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-compose-'));
  pdf = await makeScenePdf(dir, PAGES);
  did = await startFakeDid({ mode: 'manual', webhooks: false, speech: true });
  renderer = didRendererFor(did);
}, 60_000);
afterAll(async () => {
  await did?.close();
  // KEEP_TEST_FILES=1 keeps the videos and frames to look at (the path is printed).
  if (process.env.KEEP_TEST_FILES) console.log(`compose test files kept in ${dir}`);
  else await rm(dir, { recursive: true, force: true });
});

/** A D-ID video of the scenes (spoken, with pauses), and a job whose checkpoints lead to compose. */
async function didJob(id: string, scenes: Scene[], options: JobOptions = {}, language = 'en') {
  const { logger, logs } = captureLogs();
  const ctx = { jobId: id, logger };
  const script = scenes.map((s) => s.text).join('\n\n');
  const { id: videoId } = await renderer.create(
    {
      script,
      scenes: scenes.map((s) => s.text),
      language,
      voiceId: language === 'ar' ? 'ar-SA-HamedNeural' : 'en-US-JennyNeural',
      avatarStyle: 'professional',
      title: 'Three Landscapes',
    },
    ctx,
  );
  did.finish(videoId);
  const status = await renderer.status(videoId, ctx);
  if (status.state !== 'done') throw new Error('not done');
  const checkpoint: Checkpoint = {
    fetch: { sha256: 'x', bytes: 1, localPath: pdf },
    extract: {
      pages: 3,
      chars: 300,
      language,
      title: 'Three Landscapes',
      text: PAGES.flat().join(' '),
      pageTexts: PAGES.map((p) => p.join('\n')),
    },
    script: { text: script, scenes, language, words: 40, estimatedSeconds: 16, provider: 'openrouter', cached: false },
    render: { provider: 'd-id', videoId, createdAt: Date.now(), deadline: Date.now() + 60_000 },
    wait: {
      resultUrl: status.resultUrl,
      polls: 1,
      ...(status.durationSeconds ? { durationSeconds: status.durationSeconds } : {}),
    },
  };
  const job = memoryJob(id, jobData({ checkpoint, options }));
  const deps: ComposeDeps = {
    renderer,
    media,
    pageImages,
    ctx,
    dir: path.join(dir, id),
    captionsDir: path.join(dir, 'captions'),
    ensurePdf: async () => pdf,
    defaults: { layout: 'slides', captions: true },
  };
  return { job, deps, logs, raw: did.videos.get(videoId)!.mp4! };
}

describe('compose: D-ID presenter, slides layout', () => {
  it("shows each scene's page while it is spoken, presenter in a circle, captions, 1280x720 H.264 + AAC", async () => {
    const { job, deps, raw } = await didJob('c1', SCENES);
    const r = await composeStep(job, deps);
    const p = await probe(r.path);
    expect(p).toMatchObject({ width: 1280, height: 720, pixFmt: 'yuv420p' });
    expect(p.codecs).toEqual(['audio:aac', 'video:h264']);
    expect(r.timing).toBe('pauses');

    // Scene changes within a second of the pauses D-ID was asked for.
    const rawFile = path.join(dir, 'raw-c1.mp4');
    await (await import('node:fs/promises')).writeFile(rawFile, raw);
    const pauses = (await silencesOf(rawFile)).filter((s) => s.start > 0.2 && s.end < p.duration - 0.2);
    expect(pauses).toHaveLength(2);
    for (const [i, pause] of pauses.entries()) {
      const mid = (pause.start + pause.end) / 2;
      expect(Math.abs(r.sceneStarts[i + 1]! - mid)).toBeLessThan(1);
    }

    // A frame in the middle of each scene shows that scene's page (OCR of the page area, 2x).
    const box = slidesLayout('en').page;
    const ends = [...r.sceneStarts.slice(1), r.durationSeconds];
    for (const [i, words] of PAGES.entries()) {
      const t = (r.sceneStarts[i]! + ends[i]!) / 2;
      const text = await ocr(await frameAt(r.path, t, path.join(dir, `c1-page-${i + 1}.png`), { region: box, scale: 2 }));
      expect(text, `page ${i + 1} at ${t.toFixed(2)} s`).toContain(words[0]!.toLowerCase());
      for (const [j, other] of PAGES.entries()) if (j !== i) expect(text).not.toContain(other[0]!.toLowerCase());
    }
    await frameAt(r.path, (r.sceneStarts[1]! + ends[1]!) / 2, path.join(dir, 'c1-full.png'));

    // The WebVTT file is kept and holds the spoken words.
    const vtt = await readFile(r.vttPath, 'utf8');
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    expect(vtt).toContain('molten rock');
  }, 120_000);
});

/** The caption band (below the page and the circle), greyscale and negated so the text is dark on light, 2x. */
const BAND = { x: 0, y: FRAME_HEIGHT - CAPTION_BAND + 8, w: 1280, h: CAPTION_BAND - 8 };

describe('compose: captions', () => {
  it('the caption band shows the words being spoken in each scene', async () => {
    const { job, deps, raw } = await didJob('c2', SCENES);
    const r = await composeStep(job, deps);
    const rawFile = path.join(dir, 'raw-c2.mp4');
    await (await import('node:fs/promises')).writeFile(rawFile, raw);
    // Speech of each scene: between the pauses in D-ID's own audio.
    const pauses = (await silencesOf(rawFile)).filter((s) => s.start > 0.2 && s.end < r.durationSeconds - 0.2);
    const speech = SCENES.map((_, i) => ({
      start: i === 0 ? 0 : pauses[i - 1]!.end,
      end: i === SCENES.length - 1 ? r.durationSeconds : pauses[i]!.start,
    }));
    for (const [i, scene] of SCENES.entries()) {
      const t = (speech[i]!.start + speech[i]!.end) / 2;
      const text = await ocr(
        await frameAt(r.path, t, path.join(dir, `c2-band-${i}.png`), { region: BAND, scale: 2, gray: true, negate: true }),
        'eng',
        6,
      );
      const words = scene.text.toLowerCase().match(/[a-z]{4,}/g)!;
      const seen = words.filter((w) => text.includes(w));
      expect(seen.length, `scene ${i + 1} at ${t.toFixed(2)} s read "${text.trim()}"`).toBeGreaterThanOrEqual(
        Math.ceil(words.length / 2),
      );
    }
  }, 120_000);

  it('captions: false burns none in (the band is plain background), the WebVTT file is still written', async () => {
    const { job, deps } = await didJob('c3', SCENES.slice(0, 2), { captions: false });
    const r = await composeStep(job, deps);
    expect(r.captions).toBe(false);
    const mid = r.durationSeconds / 4;
    const luma = await meanLuma(r.path, mid, { x: 200, y: BAND.y + 20, w: 880, h: 50 });
    expect(luma).toBeGreaterThan(200); // the calm background, no dark caption box
    expect(await readFile(r.vttPath, 'utf8')).toContain('Glaciers are rivers');
  }, 120_000);
});

describe('compose: layouts and right-to-left', () => {
  const AR_SCENES: Scene[] = [
    { text: 'الأنهار الجليدية تتحرك ببطء نحو الوادي.', pages: [1] },
    { text: 'البركان يقذف الرماد عاليا في السماء.', pages: [2] },
  ];

  it('an Arabic document: presenter on the left, right-to-left captions (Encoding -1) that read as Arabic', async () => {
    const { job, deps } = await didJob('c4', AR_SCENES, {}, 'ar');
    const r = await composeStep(job, deps);
    const ass = await readFile(path.join(dir, 'c4', 'captions.ass'), 'utf8');
    expect(ass).toMatch(/^Style: Caption,Noto Sans Arabic,.*,-1$/m);
    const t = r.sceneStarts[1]! / 2;
    // The circle: on the left for right-to-left text; the right column is plain background.
    const left = slidesLayout('ar').pip;
    const right = slidesLayout('en').pip;
    // Inside the circle, left of the fake presenter's light face box: its slate picture.
    const circle = (x: number) => ({ x: x + 24, y: left.y + 100, w: 40, h: 56 });
    expect(left.x).toBeLessThan(right.x);
    expect(await meanLuma(r.path, t, circle(left.x))).toBeLessThan(160);
    expect(await meanLuma(r.path, t, circle(right.x))).toBeGreaterThan(200);
    // The page sits to the right of the circle.
    expect(slidesLayout('ar').page.x).toBeGreaterThan(left.x + left.size);
    const band = await ocr(
      await frameAt(r.path, t, path.join(dir, 'c4-band.png'), { region: BAND, scale: 2, gray: true, negate: true }),
      'ara',
      6,
    );
    const arabicWords = AR_SCENES[0]!.text
      .replace(/[.،]/g, '')
      .split(/\s+/)
      .filter((w) => w.length >= 4);
    expect(
      arabicWords.some((w) => band.includes(w)),
      `read "${band.trim()}"`,
    ).toBe(true);
    await frameAt(r.path, t, path.join(dir, 'c4-full.png'));
  }, 120_000);

  it('layout presenter: the presenter fills the frame, no page, captions still there', async () => {
    const { job, deps } = await didJob('c5', SCENES.slice(0, 2), { layout: 'presenter' });
    const r = await composeStep(job, deps);
    expect(r.layout).toBe('presenter');
    const p = await probe(r.path);
    expect(p).toMatchObject({ width: 1280, height: 720 });
    const t = r.sceneStarts[1]! / 2;
    const text = await ocr(await frameAt(r.path, t, path.join(dir, 'c5-full.png'), { scale: 2 }));
    expect(text).not.toContain('glacier\n');
    expect(text).not.toMatch(/frozen river|mountain ice/);
    // The fake presenter's face (a light box in the middle of a slate picture) fills the centre.
    expect(await meanLuma(r.path, t, { x: 560, y: 200, w: 160, h: 200 })).toBeGreaterThan(150);
    expect(await meanLuma(r.path, t, { x: 40, y: 200, w: 160, h: 200 })).toBeLessThan(120);
  }, 120_000);
});
