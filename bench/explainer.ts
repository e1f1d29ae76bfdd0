// Compositing speed and the page renderer's cost, on this machine.
//
//   npm run bench:explainer                   # 60 s of video, 3 rounds, GeoTopo pages 1-12
//   npm run bench:explainer -- --seconds 120 --rounds 2 --pages 24
//
// 1. Compositing: a presenter video of --seconds (lavfi picture + tone, like D-ID's 16:9 MP4),
//    six scenes, each showing a GeoTopo page, captions burned in: the real compose provider
//    (pipeline/providers/ffmpeg-media.ts) making the 1280x720 explainer, `slides` and `presenter`
//    layouts. Reported: wall time and how many times faster than real time.
// 2. Page renderer: pipeline/providers/page-images.ts rendering GeoTopo-komprimiert.pdf pages
//    1..--pages (117 pages, the largest readable corpus file) at the size the layout asks for,
//    each in its own pdftoppm under prlimit; per page the wall time and the peak resident memory
//    (GNU time's %M around the same pdftoppm command).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/logger.js';
import { createFfmpegMedia } from '../pipeline/providers/ffmpeg-media.js';
import { createPageImages } from '../pipeline/providers/page-images.js';
import { BACKGROUND, FRAME_HEIGHT, FRAME_WIDTH, PAGE_IMAGE_SIZE, slidesLayout, CAPTION_BAND } from '../pipeline/render/layout.js';
import { captionCues, toAss } from '../pipeline/render/captions.js';
import { syntheticVideoArgs } from '../tests/fakes/synthetic-video.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '3' },
    pages: { type: 'string', default: '12' },
    pdf: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const pageCount = Number(values.pages);
const corpus = process.env.CORPUS_DIR ?? path.resolve(import.meta.dirname, '../../shared/corpus');
const pdf = values.pdf ?? path.join(corpus, 'py-pdf/GeoTopo-komprimiert.pdf');

const logger = createLogger({ level: 'silent' });
const ctx = { jobId: 'bench', logger };
const media = createFfmpegMedia();
const pageImages = createPageImages({ maxPages: 1000, budgetMs: 600_000 });

/** CPU seconds (user + system) of this process's finished children, from /proc (Linux). */
async function childCpuSeconds(): Promise<number> {
  const stat = await (await import('node:fs/promises')).readFile('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces) start at state; cutime/cstime are 16/17.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100; // clock ticks, 100 per second on Linux
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(2)}, min ${s[0]!.toFixed(2)}, max ${s[s.length - 1]!.toFixed(2)}`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'd2v-bench-'));
  try {
    console.log(
      `machine: ${cpus()[0]?.model ?? '?'} x${availableParallelism()}, node ${process.version}, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );

    // --- page renderer ---------------------------------------------------------------------
    const pages = Array.from({ length: pageCount }, (_, i) => i + 1);
    let t0 = Date.now();
    const images = await pageImages.render(
      { pdfPath: pdf, pageCount: 117, pages, outDir: path.join(dir, 'pages'), size: PAGE_IMAGE_SIZE },
      ctx,
    );
    const total = (Date.now() - t0) / 1000;
    const perPage: number[] = [];
    const peakMb: number[] = [];
    for (const p of pages) {
      t0 = Date.now();
      const { stderr } = await run('/usr/bin/time', [
        '-f',
        '%M',
        'pdftoppm',
        '-f',
        String(p),
        '-l',
        String(p),
        '-png',
        '-singlefile',
        '-scale-to',
        String(PAGE_IMAGE_SIZE),
        pdf,
        path.join(dir, `t${p}`),
      ]);
      perPage.push((Date.now() - t0) / 1000);
      peakMb.push(Number(stderr.trim().split('\n').pop()) / 1024);
    }
    console.log(`\npage renderer (GeoTopo-komprimiert.pdf, pages 1-${pageCount}, long side ${PAGE_IMAGE_SIZE} px)`);
    console.log(
      `  provider, all pages: ${total.toFixed(2)} s (${(total / pageCount).toFixed(2)} s/page), ${images.size}/${pageCount} rendered`,
    );
    console.log(`  one pdftoppm per page: seconds ${stats(perPage)}`);
    console.log(`  peak resident memory MB: ${stats(peakMb)}`);

    // --- compositing -----------------------------------------------------------------------
    const presenter = path.join(dir, 'presenter.mp4');
    await run(
      'ffmpeg',
      syntheticVideoArgs({ picture: `testsrc2=s=1280x720:r=25:d=${seconds}`, audio: `sine=f=220:d=${seconds}` }, presenter),
    );
    const layout = slidesLayout('en');
    const scenes = 6;
    const slides: Array<{ image: string; seconds: number }> = [];
    for (let i = 0; i < scenes; i++) {
      const image = path.join(dir, `frame-${i}.png`);
      await media.slide(
        {
          page: images.get(i + 1)!,
          box: layout.page,
          width: FRAME_WIDTH,
          height: FRAME_HEIGHT,
          background: BACKGROUND,
          output: image,
        },
        ctx,
      );
      slides.push({ image, seconds: seconds / scenes });
    }
    const sentences = Array.from({ length: Math.round(seconds / 4) }, (_, i) => ({
      start: i * 4,
      end: i * 4 + 4,
      text: `Sentence ${i + 1} of the benchmark says something about the geology and topography on this page.`,
    }));
    const ass = path.join(dir, 'captions.ass');
    await writeFile(
      ass,
      toAss({
        width: FRAME_WIDTH,
        height: FRAME_HEIGHT,
        language: 'en',
        cues: captionCues(sentences, 'en'),
        cards: [],
        cardArea: { x: layout.page.x, w: layout.page.w },
        captionMarginV: Math.round(CAPTION_BAND / 2 - 24),
      }),
    );
    for (const kind of ['slides', 'presenter'] as const) {
      const times: number[] = [];
      const cpu: number[] = [];
      for (let r = 0; r < rounds; r++) {
        t0 = Date.now();
        const c0 = await childCpuSeconds();
        await media.compose(
          {
            presenter,
            durationSeconds: seconds,
            width: FRAME_WIDTH,
            height: FRAME_HEIGHT,
            layout: kind,
            slides,
            ...(kind === 'slides' ? { pip: layout.pip } : {}),
            background: BACKGROUND,
            assFile: ass,
            output: path.join(dir, `out-${kind}.mp4`),
            title: 'bench',
            language: 'en',
          },
          ctx,
        );
        times.push((Date.now() - t0) / 1000);
        cpu.push((await childCpuSeconds()) - c0);
      }
      const speed = times.map((t) => seconds / t);
      console.log(`\ncompose ${kind}: ${seconds} s of 1280x720 video, ${rounds} rounds`);
      console.log(`  wall seconds: ${stats(times)}`);
      console.log(
        `  x real time: ${stats(speed)}  (per minute of video: ${((60 * [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!) / seconds).toFixed(1)} s)`,
      );
      console.log(`  ffmpeg CPU seconds (user+sys) per minute of video: ${stats(cpu.map((c) => (60 * c) / seconds))}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
