// Compositing throughput, the figure that sizes the worker fleet: the whole compose step
// (pipeline/steps/compose.ts: download the presenter MP4, probe, find the scene pauses, page
// images with pdftoppm, slide frames, captions, the ffmpeg composite) on a presenter video of
// --seconds, measured in video minutes per CPU minute (user + system CPU of the step's child
// processes, read from /proc/self/stat), beside wall time.
//
// The presenter video stands in for D-ID's: 1920x1080 (premium presenters' size), 25 fps, a
// moving picture and a tone that falls silent for 0.8 s every 10 s (the scene pauses the step
// looks for). It is served by the fake D-ID (tests/fakes/did.ts) and fetched by our real D-ID
// client, as in production. Six scenes, each showing a page of GeoTopo-komprimiert.pdf.
//
//   npm run bench:compose                      # 60 s of video, 2 rounds per layout
//   npm run bench:compose -- --seconds 120 --rounds 1
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createLogger } from '../src/logger.js';
import { composeStep } from '../pipeline/steps/compose.js';
import { createFfmpegMedia } from '../pipeline/providers/ffmpeg-media.js';
import { createPageImages } from '../pipeline/providers/page-images.js';
import type { Checkpoint, Scene, VideoLayout } from '../pipeline/job.js';
import { startFakeDid } from '../tests/fakes/did.js';
import { syntheticVideoArgs } from '../tests/fakes/synthetic-video.js';
import { didRendererFor } from '../tests/helpers/did-renderer.js';
import { jobData, memoryJob } from '../tests/helpers/memory-job.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '2' },
    layouts: { type: 'string', default: 'slides,presenter' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Math.max(1, Number(values.rounds));
const LAYOUTS = values.layouts.split(',') as VideoLayout[];
const corpus = process.env.CORPUS_DIR ?? path.resolve(import.meta.dirname, '../../shared/corpus');
const pdf = path.join(corpus, 'py-pdf/GeoTopo-komprimiert.pdf');

/** CPU seconds (user + system) of this process's finished children (Linux: cutime + cstime). */
async function childCpuSeconds(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

const dir = await mkdtemp(path.join(tmpdir(), 'd2v-bench-compose-'));
const presenter = path.join(dir, 'presenter.mp4');
await run(
  'ffmpeg',
  syntheticVideoArgs(
    {
      picture: `testsrc2=s=1920x1080:r=25:d=${SECONDS}`,
      audio: `sine=f=220:d=${SECONDS}`,
      // Silent stretches, as a presenter pauses between sentences.
      audioFilter: "volume=enable='lt(mod(t,10),0.8)':volume=0",
      preset: 'veryfast',
    },
    presenter,
  ),
);

const did = await startFakeDid({ mode: 'manual', webhooks: false, mp4: presenter, credits: 1000 });
const renderer = didRendererFor(did);
const media = createFfmpegMedia();
const pageImages = createPageImages();
const logger = createLogger({ level: 'silent' });
const SCENE_COUNT = Math.max(1, Math.round(SECONDS / 10));
const scenes: Scene[] = Array.from({ length: SCENE_COUNT }, (_, i) => ({
  text: `Scene ${i + 1} of the talk explains what page ${i + 1} of the document shows, in a few plain sentences. It ends here.`,
  pages: [i + 1],
}));
const script = scenes.map((s) => s.text).join('\n\n');

async function oneRound(layout: VideoLayout, n: number): Promise<{ wall: number; cpu: number }> {
  const id = `bench${layout}${n}`;
  const ctx = { jobId: id, logger };
  const { id: videoId } = await renderer.create(
    {
      script,
      scenes: scenes.map((s) => s.text),
      language: 'en',
      voiceId: 'en-US-JennyNeural',
      avatarStyle: 'professional',
      title: 'GeoTopo',
    },
    ctx,
  );
  did.finish(videoId);
  const status = await renderer.status(videoId, ctx);
  if (status.state !== 'done') throw new Error('fake render not done');
  const checkpoint: Checkpoint = {
    fetch: { sha256: 'x', bytes: 1, localPath: pdf },
    extract: { pages: 117, chars: 5000, language: 'en', title: 'GeoTopo', text: script, pageTexts: scenes.map((s) => s.text) },
    script: {
      text: script,
      scenes,
      language: 'en',
      words: 120,
      estimatedSeconds: SECONDS,
      provider: 'openrouter',
      cached: false,
    },
    render: { provider: 'd-id', videoId, createdAt: Date.now(), deadline: Date.now() + 600_000 },
    wait: { resultUrl: status.resultUrl, polls: 1 },
  };
  const job = memoryJob(id, jobData({ checkpoint, options: { layout, captions: true } }));
  const cpu0 = await childCpuSeconds();
  const t0 = performance.now();
  const r = await composeStep(job, {
    renderer,
    media,
    pageImages,
    ctx,
    dir: path.join(dir, id),
    captionsDir: path.join(dir, 'captions'),
    ensurePdf: async () => pdf,
    defaults: { layout: 'slides', captions: true },
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = (await childCpuSeconds()) - cpu0;
  if (Math.abs(r.durationSeconds - SECONDS) > 1) throw new Error(`composed ${r.durationSeconds} s, expected ${SECONDS} s`);
  await rm(path.join(dir, id), { recursive: true, force: true });
  return { wall, cpu };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `\ncompose step on ${SECONDS} s of video (1920x1080 presenter -> 1280x720 explainer, captions on), ${ROUNDS} rounds; ` +
    `Node ${process.version}; ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
);
console.log('| layout | wall (median) | x real time | CPU s (user+sys, median) | video minutes per CPU minute |');
console.log('|---|---|---|---|---|');
for (const layout of LAYOUTS) {
  const rounds = [];
  for (let n = 0; n < ROUNDS; n++) rounds.push(await oneRound(layout, n));
  const wall = median(rounds.map((r) => r.wall));
  const cpu = median(rounds.map((r) => r.cpu));
  console.log(
    `| ${layout} | ${wall.toFixed(1)} s | ${(SECONDS / wall).toFixed(1)}x | ${cpu.toFixed(1)} s | ${(SECONDS / cpu).toFixed(2)} |`,
  );
}
console.log(
  `\nload average after: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
await did.close();
await rm(dir, { recursive: true, force: true });
