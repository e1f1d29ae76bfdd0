// Every doc2video command, run as a real process: while it runs it has children (the PDF parser,
// redis-server, ffmpeg...); once it has exited, none of them may be left, not even unreaped.
// The command runs in a session of its own, so its descendants are the processes of that session.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const EXAMPLE = path.join(ROOT, 'examples/the-water-cycle.pdf');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-orphans-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Proc {
  pid: number;
  /** comm: 'node' at first, but Node 22+ renames its main thread 'MainThread' soon after start. */
  name: string;
  /** The command line (empty once a process is a zombie). */
  cmd: string;
  state: string;
}

/** Processes whose session id is `sid`, from /proc/<pid>/stat. */
async function sessionMembers(sid: number): Promise<Proc[]> {
  const out: Proc[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'latin1').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const fields = stat.slice(close + 2).split(' '); // state ppid pgrp session ...
    if (Number(fields[3]) !== sid) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    out.push({
      pid: Number(entry),
      name: stat.slice(stat.indexOf('(') + 1, close),
      cmd: cmd.replaceAll('\0', ' ').trim(),
      state: fields[0]!,
    });
  }
  return out;
}

/** Run the CLI (through tsx) in a new session; record every descendant seen while it runs. */
async function runWatched(args: string[]): Promise<{ code: number | null; stderr: string; seen: Proc[]; left: Proc[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    detached: true, // setsid(): the CLI leads a session its children inherit
    env: { PATH: process.env.PATH ?? '', HOME: dir, DATA_DIR: path.join(dir, '.data') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const sid = child.pid!;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const seen = new Map<number, Proc>();
  let running = true;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running = false;
      resolve(code);
    }),
  );
  while (running) {
    // Keep the first sighting that has a command line (a later one may be a zombie's).
    for (const p of await sessionMembers(sid)) if (p.pid !== sid && !seen.get(p.pid)?.cmd) seen.set(p.pid, p);
    await new Promise((r) => setTimeout(r, 20));
  }
  const code = await exited;
  // tsx's own esbuild service exists only when running from source, not in the built CLI.
  const left = (await sessionMembers(sid)).filter((p) => p.pid !== sid && p.name !== 'esbuild');
  return { code, stderr, seen: [...seen.values()], left };
}

describe('no process is left behind by any doc2video command', () => {
  it('check', async () => {
    const r = await runWatched(['check', EXAMPLE]);
    expect(r.code).toBe(0);
    // The parser child: the test can see it (by command line, as its comm changes on Node 22+).
    expect(r.seen.some((p) => p.cmd.includes('extract-worker'))).toBe(true);
    expect(r.left).toEqual([]);
  }, 120_000);

  it('check on a file that is not a PDF (an early error)', async () => {
    const r = await runWatched(['check', path.join(ROOT, 'package.json')]);
    expect(r.code).toBe(1);
    expect(r.left).toEqual([]);
  }, 120_000);

  it('script (embedded redis-server, the worker, the parser)', async () => {
    const r = await runWatched(['script', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.seen.map((p) => p.name)).toContain('redis-server');
    expect(r.left).toEqual([]);
  }, 180_000);

  it('the full run, to an MP4', async () => {
    const r = await runWatched([EXAMPLE, '--out', path.join(dir, 'water.mp4')]);
    expect(r.stderr).toContain('Video written to');
    expect(r.code).toBe(0);
    expect(r.left).toEqual([]);
  }, 240_000);
});
