import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../../../pipeline/providers/process.js';
import { createFfmpegMedia, MEDIA_NICENESS } from '../../../pipeline/providers/ffmpeg-media.js';
import { JobError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';

// The niceness a shell reports for itself: field 19 of /proc/<pid>/stat. It waits a moment first,
// since the priority is set just after the process starts.
const OWN_NICENESS = ['-c', 'sleep 0.3; cut -d" " -f19 /proc/$$/stat'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-process-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runTool', () => {
  it('runs a tool at the niceness asked for', async () => {
    const r = await runTool('sh', 'sh', OWN_NICENESS, { timeoutMs: 10_000, niceness: 10 });
    expect(Number(r.stdout.trim())).toBe(10);
  });

  it("runs a tool at the caller's own priority by default", async () => {
    const r = await runTool('sh', 'sh', OWN_NICENESS, { timeoutMs: 10_000 });
    expect(Number(r.stdout.trim())).toBe(getPriority());
  });

  it('turns a non-zero exit into a retryable VIDEO_FAILED naming the tool and its last words', async () => {
    const err = await runTool('sh', 'sh', ['-c', 'echo "no such stream" >&2; exit 3'], { timeoutMs: 10_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe('VIDEO_FAILED');
    expect((err as JobError).retryable).toBe(true);
    expect((err as JobError).message).toBe('sh exited with 3: no such stream');
  });
});

describe('ffmpeg media toolkit', () => {
  it('runs ffmpeg below normal priority, so short steps get the CPU first', async () => {
    // A stand-in ffmpeg that records its own niceness beside itself.
    const bin = path.join(dir, 'ffmpeg');
    await writeFile(bin, '#!/bin/sh\nsleep 0.3\ncut -d" " -f19 /proc/$$/stat > "$(dirname "$0")/niceness"\n');
    await chmod(bin, 0o755);
    const media = createFfmpegMedia({ ffmpegPath: bin });
    await media.silences(
      path.join(dir, 'in.wav'),
      { noiseDb: -30, minSeconds: 0.3 },
      {
        jobId: 'nice',
        logger: createLogger({ level: 'silent' }),
      },
    );
    expect(MEDIA_NICENESS).toBeGreaterThan(0);
    expect(Number((await readFile(path.join(dir, 'niceness'), 'utf8')).trim())).toBe(MEDIA_NICENESS);
  });
});
