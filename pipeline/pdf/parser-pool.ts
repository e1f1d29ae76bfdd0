// Warm PDF parsers: one pre-started child process (extract-worker.ts) per parse slot, so a parse
// does not wait ~0.4 s for node and pdfjs to start. Each parse still runs in a child process of its
// own with a deadline, a heap limit and a resident-memory watchdog (see extract.ts for why a
// process and not a worker_thread); a child that is killed, crashes or has served its parses is
// replaced in the background, and close() (or this process exiting) ends every child.
//
// Reuse: by default a child serves one parse and is then replaced (parsesPerChild: 1), so no
// user's document ever shares a process with another's, and the replacement starts while the
// slot is idle. bench/parser-warm.ts measures parsesPerChild > 1 (a child kept while its RSS
// stays under recycleAboveMb); BENCHMARKS.md has the numbers behind the default.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JobError, type ErrorCode } from '../../src/errors.js';
import type { WorkerMessage, WorkerRequest } from './protocol.js';
import type { PdfFacts } from './verdict.js';

/**
 * pdf-parse's exception names (pdfjs errors mapped by getException) -> our code. Here rather than
 * in verdict.ts: the CLI loads this module first, before the verdict's language data.
 */
export function codeForParseError(name: string | undefined): ErrorCode {
  return name === 'PasswordException' ? 'PDF_ENCRYPTED' : 'PDF_CORRUPT';
}

export const DEFAULT_MAX_MEMORY_MB = 512;
/** Parsing is CPU-bound: more parses than cores only makes each slower (and hits the deadline). */
export const PARSE_SLOTS = Math.max(1, availableParallelism());
/** How often a parsing child's resident memory is checked (Linux /proc). */
const MEMORY_POLL_MS = 50;

export interface WorkerEntry {
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

/** The child's environment: enough to run node, none of our secrets. */
function childEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'NODE_ENV', 'SYSTEMROOT', 'TSX_TSCONFIG_PATH'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

/** Resident set size of a process in MB, or undefined where /proc is not available. */
export async function rssMb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'latin1');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every Linux we run on). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system, ms) a process has used, from /proc; undefined where unreadable. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces: count from after its ')'; field 3 is [0].
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime (14) + stime (15)
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A parse that ran out of time. When the child got less than half of that time as CPU, the
 * machine was busy (other parses, ffmpeg, other tenants) and the same file may well parse on
 * another attempt: retryable. A parse that used its budget is the file's doing: final.
 */
function parseTimeout(timeoutMs: number, elapsedMs: number, cpuUsedMs: number | undefined): JobError {
  const starved = cpuUsedMs === undefined || cpuUsedMs < elapsedMs / 2;
  const cpu = cpuUsedMs === undefined ? 'unknown' : `${Math.round(cpuUsedMs)} ms`;
  return new JobError('PDF_PARSE_TIMEOUT', `took too long to parse (${timeoutMs} ms; CPU used: ${cpu})`, {
    retryable: starved,
  });
}

/** One parser child: started, ready once pdf-parse is loaded, gone after its exit event. */
class ParserChild {
  readonly proc: ChildProcess;
  readonly startedAt = Date.now();
  ready = false;
  exited = false;
  parses = 0;
  /** The tail of stderr since the current parse began (V8's heap-limit message lands here). */
  stderr = '';
  readonly gone: Promise<void>;
  private readonly onReady: (() => void)[] = [];

  constructor(entry: WorkerEntry, maxMemoryMb: number) {
    this.proc = fork(entry.file, [], {
      execArgv: [...entry.execArgv, `--max-old-space-size=${maxMemoryMb}`, '--disable-warning=ExperimentalWarning'],
      env: childEnv(),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.gone = new Promise((resolve) => {
      this.proc.once('exit', () => {
        this.exited = true;
        resolve();
      });
      // A failed fork emits 'error' and no 'exit'.
      this.proc.once('error', () => {
        if (this.proc.pid === undefined) {
          this.exited = true;
          resolve();
        }
      });
    });
    this.proc.stderr?.setEncoding('utf8');
    this.proc.stderr?.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-4000);
    });
    this.proc.on('message', (msg: WorkerMessage) => {
      if (msg.type !== 'ready') return;
      this.ready = true;
      for (const fn of this.onReady.splice(0)) fn();
    });
    this.hold(false);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Run `fn` once the child has loaded pdf-parse (now if it already has). */
  whenReady(fn: () => void): void {
    if (this.ready) fn();
    else this.onReady.push(fn);
  }

