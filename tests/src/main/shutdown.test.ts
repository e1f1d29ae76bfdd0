// A stopping process always ends: when Redis has gone away, closing connections can wait for a
// reconnect that never comes, and a platform's SIGKILL would then be the only way out (a worker
// left like this, orphaned by its parent, was found idling on the bench machine hours later).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRedisServer } from '../../../src/redis/embedded.js';
import { startProcess, type ProcessHandle } from '../../helpers/processes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-shutdown-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
// A test that times out never reaches its `finally`: never leave a process behind.
const started: ProcessHandle[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.kill('SIGKILL');
});

describe('shutdown', () => {
  it.each([
    ['worker', 'src/main/worker.ts', 'worker_started'],
    ['web', 'src/main/web.ts', 'web_started'],
  ])(
    'the %s exits after SIGTERM within its deadline even when Redis is gone',
    async (name, entry, readyEvent) => {
      const redis = await startRedisServer({ dir: path.join(dir, 'redis') });
      const logFile = path.join(dir, `${name}.log`);
      const proc = startProcess(
        entry,
        {
          REDIS_URL: redis.url,
          DATA_DIR: path.join(dir, name),
          PORT: String(await freePort()),
          SHUTDOWN_TIMEOUT_SECONDS: '3',
          LOG_LEVEL: 'info',
        },
        logFile,
        readyEvent,
      );
      try {
        await proc.ready;
        await redis.stop();
        proc.kill('SIGTERM');
        // Without a deadline the process waits for Redis forever and this test times out.
        const code = await proc.exited;
        expect([0, 1]).toContain(code);
        const { readFile } = await import('node:fs/promises');
        const log = await readFile(logFile, 'utf8');
        expect(log).toContain('"event":"shutdown"');
      } finally {
        proc.kill('SIGKILL');
        await redis.stop().catch(() => undefined);
      }
    },
    60_000,
  );
});
