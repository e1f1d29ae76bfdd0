// The offline renderer against the real ffmpeg / espeak-ng (Debian packages ffmpeg, espeak-ng).
// Outputs are checked with ffprobe, ffmpeg's volumedetect and frames of the drawn presenter.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJobError, JobError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';
import { createLocalRenderer, speechPlan, type LocalRenderMeta } from '../../../pipeline/providers/local-video.js';
import { blinkFrames, frameList, mouthShapes } from '../../../pipeline/providers/local-presenter.js';
import { frameLoudness } from '../../../pipeline/providers/local-audio.js';
import { frameAt } from '../../helpers/media.js';
import { ResultUrlExpiredError, type CallContext, type RenderRequest, type VideoRenderer } from '../../../pipeline/ports.js';
import { countWords, estimateSeconds } from '../../../pipeline/script/limits.js';

const EN_SCRIPT =
  'Welcome to this short overview of the quarterly report. Revenue grew by twelve percent compared with the same period last year, driven mainly by new customers in Europe and Asia. Operating costs stayed flat, which means our margins improved for the third quarter in a row. The product team shipped two major releases, and customer satisfaction scores rose to their highest level since we started measuring them. Looking ahead, we plan to invest in better onboarding, faster support, and a simpler pricing model. Thank you for watching, and please read the full report for the details behind these numbers.';

const AR_SCRIPT =
  'مرحبا بكم في هذا العرض القصير للتقرير الفصلي. نمت الإيرادات بنسبة اثني عشر بالمئة مقارنة بالفترة نفسها من العام الماضي، ويعود ذلك أساسا إلى العملاء الجدد في أوروبا وآسيا. بقيت تكاليف التشغيل ثابتة، مما يعني أن هوامش الربح تحسنت للربع الثالث على التوالي. أطلق فريق المنتج إصدارين رئيسيين، وارتفعت درجات رضا العملاء إلى أعلى مستوى منذ أن بدأنا قياسها. في المرحلة القادمة، نخطط للاستثمار في تجربة أفضل للمستخدمين الجدد ودعم أسرع ونموذج تسعير أبسط. شكرا لكم على المشاهدة، ونرجو قراءة التقرير الكامل لمعرفة التفاصيل.';

const RENDER_TIMEOUT = 120_000;

interface Probe {
  streams: {
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    pix_fmt?: string;
    r_frame_rate?: string;
    tags?: Record<string, string>;
  }[];
  format: { duration: string; format_name: string; tags?: Record<string, string> };
}

function runTool(bin: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

async function ffprobe(file: string): Promise<Probe> {
  const r = await runTool('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Probe;
}

async function meanVolumeDb(file: string): Promise<number> {
  const r = await runTool('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-vn', '-af', 'volumedetect', '-f', 'null', '-']);
  const m = /mean_volume:\s*(-?[\d.]+|-inf) dB/.exec(r.stderr);
  expect(m, r.stderr.slice(-500)).not.toBeNull();
  return m![1] === '-inf' ? -Infinity : Number(m![1]);
}

/** Top-level MP4 box types in order (faststart puts moov before mdat). */
async function topLevelBoxes(file: string): Promise<string[]> {
  const buf = await readFile(file);
  const boxes: string[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    let size = buf.readUInt32BE(off);
    boxes.push(buf.toString('ascii', off + 4, off + 8));
    if (size === 1) size = Number(buf.readBigUInt64BE(off + 8));
    if (size < 8) break;
    off += size;
  }
  return boxes;
}

function captureLogger() {
  const events: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) events.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const logger = createLogger({ level: 'info' }, dest as unknown as Parameters<typeof createLogger>[1]);
  return { logger, events };
}

const request = (over: Partial<RenderRequest> = {}): RenderRequest => ({
  script: EN_SCRIPT,
  language: 'en',
  voiceId: 'en-US-JennyNeural',
  avatarStyle: 'professional',
  title: 'Quarterly report: Q3 "results" 100%',
  ...over,
});

