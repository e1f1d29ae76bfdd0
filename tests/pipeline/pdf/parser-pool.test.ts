// The warm parser pool with real child processes: a parse runs in a child started before it was
// asked for, a used child is replaced (or reused, when configured), a killed child is replaced,
// the budgets still kill a hostile parse without hurting the pool, and close() leaves no process.
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobError } from '../../../src/errors.js';
import { ParserPool, codeForParseError, type ParseBudget, type ParseRun } from '../../../pipeline/pdf/parser-pool.js';
import type { WorkerRequest } from '../../../pipeline/pdf/protocol.js';
import { makeDecompressionBomb, makeManyPages, makeTempDir, makeTextPdf } from '../../helpers/hostile-pdfs.js';

// A busy machine must not turn a good parse into "took too long"; the budgets are tested apart.
const BUDGET: ParseBudget = { timeoutMs: 150_000, maxMemoryMb: 512 };

let dir: string;
let cleanup: () => Promise<void>;
let control: WorkerRequest;
const pools: ParserPool[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  control = {
    type: 'extract',
    path: await makeTextPdf(dir, 'control.pdf'),
    maxPages: 300,
    maxChars: 50_000,
  };
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await cleanup();
});

function pool(opts: ConstructorParameters<typeof ParserPool>[0]): ParserPool {
  const p = new ParserPool(opts);
  pools.push(p);
  return p;
}

/** A process exists while /proc has it (a reaped child is gone; a zombie would show state Z). */
function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function failure(p: Promise<unknown>): Promise<JobError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JobError);
  return err as JobError;
}

