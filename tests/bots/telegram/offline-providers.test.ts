// One PDF all the way with the real offline providers (extractive script writer, espeak-ng +
// ffmpeg renderer): the video the user gets is a real presenter MP4 of their document.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createLocalRenderer } from '../../../pipeline/providers/local-video.js';
import { waitFor } from '../../helpers/harness.js';
import { corpus, startTelegramRig, type TelegramRig } from '../../helpers/telegram.js';

let rig: TelegramRig;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-tg-offline-'));
  rig = await startTelegramRig({
    redisUrl: inject('redisUrl'),
    mode: 'webhook',
    renderer: createLocalRenderer({ workDir: path.join(dir, 'renders') }),
  });
});
afterAll(async () => {
  await rig?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Telegram with the offline providers', () => {
  it('replies to the PDF with a real presenter MP4 that ffprobe reads, with its duration in the caption', async () => {
    const { fake, h } = rig;
    const u = fake.user(4001);
    const chat = fake.privateChat(u);
    const update = fake.documentUpdate({
      from: u,
      chat,
      bytes: await corpus('crazyones-pdfa.pdf'),
      fileName: 'crazyones.pdf',
      mimeType: 'application/pdf',
    });
    expect((await fake.send(update))?.status).toBe(200);
    const [job] = await h.services.records.listForUser(`tg:${u.id}`);
    const rec = await waitFor(
      async () => {
        const r = await h.services.records.get(job!.jobId);
        return r && ['completed', 'failed', 'cancelled'].includes(r.state) ? r : undefined;
      },
      'the job to finish',
      150_000,
    );
    expect(rec.state).toBe('completed');
    const videos = fake.videosTo(chat.id);
    expect(videos).toHaveLength(1);
    expect(videos[0]!.replyTo).toBe((update.message as { message_id: number }).message_id);

    const file = path.join(dir, 'got.mp4');
    await writeFile(file, videos[0]!.videoBytes!);
    const { stdout } = await promisify(execFile)('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type,codec_name:format=duration',
      '-of',
      'json',
      file,
    ]);
    const probe = JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string }[]; format: { duration: string } };
    expect(probe.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    const seconds = Number(probe.format.duration);
    expect(seconds).toBeGreaterThan(20);
    const m = /· (\d+):(\d\d)$/.exec(videos[0]!.caption ?? '');
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) * 60 + Number(m![2]) - seconds)).toBeLessThanOrEqual(2);
  }, 180_000);
});
