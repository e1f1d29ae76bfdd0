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
    { script, scenes: scenes.map((s) => s.text), language, voiceId: language === 'ar' ? 'ar-SA-HamedNeural' : 'en-US-JennyNeural', avatarStyle: 'professional', title: 'Three Landscapes' },
    ctx,
  );
  did.finish(videoId);
  const status = await renderer.status(videoId, ctx);
  if (status.state !== 'done') throw new Error('not done');
  const checkpoint: Checkpoint = {
    fetch: { sha256: 'x', bytes: 1, localPath: pdf },
    extract: { pages: 3, chars: 300, language, title: 'Three Landscapes', text: PAGES.flat().join(' '), pageTexts: PAGES.map((p) => p.join('\n')) },
    script: { text: script, scenes, language, words: 40, estimatedSeconds: 16, provider: 'openrouter', cached: false },
    render: { provider: 'd-id', videoId, createdAt: Date.now(), deadline: Date.now() + 60_000 },
    wait: { resultUrl: status.resultUrl, polls: 1, ...(status.durationSeconds ? { durationSeconds: status.durationSeconds } : {}) },
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
  it('shows each scene\'s page while it is spoken, presenter in a circle, captions, 1280x720 H.264 + AAC', async () => {
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
