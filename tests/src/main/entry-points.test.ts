// The process entry points refuse to start on bad configuration, with one line that names the
// variable, and without printing secrets.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

function run(entry: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('entry points', () => {
  it.each(['src/main/web.ts', 'src/main/worker.ts'])(
    '%s refuses to start without REDIS_URL',
    async (entry) => {
      const r = await run(entry, {});
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('REDIS_URL must be set');
    },
    60_000,
  );

  it('stops at start on a malformed value, naming it, never printing a secret', async () => {
    const secret = 'sk-or-v1-0123456789abcdef';
    const r = await run('src/main/worker.ts', {
      REDIS_URL: 'redis://127.0.0.1:1',
      OPENROUTER_API_KEY: secret,
      MAX_PDF_BYTES: 'twenty megs',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('worker: Invalid configuration: MAX_PDF_BYTES must be an integer from 1024 to 2097152000');
    expect(r.stdout + r.stderr).not.toContain(secret);
  }, 60_000);
});