  /**
   * An idle child must not keep this process alive (a CLI would never exit); a busy one must,
   * or node could exit in the middle of a parse it is waiting for.
   */
  hold(busy: boolean): void {
    const handles = [this.proc, this.proc.channel, this.proc.stderr as { ref(): void; unref(): void } | null];
    for (const h of handles) {
      if (!h) continue;
      if (busy) h.ref();
      else h.unref();
    }
  }

  kill(): void {
    if (!this.exited && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

export interface ParserPoolOptions {
  /** Parses at once; one pre-started child each. Default: one per core. */
  slots?: number;
  /** Heap limit the warm children start with; a parse asking for another limit gets a cold child. */
  maxMemoryMb?: number;
  /** Parses a child serves before it is replaced. Default 1 (a fresh process per document). */
  parsesPerChild?: number;
  /** A reused child whose RSS after a parse is above this is replaced. Default: half of maxMemoryMb (the next document gets at least half the budget). */
  recycleAboveMb?: number;
  /** Start a replacement after each parse (default). The CLI's one-shot pool does not. */
  refill?: boolean;
  /** How to start a child (default: workerEntry()). */
  entry?: WorkerEntry;
}

export interface ParseBudget {
  timeoutMs: number;
  maxMemoryMb: number;
  signal?: AbortSignal;
  /** Told the page count once the child knows it (a throwing callback is ignored). */
  onPages?(info: { pages: number; pagesRead: number }): void;
}

export interface ParseRun {
  facts: PdfFacts;
  pagesParsed: number;
  /** The child that parsed: its pid, and whether it was started before this parse was asked for. */
  pid: number;
  warm: boolean;
  childStartedAt: number;
  requestedAt: number;
  /** Time spent waiting for a free slot. */
  queuedMs: number;
  /** Parses this child has served, this one included. */
  parsesInChild: number;
}

type KillReason = 'timeout' | 'memory' | 'cancel' | 'closed';

export class ParserPool {
  readonly slots: number;
  readonly maxMemoryMb: number;
  private readonly parsesPerChild: number;
  private readonly recycleAboveMb: number;
  private readonly refill: boolean;
  private readonly entry: WorkerEntry;
  /** The pre-started child of each slot, if any. */
  private readonly idle: (ParserChild | undefined)[];
  private readonly busy = new Set<ParserChild>();
  /** Every child not yet reaped, including ones killed after their parse: close() waits for all. */
  private readonly living = new Set<ParserChild>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private closed = false;
  private exitHook: (() => void) | undefined;

  constructor(opts: ParserPoolOptions = {}) {
    this.slots = Math.max(1, opts.slots ?? PARSE_SLOTS);
    this.maxMemoryMb = opts.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB;
    this.parsesPerChild = Math.max(1, opts.parsesPerChild ?? 1);
    this.recycleAboveMb = opts.recycleAboveMb ?? this.maxMemoryMb / 2;
    this.refill = opts.refill ?? true;
    this.entry = opts.entry ?? workerEntry();
    this.idle = Array.from({ length: this.slots }, () => undefined);
  }

  /** Start a child for every slot that has none. Parsing starts them too (the first parse waits). */
  warm(): this {
    for (let i = 0; i < this.slots; i++) if (!this.idle[i]) this.idle[i] = this.startIdle(i);
    return this;
  }

  /** Pids of every live child, idle and busy. */
  pids(): number[] {
    return [...this.idle, ...this.busy].flatMap((c) => (c && !c.exited && c.pid !== undefined ? [c.pid] : []));
  }

  /** Resolves once every slot's child has loaded pdf-parse (for benchmarks and tests). */
  async ready(): Promise<void> {
    // Idle children do not keep this process alive; waiting for them must.
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      await this.allReady();
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async allReady(): Promise<void> {
    await Promise.all(
      this.idle.map(
        (c) => new Promise<void>((resolve) => (c && !c.exited ? (c.whenReady(resolve), void c.gone.then(resolve)) : resolve())),
      ),
    );
  }

  /** Parse one PDF in a child: a warm one when the memory limit matches, else one started now. */
  async parse(req: WorkerRequest, budget: ParseBudget): Promise<ParseRun> {
    const requestedAt = Date.now();
    if (this.closed) throw new JobError('INTERNAL', 'the PDF parser pool is closed');
    await this.acquire(budget.signal);
    const queuedMs = Date.now() - requestedAt;
    let child: ParserChild | undefined;
    let keep = false;
    try {
      if (this.closed) throw new JobError('INTERNAL', 'the PDF parser pool is closed');
      if (budget.maxMemoryMb === this.maxMemoryMb) child = this.takeIdle();
      const warm = child !== undefined;
      child ??= this.start(budget.maxMemoryMb);
      const outcome = await this.runOn(child, req, budget);
      child.parses += 1;
      if (warm && child.parses < this.parsesPerChild && !this.closed) {
        const mb = child.pid === undefined ? undefined : await rssMb(child.pid);
        keep = mb === undefined || mb <= this.recycleAboveMb;
      }
      return {
        ...outcome,
        pid: child.pid!,
        warm: warm && child.startedAt <= requestedAt,
        childStartedAt: child.startedAt,
        requestedAt,
        queuedMs,
        parsesInChild: child.parses,
      };
    } finally {
      if (child) {
        this.busy.delete(child);
        if (!keep) child.kill();
      }
      this.release(keep ? child : undefined);
    }
  }

  /** Kill every child (a parse in flight fails with INTERNAL) and wait until all have exited. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.living];
    this.idle.fill(undefined);
    for (const c of all) {
      c.hold(true); // waiting for the exits must keep this process alive
      c.kill();
    }
    for (const wake of this.waiting.splice(0)) wake();
    if (this.exitHook) process.off('exit', this.exitHook);
    this.exitHook = undefined;
    await Promise.all(all.map((c) => c.gone));
  }

  private start(maxMemoryMb: number): ParserChild {
    // If this process exits without close() (process.exit in a CLI), take the children along.
    // (They also exit by themselves when their IPC channel closes, see extract-worker.ts.)
    if (!this.exitHook) {
      this.exitHook = () => {
        for (const c of this.living) c.kill();
      };
      process.on('exit', this.exitHook);
    }
    try {
      const child = new ParserChild(this.entry, maxMemoryMb);
      this.living.add(child);
      void child.gone.then(() => this.living.delete(child));
      return child;
    } catch (e) {
      throw new JobError('INTERNAL', 'could not start the PDF parser', { cause: e });
    }
  }

  /** A pre-started child for slot i; replaced if it dies while idle (unless it never got ready). */
  private startIdle(i: number): ParserChild | undefined {
    let child: ParserChild;
    try {
      child = this.start(this.maxMemoryMb);
    } catch {
      return undefined; // the parse that needs it starts its own and reports why it cannot
    }
    void child.gone.then(() => {
      if (this.idle[i] !== child) return; // taken by a parse, or the pool closed
      this.idle[i] = undefined;
      // A child that died before loading pdf-parse would die again: leave the slot empty and
      // let the next parse start a child of its own, which reports the failure as INTERNAL.
      if (child.ready && !this.closed && this.refill) this.idle[i] = this.startIdle(i);
    });
    return child;
  }

  private takeIdle(): ParserChild | undefined {
    const i = this.idle.findIndex((c) => c !== undefined && !c.exited);
    if (i < 0) return undefined;
    const child = this.idle[i]!;
    this.idle[i] = undefined;
    return child;
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.running < this.slots) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        this.running += 1;
        resolve();
      };
      const onAbort = () => {
        const k = this.waiting.indexOf(wake);
        if (k >= 0) this.waiting.splice(k, 1);
        reject(new JobError('CANCELLED', 'extraction cancelled'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(wake);
    });
  }

  /** Free a slot: give it back its child (kept) or a fresh one, and wake the next parse. */
  private release(kept: ParserChild | undefined): void {
    this.running -= 1;
    const i = this.idle.findIndex((c) => c === undefined);
    if (i >= 0 && !this.closed) {
      if (kept) {
        kept.stderr = '';
        this.idle[i] = kept;
        void kept.gone.then(() => {
          if (this.idle[i] === kept) this.idle[i] = this.refill && !this.closed ? this.startIdle(i) : undefined;
        });
      } else if (this.refill) {
        this.idle[i] = this.startIdle(i);
      }
    } else kept?.kill();
    this.waiting.shift()?.();
  }

  private runOn(
    child: ParserChild,
    req: WorkerRequest,
    budget: ParseBudget,
  ): Promise<Omit<ParseRun, 'pid' | 'warm' | 'childStartedAt' | 'requestedAt' | 'queuedMs' | 'parsesInChild'>> {
    const { timeoutMs, maxMemoryMb: limit, signal } = budget;
    const proc = child.proc;
    this.busy.add(child);
    child.hold(true);
    child.stderr = '';
    return new Promise((resolve, reject) => {
      let settled = false;
      let killedFor: KillReason | undefined;
      const startedAt = performance.now();
      const cpuAtStart = cpuMs(child.pid);
      let cpuUsedMs: number | undefined;
      let elapsedMs = timeoutMs;

      const finish = (err: Error | undefined, value?: { facts: PdfFacts; pagesParsed: number }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(watchdog);
        signal?.removeEventListener('abort', onAbort);
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        proc.off('error', onError);
        child.hold(false);
        if (err) {
          child.kill();
          reject(err);
        } else resolve(value!);
      };
      const kill = (why: KillReason) => {
        if (settled || killedFor) return;
        killedFor = why;
        child.kill();
      };
      const onAbort = () => kill('cancel');
      const onMessage = (msg: WorkerMessage) => {
        if (msg.type === 'pages') {
          try {
            budget.onPages?.({ pages: msg.pages, pagesRead: msg.pagesParsed });
          } catch {
            // Progress is a courtesy; the parse goes on.
          }
        } else if (msg.type === 'result') finish(undefined, { facts: msg.facts, pagesParsed: msg.pagesParsed });
        else if (msg.type === 'error') finish(new JobError(codeForParseError(msg.name), `${msg.name}: ${msg.message}`));
      };
      const onError = (e: Error) => finish(new JobError('INTERNAL', 'the PDF parser process failed', { cause: e }));
      const onExit = (code: number | null, sig: NodeJS.Signals | null) => {
        if (killedFor === 'timeout') return finish(parseTimeout(timeoutMs, elapsedMs, cpuUsedMs));
        if (killedFor === 'memory') return finish(new JobError('PDF_CORRUPT', `needed more than ${limit} MB of memory to parse`));
        if (killedFor === 'cancel') return finish(new JobError('CANCELLED', 'extraction cancelled'));
        if (this.closed) return finish(new JobError('INTERNAL', 'the PDF parser was shut down'));
        if (/heap limit|out of memory|Allocation failed/i.test(child.stderr)) {
          return finish(new JobError('PDF_CORRUPT', `needed more than ${limit} MB of memory to parse`));
        }
        const how = sig ? `signal ${sig}` : `exit code ${code}`;
        if (!child.ready) {
          // Never got as far as loading pdf-parse: our installation, not the user's file.
          return finish(new JobError('INTERNAL', `PDF parser failed to start (${how}): ${child.stderr.trim().slice(-500)}`));
        }
        finish(new JobError('PDF_CORRUPT', `PDF parser stopped (${how})`));
      };

      const timer = setTimeout(() => {
        elapsedMs = performance.now() - startedAt;
        const cpuNow = cpuMs(child.pid);
        cpuUsedMs = cpuNow !== undefined && cpuAtStart !== undefined ? cpuNow - cpuAtStart : undefined;
        kill('timeout');
      }, timeoutMs);
      // The heap limit does not cover ArrayBuffers (decoded streams): watch the whole process.
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

      proc.on('message', onMessage);
      proc.on('exit', onExit);
      proc.on('error', onError);
      if (child.exited) return onExit(proc.exitCode, proc.signalCode);
      if (signal?.aborted) kill('cancel');
      else signal?.addEventListener('abort', onAbort, { once: true });
      child.whenReady(() => {
        if (!settled && !killedFor) proc.send(req, (e) => e && undefined); // a closed channel shows up as 'exit'
      });
    });
  }
}

let shared: ParserPool | undefined;

/**
 * The process-wide pool extractPdf uses by default, created and warmed on first use. A process
 * that configures it (the worker: PARSES_PER_PARSER) calls this before its first parse; the
 * options of later calls are ignored.
 */
export function sharedParserPool(opts?: Pick<ParserPoolOptions, 'parsesPerChild'>): ParserPool {
  shared ??= new ParserPool(opts).warm();
  return shared;
}

/** End the shared pool's children (worker shutdown, tests). A later parse starts a new pool. */
export async function closeSharedParserPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