describe('ParserPool', { timeout: 200_000 }, () => {
  it('parses in a child started before the request, then replaces it with a fresh one', async () => {
    const p = pool({ slots: 1 }).warm();
    await p.ready();
    const [warmPid] = p.pids();
    expect(warmPid).toEqual(expect.any(Number));

    const first = await p.parse(control, BUDGET);
    expect(first.facts.pages).toBe(3);
    expect(first).toMatchObject({ pid: warmPid, warm: true, parsesInChild: 1 });
    expect(first.childStartedAt).toBeLessThan(first.requestedAt);

    // One parse per child by default: the used child is killed, a new one is started at once.
    await until(() => !alive(warmPid!), 'the used child to exit');
    const [nextPid] = p.pids();
    expect(nextPid).toBeDefined();
    expect(nextPid).not.toBe(warmPid);
    await p.ready();

    const second = await p.parse(control, BUDGET);
    expect(second).toMatchObject({ pid: nextPid, warm: true, parsesInChild: 1 });
  });

  it('with parsesPerChild 3 the same child serves three parses, then is replaced', async () => {
    const p = pool({ slots: 1, parsesPerChild: 3 }).warm();
    await p.ready();
    const runs: ParseRun[] = [];
    for (let i = 0; i < 4; i++) runs.push(await p.parse(control, BUDGET));
    expect(runs.map((r) => r.parsesInChild)).toEqual([1, 2, 3, 1]);
    expect(new Set(runs.slice(0, 3).map((r) => r.pid)).size).toBe(1);
    expect(runs[3]!.pid).not.toBe(runs[0]!.pid);
    expect(runs.every((r) => r.warm)).toBe(true);
    await until(() => !alive(runs[0]!.pid), 'the retired child to exit');
  });

  it('replaces a warm child that is killed while idle', async () => {
    const p = pool({ slots: 1 }).warm();
    await p.ready();
    const [victim] = p.pids();
    process.kill(victim!, 'SIGKILL');
    await until(() => p.pids().length === 1 && p.pids()[0] !== victim, 'a replacement child');
    await p.ready();
    const run = await p.parse(control, BUDGET);
    expect(run.warm).toBe(true);
    expect(run.pid).not.toBe(victim);
  });

  it('a hostile file is killed by the budgets; the pool goes on with a warm child', async () => {
    const p = pool({ slots: 1 }).warm();
    await p.ready();
    const bomb: WorkerRequest = { ...control, path: await makeDecompressionBomb(dir) };
    const [hostilePid] = p.pids();
    const err = await failure(p.parse(bomb, { timeoutMs: 25_000, maxMemoryMb: 512 }));
    // The memory budget, unless a busy machine lets the time budget run out first.
    expect(['PDF_CORRUPT', 'PDF_PARSE_TIMEOUT']).toContain(err.code);
    expect(err.message).toMatch(/memory|too long/);
    expect(alive(hostilePid!)).toBe(false);

    const slow = await failure(p.parse(control, { timeoutMs: 1, maxMemoryMb: 512 }));
    expect(slow).toMatchObject({ code: 'PDF_PARSE_TIMEOUT', message: expect.stringMatching(/^took too long to parse/) });

    await p.ready();
    const ok = await p.parse(control, BUDGET);
    expect(ok).toMatchObject({ warm: true });
    expect(ok.facts.pages).toBe(3);
  });

  it('a parse starved of CPU (the machine, not the file) ends PDF_PARSE_TIMEOUT, retryable', async () => {
    const p = pool({ slots: 1 }).warm();
    await p.ready();
    const [pid] = p.pids();
    const parsing = failure(p.parse(control, { timeoutMs: 1_500, maxMemoryMb: 512 }));
    // Stopped before it can read the request: it gets no CPU at all until the deadline kills it.
    process.kill(pid!, 'SIGSTOP');
    const err = await parsing;
    expect(err).toMatchObject({ code: 'PDF_PARSE_TIMEOUT', message: expect.stringMatching(/CPU used: \d+ ms/) });
    expect(err.retryable).toBe(true);
    expect(alive(pid!)).toBe(false);
  });

  it('a parse asking for another memory limit runs in a child of its own, started for it', async () => {
    const p = pool({ slots: 1 }).warm();
    await p.ready();
    const [warmPid] = p.pids();
    // 16 MB is below what node itself needs: the watchdog (or V8) stops it at once.
    const err = await failure(p.parse(control, { timeoutMs: 150_000, maxMemoryMb: 16 }));
    expect(err).toMatchObject({ code: 'PDF_CORRUPT', message: expect.stringMatching(/memory/) });
    expect(p.pids()).toEqual([warmPid]); // the warm child was not used, nor harmed
    expect((await p.parse(control, BUDGET)).pid).toBe(warmPid);
  });

  it('runs one parse per slot at a time; the next waits for a free slot', async () => {
    const p = pool({ slots: 1, parsesPerChild: 10 }).warm();
    await p.ready();
    const [a, b] = await Promise.all([p.parse(control, BUDGET), p.parse(control, BUDGET)]);
    // The same single child served both, one after the other.
    expect(a!.pid).toBe(b!.pid);
    expect([a!.parsesInChild, b!.parsesInChild].sort()).toEqual([1, 2]);
  });

  it('close() ends every child, idle and busy, and leaves no process behind', async () => {
    const p = pool({ slots: 2 }).warm();
    await p.ready();
    const big = await makeManyPages(dir, 10_000);
    // Another memory limit than the pool's: a third child, started for this parse.
    const busy = p.parse({ ...control, path: big }, { timeoutMs: 150_000, maxMemoryMb: 1024 });
    await until(() => p.pids().length === 3, 'the busy child to start');
    const pids = p.pids();
    const busyFailure = failure(busy);
    await p.close();
    expect(pids.filter(alive)).toEqual([]);
    expect(p.pids()).toEqual([]);
    expect(await busyFailure).toMatchObject({ code: 'INTERNAL' });
    expect(await failure(p.parse(control, BUDGET))).toMatchObject({ code: 'INTERNAL' });
  });

  it('close() also waits for a child killed after its parse (a CLI exits with nothing unreaped)', async () => {
    const p = pool({ slots: 1, refill: false }).warm();
    const run = await p.parse(control, BUDGET);
    // The used child was killed as the parse ended; the pool no longer lists it, but it may not
    // have been reaped yet. close() must not resolve before it has.
    expect(p.pids()).toEqual([]);
    await p.close();
    expect(alive(run.pid)).toBe(false);
  });
});

describe('codeForParseError', () => {
  it('maps pdf-parse exception names', () => {
    expect(codeForParseError('PasswordException')).toBe('PDF_ENCRYPTED');
    expect(codeForParseError('InvalidPDFException')).toBe('PDF_CORRUPT');
    expect(codeForParseError('FormatError')).toBe('PDF_CORRUPT');
    expect(codeForParseError('RangeError')).toBe('PDF_CORRUPT');
  });
});
