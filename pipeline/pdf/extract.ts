// PDF file -> checked text. The parsing runs in a child process (extract-worker.ts) with a heap
// limit, a resident-memory watchdog and a deadline, so a hostile PDF (decompression bomb, deep
// nesting, thousands of pages) ends with PDF_CORRUPT instead of taking this process down.
//
// Why a child process and not a worker_thread: resourceLimits.maxOldGenerationSizeMb only bounds
// the V8 heap. pdfjs decodes streams into ArrayBuffers, which live outside that heap, so a
// FlateDecode bomb in a worker_thread grows the *shared* process memory until the kernel kills
// everything (tried: with maxOldGenerationSizeMb 256 the process passed 3 GB RSS). A child process
// has its own address space: we measure its RSS, SIGKILL it, and the OOM killer would pick it, not
// us. It also gets an environment without our API keys. Cost: ~0.3 s per file to start node and
// load pdfjs (~0.7 s from TypeScript source). The RSS watchdog needs Linux /proc; elsewhere only
// the V8 heap limit and the deadline apply.
import { fork, type ChildProcess } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JobError } from '../../src/errors.js';
import type { ExtractResult } from '../job.js';
import { PDF_HEADER_WINDOW, hasPdfHeader } from './text.js';
import { DEFAULT_MAX_CHARS, classifyPdf, codeForParseError, type PdfFacts } from './verdict.js';
import type { WorkerMessage, WorkerRequest } from './protocol.js';

export const DEFAULT_TIMEOUT_MS = 25_000;
export const DEFAULT_MAX_MEMORY_MB = 512;
/**
 * Text is taken from the first 300 pages only: enough for a 2-minute presenter script, and it
 * bounds the parse time of a 10,000-page file. `pages` in the result is still the full count.
 */
export const MAX_TEXT_PAGES = 300;
/** How often the child's resident memory is checked (Linux /proc). */
const MEMORY_POLL_MS = 50;

export interface ExtractOptions {
  /** Whole parse, child start included. Default 25 s. */
  timeoutMs?: number;
  /** Resident memory of the parsing process (heap limit too). Default 512 MB. */
  maxMemoryMb?: number;
  /** Cap of `text`. Default 50,000. */
  maxChars?: number;
  /** Pages parsed for text. Default 300. */
  maxPages?: number;
  /** Abort: kills the parser and rejects with JobError CANCELLED. */
  signal?: AbortSignal;
}

export interface ExtractInput {
  path: string;
  /** The file name the user sent: last-resort title. */
  name?: string;
}

interface WorkerEntry {
  file: string;
  execArgv: string[];
}

/**
 * The worker sits next to this module: extract-worker.ts when we run from TypeScript source
 * (tsx, vitest), extract-worker.js in dist/. From source the child needs tsx's loader, resolved
 * to an absolute URL so it does not depend on the working directory.
 */
export function workerEntry(moduleUrl: string = import.meta.url): WorkerEntry {
  const fromSource = moduleUrl.endsWith('.ts');
  const file = fileURLToPath(new URL(fromSource ? './extract-worker.ts' : './extract-worker.js', moduleUrl));
  if (!fromSource) return { file, execArgv: [] };
  const require = createRequire(moduleUrl);
  const tsx = require.resolve('tsx');
  return { file, execArgv: [...pdfjsPreload(require), '--import', pathToFileURL(tsx).href] };
}

/**
 * Dev/test only: pdfjs is ~3 MB of JavaScript, and loading it through tsx's loader hooks takes
 * ~3 s per child instead of ~0.3 s. Importing it before tsx registers puts it in the module cache
 * untouched (the pdfjs worker module also publishes itself as globalThis.pdfjsWorker, which pdfjs
 * uses instead of importing it again). Best effort: without it the child is only slower.
 */
function pdfjsPreload(require: NodeJS.Require): string[] {
  try {
    const cjs = require.resolve('pdf-parse'); // .../pdf-parse/dist/pdf-parse/cjs/index.cjs
    const esm = resolvePath(dirname(cjs), '../esm/index.js');
    const worker = createRequire(cjs).resolve('pdfjs-dist/legacy/build/pdf.worker.mjs');
    if (!existsSync(esm)) return [];
    return ['--import', pathToFileURL(esm).href, '--import', pathToFileURL(worker).href];
  } catch {
    return [];
  }
}

