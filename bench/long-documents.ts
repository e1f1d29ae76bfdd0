// Whole-document reading and writing (issue 15), in one run:
//   1. time and peak memory to extract ALL the text of GeoTopo-komprimiert.pdf (117 pages) and of a
//      generated 500-page report, through a warm parser child (text + sections), beside pdftotext
//      on the same file;
//   2. LLM calls and tokens per job by document size: the real script step and our OpenRouter
//      client against the fake OpenRouter (tokens as it counts them: ~4 characters a token).
// Run: npm run bench:long [-- --reps 3]   (from the repository root; the machine is shared, so
// the load average is printed at start and end)
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Logger } from '../src/logger.js';
import { DEFAULT_MAX_MEMORY_MB, closeSharedParserPool } from '../pipeline/pdf/parser-pool.js';
import { inWarmChild } from './lib/warm-parse.js';
import { extractPdf } from '../pipeline/pdf/extract.js';
import { createOpenRouterWriter } from '../pipeline/providers/openrouter.js';
import { scriptStep } from '../pipeline/steps/script.js';
import type { ScriptCache } from '../pipeline/ports.js';
import { startFakeOpenRouter } from '../tests/fakes/openrouter.js';
import { makeLongPdf } from '../tests/helpers/long-pdfs.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    file: {
      type: 'string',
      default: path.resolve(process.env.CORPUS_DIR ?? '../shared/corpus', 'py-pdf/GeoTopo-komprimiert.pdf'),
    },
  },
});
const REPS = Number(values.reps);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** Wall time of a command and its peak RSS (GNU time's %M). */
function timed(cmd: string, args: string[]): Promise<{ ms: number; peakMb: number }> {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', () => resolve({ ms: performance.now() - t, peakMb: Number(/(\d+)\s*$/.exec(err.trim())?.[1] ?? 0) / 1024 }));
  });
}

/** All the text (and sections) through a warm child, as the extract step runs it; peak RSS of the child. */
async function ours(file: string): Promise<{ ms: number; peakMb: number; pages: number; chars: number }> {
  const {
    ms,
    peakMb,
    result: r,
  } = await inWarmChild(DEFAULT_MAX_MEMORY_MB, (pool) => extractPdf({ path: file }, { parser: pool, timeoutMs: 600_000 }));
  return { ms, peakMb, pages: r.pagesRead ?? r.pages, chars: r.pageTexts!.reduce((n, p) => n + p.length, 0) };
}

/** A logger whose llm_success lines are collected (they carry the tokens and cost of each call). */
function collectingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink) as unknown as Logger, lines };
}

const noCache: ScriptCache = { get: async () => undefined, set: async () => undefined };

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'd2v-bench-long-'));
  console.log(`load average at start ${load()}, ${REPS} repetitions`);
  const generated500 = await makeLongPdf(dir, { sections: 10, pagesPerSection: 50, marks: 'headings', name: 'gen-500.pdf' });

  console.log(
    '\n| all text of | pages | characters | pdftotext (median) | peak | doc2video parser, warm child (median) | peak | runs (ours) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [name, file] of [
    [path.basename(values.file), values.file],
    ['generated 500 pages', generated500.path],
  ] as const) {
    const pt: Array<{ ms: number; peakMb: number }> = [];
    const us: Array<{ ms: number; peakMb: number; pages: number; chars: number }> = [];
    for (let i = 0; i < REPS; i++) {
      pt.push(await timed('pdftotext', [file, path.join(dir, 'out.txt')]));
      us.push(await ours(file));
    }
    const peak = (xs: Array<{ peakMb: number }>) => `${Math.max(...xs.map((x) => x.peakMb)).toFixed(0)} MB`;
    console.log(
      `| ${name} | ${us[0]!.pages} | ${us[0]!.chars.toLocaleString('en')} | ${fmt(median(pt.map((x) => x.ms)))} | ${peak(pt)} | ${fmt(median(us.map((x) => x.ms)))} | ${peak(us)} | ${us.map((x) => fmt(x.ms)).join(', ')} |`,
    );
  }

  // LLM calls and tokens per job, by document size.
  const fake = await startFakeOpenRouter();
  const writer = createOpenRouterWriter({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    model: 'script-model',
    notesModel: 'notes-model',
    timeoutMs: 60_000,
  });
  const docs: Array<[string, string]> = [
    ['generated 6 pages', (await makeLongPdf(dir, { sections: 2, pagesPerSection: 3, name: 'g6.pdf' })).path],
    ['generated 15 pages', (await makeLongPdf(dir, { sections: 3, pagesPerSection: 5, name: 'g15.pdf' })).path],
    ['generated 54 pages', (await makeLongPdf(dir, { sections: 6, pagesPerSection: 9, name: 'g54.pdf' })).path],
    [path.basename(values.file), values.file],
    ['generated 150 pages', (await makeLongPdf(dir, { sections: 10, pagesPerSection: 15, name: 'g150.pdf' })).path],
    ['generated 500 pages', generated500.path],
  ];
  console.log(
    '\n| document | pages | characters | sections (source) | notes calls | script calls | prompt tokens | completion tokens | cost (fake prices) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [name, file] of docs) {
    const extract = await extractPdf({ path: file }, { timeoutMs: 600_000 });
    const { logger, lines } = collectingLogger();
    await scriptStep({ extract, pdfSha256: name, options: {} }, { writer, cache: noCache, ctx: { jobId: 'bench', logger } });
    const calls = lines.filter((l) => l.event === 'llm_success');
    const sum = (k: string) => calls.reduce((n, l) => n + (Number(l[k]) || 0), 0);
    const chars = extract.pageTexts!.reduce((n, p) => n + p.length, 0);
    console.log(
      `| ${name} | ${extract.pagesRead} | ${chars.toLocaleString('en')} | ${extract.sections!.length} (${extract.sectionSource}) | ${calls.filter((l) => l.kind === 'notes').length} | ${calls.filter((l) => l.kind === 'script').length} | ${sum('prompt_tokens').toLocaleString('en')} | ${sum('completion_tokens').toLocaleString('en')} | $${sum('cost').toFixed(4)} |`,
    );
  }
  await writer.close();
  await fake.close();
  await closeSharedParserPool();
  console.log(`\nload average at end ${load()}`);
  await rm(dir, { recursive: true, force: true });
}

await main();
