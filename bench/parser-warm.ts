// PDF parsing beside pdftotext (poppler-utils), in the same run: the worker's extract step with
// the warm parser, `doc2video check` as a cold start beside pdf-parse alone in a fresh process
// (the least any cold check built on pdf.js pays: lib/pdf-parse-text.ts), and the time and peak
// memory to extract all text of a corpus file and of a generated 500-page PDF.
// Run: npm run build && npm run bench:parser [-- --reps 7 --file path/to.pdf]
// (compiled, as in production; from the repository root)
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { pino } from 'pino';
import type { Logger } from '../src/logger.js';
import { loadConfig } from '../src/config.js';
import { extractStep } from '../pipeline/steps/extract.js';
import { closeSharedParserPool, sharedParserPool } from '../pipeline/pdf/parser-pool.js';
import { inWarmChild } from './lib/warm-parse.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    file: { type: 'string', default: path.resolve('../shared/corpus/py-pdf/GeoTopo-komprimiert.pdf') },
  },
});
const REPS = Number(values.reps);
const FILE = values.file;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Wall time of a command, and its peak RSS (GNU time's %M). */
function timed(cmd: string, args: string[]): Promise<{ ms: number; peakMb: number; code: number | null }> {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      const kb = Number(/(\d+)\s*$/.exec(err.trim())?.[1] ?? 0);
      resolve({ ms: performance.now() - t, peakMb: kb / 1024, code });
    });
  });
}

async function makeLongPdf(file: string, pages: number): Promise<void> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= pages; i++) {
    const page = doc.addPage([595, 842]);
    for (let line = 0; line < 40; line++) {
      page.drawText(`Page ${i}, line ${line + 1}: the water cycle moves water from the sea to the sky and back.`, {
        x: 40,
        y: 800 - line * 19,
        size: 10,
        font,
      });
    }
  }
  await writeFile(file, await doc.save());
}

/** Every page's text through a warm pool child; peak RSS of that child by polling /proc. */
async function ourFullExtract(file: string, pages: number): Promise<{ ms: number; peakMb: number }> {
  const maxMemoryMb = 4096;
  return inWarmChild(maxMemoryMb, (pool) =>
    pool.parse({ type: 'extract', path: file, maxPages: pages, maxChars: 50_000_000 }, { timeoutMs: 600_000, maxMemoryMb }),
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'd2v-bench-parser-'));
  const logger = pino({ level: 'silent' }) as unknown as Logger;
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');
  console.log(`file ${FILE}, ${REPS} repetitions, load average at start ${load()}`);

  const pdftotext: number[] = [];
  const step: number[] = [];
  const check: number[] = [];
  const bare: number[] = [];
  // As the worker runs it (src/main/worker.ts): a child serves PARSES_PER_PARSER PDFs.
  const parsesPerChild = loadConfig().parsesPerParser;
  console.log(`parser children serve ${parsesPerChild} PDFs each (PARSES_PER_PARSER)`);
  await sharedParserPool({ parsesPerChild }).ready();
  // The first parse in a fresh child also compiles pdf.js (JIT): timed on its own, and not in the
  // step's runs, which see a child that has parsed before, as a busy worker's do.
  const first = performance.now();
  await extractStep({ sha256: 'x', bytes: 1, localPath: FILE }, { logger, jobId: 'bench-first' });
  const firstMs = performance.now() - first;
  for (let i = 0; i < REPS; i++) {
    pdftotext.push((await timed('pdftotext', [FILE, path.join(dir, 'out.txt')])).ms);
    // The worker's extract step, as a job would run it: a warm child is waiting.
    await sharedParserPool().ready();
    const t = performance.now();
    await extractStep({ sha256: 'x', bytes: 1, localPath: FILE }, { logger, jobId: `bench-${i}` });
    step.push(performance.now() - t);
    check.push((await timed(process.execPath, ['bin/doc2video.js', 'check', FILE])).ms);
    bare.push((await timed(process.execPath, ['dist/bench/lib/pdf-parse-text.js', FILE])).ms);
  }
  await closeSharedParserPool();
  const p = median(pdftotext);
  console.log('\n| what | median | runs | × pdftotext |');
  console.log('|---|---|---|---|');
  console.log(`| pdftotext | ${fmt(p)} | ${pdftotext.map(fmt).join(', ')} | 1.0 |`);
  console.log(
    `| extract step, warm parser | ${fmt(median(step))} | ${step.map(fmt).join(', ')} | ${(median(step) / p).toFixed(2)} |`,
  );
  console.log(`| extract step, a fresh child's first parse | ${fmt(firstMs)} | 1 run | ${(firstMs / p).toFixed(2)} |`);
  console.log(
    `| doc2video check (cold) | ${fmt(median(check))} | ${check.map(fmt).join(', ')} | ${(median(check) / p).toFixed(2)} |`,
  );
  console.log(
    `| pdf-parse alone, all text, fresh process (cold) | ${fmt(median(bare))} | ${bare.map(fmt).join(', ')} | ${(median(bare) / p).toFixed(2)} |`,
  );

  const long = path.join(dir, 'long-500.pdf');
  await makeLongPdf(long, 500);
  console.log('\n| all text of | pdftotext | peak | doc2video parser (warm child) | peak |');
  console.log('|---|---|---|---|---|');
  for (const [name, file, pages] of [
    [path.basename(FILE), FILE, 10_000],
    ['generated 500 pages', long, 500],
  ] as const) {
    const pt = await timed('pdftotext', [file, path.join(dir, 'out.txt')]);
    const ours = await ourFullExtract(file, pages);
    console.log(`| ${name} | ${fmt(pt.ms)} | ${pt.peakMb.toFixed(0)} MB | ${fmt(ours.ms)} | ${ours.peakMb.toFixed(0)} MB |`);
  }
  console.log(`\nload average at end ${load()}`);
  await rm(dir, { recursive: true, force: true });
}

await main();