/** Resident set size of a process in MB, or undefined where /proc is not available. */
async function rssMb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'latin1');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The child's environment: enough to run node, none of our secrets. */
function childEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'NODE_ENV', 'SYSTEMROOT', 'TSX_TSCONFIG_PATH'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(PDF_HEADER_WINDOW);
    const { bytesRead } = await fh.read(buf, 0, PDF_HEADER_WINDOW, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

type Outcome = { facts: PdfFacts; pagesParsed: number };

function runWorker(req: WorkerRequest, timeoutMs: number, maxMemoryMb: number, signal?: AbortSignal): Promise<Outcome> {
  const entry = workerEntry();
  return new Promise<Outcome>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = fork(entry.file, [], {
        execArgv: [...entry.execArgv, `--max-old-space-size=${maxMemoryMb}`, '--disable-warning=ExperimentalWarning'],
        env: childEnv(),
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
      });
    } catch (e) {
      reject(new JobError('INTERNAL', 'could not start the PDF parser', { cause: e }));
      return;
    }
    let ready = false;
    let settled = false;
    let killedFor: 'timeout' | 'memory' | 'cancel' | undefined;
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      stderr = (stderr + s).slice(-4000);
    });

    const finish = (err: Error | undefined, value?: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watchdog);
      signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (err) reject(err);
      else resolve(value!);
    };
    const kill = (why: 'timeout' | 'memory' | 'cancel') => {
      if (settled || killedFor) return;
      killedFor = why;
      child.kill('SIGKILL');
    };
    const onAbort = () => kill('cancel');

    const timer = setTimeout(() => kill('timeout'), timeoutMs);
    // The heap limit does not cover ArrayBuffers (decoded streams): watch the whole process.
    const limit = maxMemoryMb;
    let polling = false;
    const watchdog = setInterval(() => {
      if (polling || child.pid === undefined) return;
      polling = true;
      void rssMb(child.pid)
        .then((mb) => {
          if (mb !== undefined && mb > limit) kill('memory');
        })
        .finally(() => {
          polling = false;
        });
    }, MEMORY_POLL_MS);
    if (signal?.aborted) kill('cancel');
    else signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') {
        ready = true;
        child.send(req);
      } else if (msg.type === 'result') {
        finish(undefined, { facts: msg.facts, pagesParsed: msg.pagesParsed });
      } else if (msg.type === 'error') {
        const code = codeForParseError(msg.name);
        finish(new JobError(code, `${msg.name}: ${msg.message}`));
      }
    });
    child.on('error', (e) => {
      finish(new JobError('INTERNAL', 'the PDF parser process failed', { cause: e }));
    });
    child.on('exit', (code, sig) => {
      if (killedFor === 'timeout') return finish(new JobError('PDF_CORRUPT', 'took too long to parse'));
      if (killedFor === 'memory') return finish(new JobError('PDF_CORRUPT', `needed more than ${limit} MB of memory to parse`));
      if (killedFor === 'cancel') return finish(new JobError('CANCELLED', 'extraction cancelled'));
      if (/heap limit|out of memory|Allocation failed/i.test(stderr)) {
        return finish(new JobError('PDF_CORRUPT', `needed more than ${limit} MB of memory to parse`));
      }
      const how = sig ? `signal ${sig}` : `exit code ${code}`;
      if (!ready) {
        // Never got as far as loading pdf-parse: our installation, not the user's file.
        return finish(new JobError('INTERNAL', `PDF parser failed to start (${how}): ${stderr.trim().slice(-500)}`));
      }
      finish(new JobError('PDF_CORRUPT', `PDF parser stopped (${how})`));
    });
  });
}

/**
 * Read a PDF and return its checked text.
 *
 * Throws JobError: NOT_A_PDF (no `%PDF-` in the first 1024 bytes), PDF_ENCRYPTED, PDF_CORRUPT
 * (unparseable, too slow, too much memory), PDF_SCANNED, TEXT_TOO_SHORT, TEXT_GIBBERISH, CANCELLED
 * (opts.signal), INTERNAL (the parser could not start). File system errors on `input.path` itself
 * (ENOENT...) are passed through unchanged: the file is ours, not the user's.
 */
export async function extractPdf(input: ExtractInput, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxMemoryMb = opts.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const maxPages = opts.maxPages ?? MAX_TEXT_PAGES;

  const head = await readHead(input.path);
  if (!hasPdfHeader(head)) {
    throw new JobError('NOT_A_PDF', head.length === 0 ? 'the file is empty' : 'no %PDF- header in the first 1024 bytes');
  }
  const { facts } = await runWorker(
    { type: 'extract', path: input.path, maxPages, maxChars },
    timeoutMs,
    maxMemoryMb,
    opts.signal,
  );
  return classifyPdf(facts, { maxChars, name: input.name });
}
