// Start real doc2video processes (TypeScript entry points through tsx) for multi-process tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ProcessHandle {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** Resolves when the process logs its start event (worker_started / web_started). */
  ready: Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

export function startProcess(
  entry: string,
  env: Record<string, string>,
  logFile?: string,
  readyEvent = 'worker_started',
): ProcessHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  child.stdout!.on('data', (chunk: Buffer) => {
    out?.write(chunk);
    if (chunk.toString().includes(`"event":"${readyEvent}"`)) markReady();
  });
  child.stderr!.on('data', (chunk: Buffer) => out?.write(chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  void exited.then(() => out?.end());
  return { child, exited, ready, kill: (signal = 'SIGKILL') => void child.kill(signal) };
}

export const startWorkerProcess = (env: Record<string, string>, logFile?: string) =>
  startProcess('tests/helpers/worker-process.ts', env, logFile);
