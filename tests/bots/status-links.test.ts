// /status (Telegram) and `/doc2video status` (Slack) show our link under a finished job while
// its video is kept: PUBLIC_URL + a signed path, never the renderer's URL; nothing once expired.
import { expect, it } from 'vitest';
import { keptLinks } from '../../bots/intake.js';
import { statusText } from '../../bots/texts.js';
import { telegramUserText } from '../../bots/telegram/texts.js';
import { keptVideoLink } from '../../src/storage/links.js';
import { checkLink } from '../../src/storage/links.js';
import { createLocalStore } from '../../src/storage/video-store.js';
import type { JobRecord } from '../../src/jobs/records.js';

it('lists the link of a kept video, and none for an expired or unkept one', async () => {
  const store = createLocalStore('.data/unused-store');
  const settings = { publicUrl: 'https://d2v.example', linkSecret: 'status-link-secret-0123' };
  const base = { userKey: 'tg:1', platform: 'telegram' as const, createdAt: 1, updatedAt: 2, finishedAt: 2 };
  const jobs: JobRecord[] = [
    {
      ...base,
      jobId: 'keptkeptkk',
      state: 'completed',
      video: { bytes: 10, expiresAt: Date.now() + 86_400_000, captions: false },
    },
    { ...base, jobId: 'goneegonee', state: 'completed', video: { bytes: 10, expiresAt: Date.now() - 1000, captions: false } },
    { ...base, jobId: 'failfailfa', state: 'failed', code: 'PDF_SCANNED' },
  ];
  const links = await keptLinks({ keptLink: (rec) => keptVideoLink(store, settings, rec) }, jobs);
  expect([...links.keys()]).toEqual(['keptkeptkk']);
  const text = statusText('en', jobs, telegramUserText, links);
  const url = new URL(/https:\/\/\S+/.exec(text)![0]);
  expect(url.origin + url.pathname).toBe('https://d2v.example/files/keptkeptkk/video.mp4');
  const q = Object.fromEntries(url.searchParams);
  expect(checkLink(settings.linkSecret, { jobId: 'keptkeptkk', file: 'video.mp4', exp: q.exp, sig: q.sig })).toBe('ok');
  expect(text.match(/https:/g)).toHaveLength(1);
});