let root: string;
// Characters that break ffmpeg filtergraphs or shells when handled carelessly.
let workDir: string;
const { logger, events } = captureLogger();
const ctx = (jobId: string, extra: Partial<CallContext> = {}): CallContext => ({ jobId, logger, ...extra });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'd2v-local-'));
  workDir = join(root, "work dir, it's [a]: test;");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('local renderer: English', () => {
  let renderer: VideoRenderer;
  let id: string;
  let file: string;

  beforeAll(async () => {
    renderer = createLocalRenderer({ workDir });
    ({ id } = await renderer.create(request(), ctx('job-en')));
    file = join(workDir, `${id}.mp4`);
  }, RENDER_TIMEOUT);

  it('names itself local and returns a local_ id whose MP4 sits in workDir', async () => {
    expect(renderer.name).toBe('local');
    expect(id).toMatch(/^local_[0-9a-f]{20}$/);
    expect((await stat(file)).size).toBeGreaterThan(10_000);
  });

  it('writes one H.264 yuv420p 854x480 25 fps video stream and one AAC audio stream', async () => {
    const p = await ffprobe(file);
    const video = p.streams.filter((s) => s.codec_type === 'video');
    const audio = p.streams.filter((s) => s.codec_type === 'audio');
    expect(video).toHaveLength(1);
    expect(audio).toHaveLength(1);
    expect(video[0]).toMatchObject({ codec_name: 'h264', width: 854, height: 480, pix_fmt: 'yuv420p', r_frame_rate: '25/1' });
    expect(audio[0]!.codec_name).toBe('aac');
    expect(p.format.format_name).toContain('mp4');
  });

  it('puts the index (moov) before the media data (faststart)', async () => {
    const boxes = await topLevelBoxes(file);
    expect(boxes[0]).toBe('ftyp');
    expect(boxes.indexOf('moov')).toBeGreaterThan(-1);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
  });

  it('lasts within 15% of the estimate from limits.ts', async () => {
    const estimate = estimateSeconds(countWords(EN_SCRIPT, 'en'), 'en');
    expect(countWords(EN_SCRIPT, 'en')).toBeGreaterThanOrEqual(80);
    const duration = Number((await ffprobe(file)).format.duration);
    expect(Math.abs(duration - estimate) / estimate).toBeLessThanOrEqual(0.15);
  });

  it('speaks with the en-us voice, audibly', async () => {
    const p = await ffprobe(file);
    expect(p.format.tags?.comment).toContain('voice=en-us;');
    expect(p.streams.find((s) => s.codec_type === 'audio')!.tags?.language).toBe('eng');
    expect(await meanVolumeDb(file)).toBeGreaterThan(-50);
  });

  it('status() reports done with a file:// URL and the ffprobe duration', async () => {
    const st = await renderer.status(id, ctx('job-en'));
    expect(st.state).toBe('done');
    if (st.state !== 'done') return;
    expect(st.resultUrl.startsWith('file://')).toBe(true);
    expect(fileURLToPath(st.resultUrl)).toBe(file);
    const probed = Number((await ffprobe(file)).format.duration);
    expect(st.durationSeconds).toBeCloseTo(probed, 1);
  });

  it('download() streams the exact bytes of the MP4', async () => {
    const st = await renderer.status(id, ctx('job-en'));
    if (st.state !== 'done') throw new Error(`not done: ${st.state}`);
    const stream = await renderer.download(st.resultUrl, ctx('job-en'));
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(await readFile(file))).toBe(true);
  });

  it('findExisting() returns the earlier render for the same job only', async () => {
    expect(await renderer.findExisting(ctx('job-en'))).toEqual({ id });
    expect(await renderer.findExisting(ctx('job-never-rendered'))).toBeUndefined();
    // A fresh renderer (another worker process) finds it from the files alone.
    expect(await createLocalRenderer({ workDir }).findExisting(ctx('job-en'))).toEqual({ id });
  });

  it('a repeated create for the same job and script reuses the file instead of rendering again', async () => {
    const before = (await stat(file)).mtimeMs;
    const n = events.length;
    const again = await renderer.create(request(), ctx('job-en'));
    expect(again).toEqual({ id });
    expect((await stat(file)).mtimeMs).toBe(before);
    const fresh = events.slice(n).map((e) => e.event);
    expect(fresh).toContain('local_render_reused');
    expect(fresh).not.toContain('local_render_start');
  });

  it('logs local_render_start and local_render_done with duration_ms and seconds', () => {
    const start = events.find((e) => e.event === 'local_render_start' && e.jobId === 'job-en');
    const done = events.find((e) => e.event === 'local_render_done' && e.jobId === 'job-en');
    expect(start).toMatchObject({ videoId: id, language: 'en' });
    expect(done).toMatchObject({ videoId: id, voice: 'en-us' });
    expect(typeof done!.duration_ms).toBe('number');
    expect(done!.seconds as number).toBeGreaterThan(20);
  });

  it('leaves no temporary files behind', async () => {
    const names = await readdir(workDir);
    expect(names.filter((n) => n.startsWith('.render-'))).toEqual([]);
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('local renderer: Arabic', () => {
  let renderer: VideoRenderer;
  let id: string;
  let file: string;

  beforeAll(async () => {
    renderer = createLocalRenderer({ workDir });
    ({ id } = await renderer.create(
      request({ script: AR_SCRIPT, language: 'ar', voiceId: 'ar-EG-SalmaNeural', title: 'التقرير الفصلي' }),
      ctx('job-ar'),
    ));
    file = join(workDir, `${id}.mp4`);
  }, RENDER_TIMEOUT);

  it('is spoken by the espeak-ng ar voice (MP4 comment, audio language and sidecar)', async () => {
    const p = await ffprobe(file);
    expect(p.format.tags?.comment).toContain('voice=ar;');
    expect(p.streams.find((s) => s.codec_type === 'audio')!.tags?.language).toBe('ara');
    const meta = JSON.parse(await readFile(join(workDir, `${id}.json`), 'utf8')) as LocalRenderMeta;
    expect(meta).toMatchObject({ id, jobId: 'job-ar', language: 'ar', voice: 'ar' });
  });

  it('has audible speech (mean volume above -50 dB)', async () => {
    expect(await meanVolumeDb(file)).toBeGreaterThan(-50);
  });

  it('has one h264 and one aac stream and lasts within 15% of the Arabic estimate', async () => {
    const p = await ffprobe(file);
    expect(p.streams.filter((s) => s.codec_type === 'video').map((s) => s.codec_name)).toEqual(['h264']);
    expect(p.streams.filter((s) => s.codec_type === 'audio').map((s) => s.codec_name)).toEqual(['aac']);
    const words = countWords(AR_SCRIPT, 'ar');
    expect(words).toBeGreaterThanOrEqual(80);
    const estimate = estimateSeconds(words, 'ar');
    const duration = Number(p.format.duration);
    expect(Math.abs(duration - estimate) / estimate).toBeLessThanOrEqual(0.15);
  });

  it('keeps separate renders for separate jobs', async () => {
    const en = await renderer.findExisting(ctx('job-en'));
    expect(await renderer.findExisting(ctx('job-ar'))).toEqual({ id });
    expect(en?.id).not.toBe(id);
  });
});

describe('local renderer: other languages and inputs', () => {
  it(
    'falls back to the en voice for a language espeak-ng does not know',
    async () => {
      const renderer = createLocalRenderer({ workDir });
      const { id } = await renderer.create(
        request({ script: 'This is a short test of the fallback voice.', language: 'xx', title: '' }),
        ctx('job-xx'),
      );
      const p = await ffprobe(join(workDir, `${id}.mp4`));
      expect(p.format.tags?.comment).toContain('voice=en;');
    },
    RENDER_TIMEOUT,
  );

  it(
    'renders 1280x720 when asked',
    async () => {
      const renderer = createLocalRenderer({ workDir, resolution: '1280x720' });
      const { id } = await renderer.create(
        request({ script: 'Colons: commas, quotes \' " and 100% {braces} [brackets] \\ back slash.', title: 'Escapes: 50%' }),
        ctx('job-720'),
      );
      const p = await ffprobe(join(workDir, `${id}.mp4`));
      expect(p.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 1280, height: 720 });
    },
    RENDER_TIMEOUT,
  );

  it('refuses a script without words', async () => {
    const renderer = createLocalRenderer({ workDir });
    const err = await renderer.create(request({ script: ' ... — !! ' }), ctx('job-empty')).catch((e: unknown) => e);
    expect(isJobError(err) && err.code).toBe('VIDEO_FAILED');
  });

  it('stops with CANCELLED when the job was cancelled', async () => {
    const renderer = createLocalRenderer({ workDir });
    const ac = new AbortController();
    ac.abort();
    const err = await renderer.create(request(), ctx('job-cancel', { signal: ac.signal })).catch((e: unknown) => e);
    expect(isJobError(err) && err.code).toBe('CANCELLED');
    expect(await renderer.findExisting(ctx('job-cancel'))).toBeUndefined();
  });
});

describe('local renderer: missing tools and bad ids', () => {
  it('names the Debian package when ffmpeg is missing', async () => {
    const renderer = createLocalRenderer({ workDir, ffmpegPath: join(root, 'no-such-dir', 'ffmpeg') });
    const err = await renderer.create(request(), ctx('job-noffmpeg')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect((err as Error).message).toBe('ffmpeg not found: install it with `apt-get install -y ffmpeg`');
    expect((err as JobError).retryable).toBe(false);
  });

  it('names the Debian package when espeak-ng is missing', async () => {
    const renderer = createLocalRenderer({ workDir, espeakPath: '/nonexistent/espeak-ng' });
    const err = await renderer.create(request(), ctx('job-noespeak')).catch((e: unknown) => e);
    expect((err as Error).message).toBe('espeak-ng not found: install it with `apt-get install -y espeak-ng`');
  });

  it('status() of an unknown or malformed id is an error, not done', async () => {
    const renderer = createLocalRenderer({ workDir });
    expect((await renderer.status('local_00000000000000000000', ctx('x'))).state).toBe('error');
    expect((await renderer.status('../../etc/passwd', ctx('x'))).state).toBe('error');
  });

  it('download() reads only file:// URLs inside workDir', async () => {
    const renderer = createLocalRenderer({ workDir });
    await expect(renderer.download('file:///etc/passwd', ctx('x'))).rejects.toThrow(/outside/);
    await expect(renderer.download('https://example.com/v.mp4', ctx('x'))).rejects.toThrow(/file:\/\//);
  });

  it(
    'download() of a render that was deleted asks for a status re-read',
    async () => {
      const renderer = createLocalRenderer({ workDir });
      const { id } = await renderer.create(request({ script: 'A short clip that will be deleted.', title: '' }), ctx('job-del'));
      const st = await renderer.status(id, ctx('job-del'));
      if (st.state !== 'done') throw new Error('not done');
      await unlink(fileURLToPath(st.resultUrl));
      await expect(renderer.download(st.resultUrl, ctx('job-del'))).rejects.toBeInstanceOf(ResultUrlExpiredError);
      expect((await renderer.status(id, ctx('job-del'))).state).toBe('error');
      expect(await renderer.findExisting(ctx('job-del'))).toBeUndefined();
    },
    RENDER_TIMEOUT,
  );
});

describe('the drawn presenter', () => {
  const SCENES = ['Glaciers move slowly down the valley.', 'Volcanoes throw ash into the sky. Then it rains.'];
  let meta: LocalRenderMeta;
  let file: string;

  beforeAll(async () => {
    const renderer = createLocalRenderer({ workDir });
    const { id } = await renderer.create(
      request({ script: SCENES.join('\n\n'), scenes: SCENES, title: 'Landscapes' }),
      ctx('job-face'),
    );
    file = join(workDir, `${id}.mp4`);
    meta = JSON.parse(await readFile(join(workDir, `${id}.json`), 'utf8')) as LocalRenderMeta;
  }, RENDER_TIMEOUT);

  it('records when each scene and sentence is spoken, with a pause between scenes', () => {
    expect(meta.timing.scenes).toHaveLength(2);
    expect(meta.timing.sentences.map((s) => s.text)).toEqual([
      'Glaciers move slowly down the valley.',
      'Volcanoes throw ash into the sky.',
      'Then it rains.',
    ]);
    const [a, b] = meta.timing.scenes;
    expect(b!.start - a!.end).toBeCloseTo(1.2, 2);
    expect(Math.abs(b!.end - meta.durationSeconds)).toBeLessThan(0.2);
  });

  it('status() hands the timing on', async () => {
    const renderer = createLocalRenderer({ workDir });
    const st = await renderer.status(meta.id, ctx('job-face'));
    expect(st).toMatchObject({ state: 'done', timing: meta.timing });
  });

  it('moves its mouth: the mouth region differs between a loud frame and a silent one', async () => {
    // Silent: the middle of the pause between the scenes. Loud: the middle of the first sentence.
    const [a, b] = meta.timing.scenes;
    const silentAt = (a!.end + b!.start) / 2;
    const loudAt = (meta.timing.sentences[0]!.start + meta.timing.sentences[0]!.end) / 2;
    // Mouth region at 854x480 (the face is drawn centred; the mouth at y ~256).
    const mouth = { x: 387, y: 232, w: 80, h: 50 };
    const silent = await readFile(await frameAt(file, silentAt, join(root, 'silent.png'), { region: mouth }));
    // The loudest frame of a sentence is the one the mouth opens widest on.
    const pcmFrames = [loudAt - 0.2, loudAt - 0.1, loudAt, loudAt + 0.1, loudAt + 0.2];
    const louds = await Promise.all(
      pcmFrames.map((t, i) => frameAt(file, t, join(root, `loud-${i}.png`), { region: mouth }).then((f) => readFile(f))),
    );
    expect(louds.some((l) => !l.equals(silent))).toBe(true);
    // And the whole frame at the silent moment still shows the presenter (not a blank).
    await frameAt(file, silentAt, join(root, 'presenter.png'));
  });

  it('maps loudness to four mouth shapes relative to the speech, and blinks every few seconds', () => {
    expect(mouthShapes([-Infinity, -60, -40, -28, -20, -12, -12, -12, -12, -12])).toEqual([0, 0, 1, 2, 2, 3, 3, 3, 3, 3]);
    const blinks = blinkFrames(250, 25);
    const starts = blinks.flatMap((b, i) => (b && !blinks[i - 1] ? [i] : []));
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(blinks.filter(Boolean).length).toBe(starts.length * 4);
  });

  it('lists runs of equal frames once, the last one twice (ffconcat)', () => {
    const list = frameList(
      [
        { mouth: 0, blink: false },
        { mouth: 0, blink: false },
        { mouth: 2, blink: false },
      ],
      25,
    );
    expect(list).toBe(
      "ffconcat version 1.0\nfile 'presenter_m0_open.png'\nduration 0.080\nfile 'presenter_m2_open.png'\nduration 0.040\nfile 'presenter_m2_open.png'\n",
    );
  });

  it('gets one loudness value per 40 ms frame', () => {
    const data = Buffer.alloc(22050 * 2); // 1 s of 16-bit mono
    for (let i = 0; i < 11025; i++) data.writeInt16LE(i % 2 ? 16000 : -16000, i * 2);
    const db = frameLoudness({ sampleRate: 22050, channels: 1, bits: 16, data }, 25);
    expect(db).toHaveLength(25);
    expect(db[0]).toBeGreaterThan(-7);
    expect(db[24]).toBe(-Infinity);
  });

  it('plans speech as scenes of sentences', () => {
    expect(speechPlan({ script: 'A b c. D e f.', scenes: ['A b c.', ' ', 'D e f. G h.'] }, 'en')).toEqual([
      ['A b c.'],
      ['D e f.', 'G h.'],
    ]);
    expect(speechPlan({ script: 'One two. Three four.' }, 'en')).toEqual([['One two.', 'Three four.']]);
  });
});
