// The worker's scheduled clean-up also sweeps the video store: videos past VIDEO_RETENTION_DAYS
// and uploads whose job can no longer be waiting go; younger files stay.
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../../helpers/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    worker: false,
    env: { SCRIPT_PROVIDER: 'local', VIDEO_PROVIDER: 'local', VIDEO_RETENTION_DAYS: '7' },
  });
});

afterAll(async () => {
  await h?.close();
});

it('removes expired videos and stale uploads on its schedule, and keeps the rest', async () => {
  const root = path.join(h.dataDir, 'videos');
  const file = async (rel: string, ageDays: number) => {
    const p = path.join(root, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, 'x');
    const t = new Date(Date.now() - ageDays * 86_400_000);
    await utimes(p, t, t);
  };
  await file('videos/oldoldoldo/video.mp4', 8);
  await file('videos/newnewnewn/video.mp4', 6);
  await file('uploads/stalestale.pdf', 2);
  await file('uploads/freshfresh.pdf', 0);
  h.startWorker({ sweepEveryMs: 50 });
  await waitFor(async () => h.logs.events('store_swept').length > 0, 'a store sweep');
  expect(await readdir(path.join(root, 'videos'))).toEqual(['newnewnewn']);
  expect(await readdir(path.join(root, 'uploads'))).toEqual(['freshfresh.pdf']);
  expect(h.logs.events('store_swept')[0]).toMatchObject({ videos: 1, uploads: 1 });
});
