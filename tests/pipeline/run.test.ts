// The pipeline end to end through the real queue and worker: real Redis, our real OpenRouter and
// D-ID clients against the local fakes, and the test adapter standing in for a chat.
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startFakeOpenRouter, type FakeOpenRouter } from '../fakes/openrouter.js';
import { startFakeDid, type FakeDid } from '../fakes/did.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { createTestAdapter, type TestEvent } from '../helpers/test-adapter.js';
import type { FileRef } from '../../pipeline/job.js';
import type { ChatAdapter } from '../../pipeline/ports.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/the-water-cycle.pdf');

let h: Harness | undefined;
let openrouter: FakeOpenRouter | undefined;
let did: FakeDid | undefined;
afterEach(async () => {
  await h?.close();
  await openrouter?.close();
  await did?.close();
  h = openrouter = did = undefined;
});

async function setup(opts: { webhooks?: boolean; failDeliveries?: number; publicUrl?: boolean; speech?: boolean } = {}) {
  openrouter = await startFakeOpenRouter();
  // speech: D-ID's video is the spoken script with its pauses (slow: a 90 s video to compose);
  // otherwise a 2-second clip, enough for the tests about the queue.
  did = await startFakeDid({ stageMs: 150, webhooks: opts.webhooks ?? true, speech: opts.speech ?? false });
  let adapter!: ReturnType<typeof createTestAdapter>;
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    publicUrl: opts.publicUrl ?? true,
    env: {
      OPENROUTER_API_KEY: openrouter.apiKey,
      OPENROUTER_BASE_URL: openrouter.url,
      DID_API_KEY: did.apiKey,
      DID_BASE_URL: did.url,
      DID_WEBHOOK_SECRET: 'webhook-secret-for-tests',
    },
    adapters: (s) => {
      adapter = createTestAdapter({
        redis: s.redis,
        prefix: s.queue.opts.prefix!,
        ...(opts.failDeliveries ? { failDeliveries: opts.failDeliveries } : {}),
      });
      return { test: adapter };
    },
  });
  return { h, adapter, openrouter, did };
}

async function submit(harness: Harness, n: number, file: FileRef = { kind: 'path', path: EXAMPLE }) {
  const r = await harness.services.submitter.submit({
    dedupeKey: `test:${n}`,
    requester: { platform: 'test', userKey: `test:user${n}`, userId: `user${n}`, chatId: 'chat' },
    file,
  });
  if (r.status !== 'accepted') throw new Error(`not accepted: ${r.status}`);
  return r.jobId;
}

async function finished(harness: Harness, jobId: string, timeoutMs = 120_000) {
  return waitFor(
    async () => {
      const rec = await harness.services.records.get(jobId);
      return rec && ['completed', 'failed', 'cancelled'].includes(rec.state) ? rec : undefined;
    },
    `job ${jobId} to finish`,
    timeoutMs,
  );
}

const videos = (events: TestEvent[]) => events.filter((e) => e.type === 'video');

describe('pipeline through the queue', () => {
  it('delivers a video, and the D-ID webhook wakes the waiting job', async () => {
    const { h, adapter, did, openrouter } = await setup({ webhooks: true, speech: true });
    const jobId = await submit(h, 1);
    const rec = await finished(h, jobId);
    expect(rec.state).toBe('completed');

    const events = await adapter.events(jobId);
    expect(videos(events)).toHaveLength(1);
    // The delivered file is the composite, not D-ID's raw video.
    const job0 = await h.services.queue.getJob(jobId);
    const compose = job0!.data.checkpoint.compose!;
    expect(videos(events)[0]).toMatchObject({ bytes: compose.bytes, as: 'file', title: 'The Water Cycle' });
    expect(compose.bytes).not.toBe(did.creates[0] && did.videos.get(did.creates[0].id)!.mp4!.length);
    expect(compose).toMatchObject({ layout: 'slides', captions: true, timing: 'pauses' });
    expect(events.filter((e) => e.type === 'progress').map((e) => (e as { step: string }).step)).toEqual([
      'fetch',
      'extract',
      'script',
      'render',
      'wait',
      'compose',
      'deliver',
    ]);
    expect(openrouter.requests).toHaveLength(1);
    expect(did.creates).toHaveLength(1);
    expect(did.creates[0]!.body).toMatchObject({
      presenter_id: 'v2_public_Amber@0zSz8kflCN',
      user_data: jobId,
      webhook: expect.stringMatching(new RegExp(`^${h.baseUrl}/did/webhook/${jobId}/[A-Za-z0-9_-]+$`)),
    });
    // The webhook woke the job well before the first 5 s poll: one poll when parking, one after.
    expect(h.logs.events('did_webhook').some((e) => e.woke === true)).toBe(true);
    const job = await h.services.queue.getJob(jobId);
    expect(job?.data.checkpoint.polls).toBeLessThanOrEqual(2);
    for (const event of [
      'job_created',
      'pdf_extracted',
      'llm_success',
      'did_video_ready',
      'video_composed',
      'delivered',
      'job_completed',
    ]) {
      expect(h.logs.events(event).length, event).toBeGreaterThan(0);
    }
    // The scenes went to D-ID as SSML with a pause between them.
    const script = did.creates[0]!.body.script as { input: string; ssml?: boolean };
    expect(script.ssml).toBe(true);
    expect(script.input).toMatch(/^<speak>[\s\S]*<break time="1200ms"\/>[\s\S]*<\/speak>$/);
  }, 150_000);

  it('finishes by polling when no webhook comes', async () => {
    const { h, adapter, did } = await setup({ webhooks: false, publicUrl: false });
    const jobId = await submit(h, 2);
    const rec = await finished(h, jobId, 28_000);
    expect(rec.state).toBe('completed');
    expect(videos(await adapter.events(jobId))).toHaveLength(1);
    expect(did.creates[0]!.body.webhook).toBeUndefined();
    const job = await h.services.queue.getJob(jobId);
    expect(job?.data.checkpoint.polls).toBeGreaterThanOrEqual(2);
    expect(h.logs.events('did_webhook')).toHaveLength(0);
  }, 35_000);

  it('never pays the LLM twice for the same PDF', async () => {
    const { h, adapter, openrouter } = await setup();
    const first = await submit(h, 3);
    await finished(h, first);
    const second = await submit(h, 4);
    await finished(h, second);
    expect(openrouter.requests).toHaveLength(1);
    const job = await h.services.queue.getJob(second);
    expect(job?.data.checkpoint.script?.cached).toBe(true);
    expect(videos(await adapter.events(second))).toHaveLength(1);
  });

  it('resumes a failed attempt from its checkpoint without repeating paid steps', async () => {
    // The first upload breaks half-way; the retry must not extract, write or render again.
    const { h, adapter, did, openrouter } = await setup({ failDeliveries: 1 });
    const jobId = await submit(h, 5);
    const rec = await finished(h, jobId);
    expect(rec.state).toBe('completed');
    expect(videos(await adapter.events(jobId))).toHaveLength(1);
    expect(openrouter.requests).toHaveLength(1);
    expect(did.creates).toHaveLength(1);
    expect(h.logs.events('pdf_extracted')).toHaveLength(1);
    expect(h.logs.events('job_retry')).toHaveLength(1);
    const job = await h.services.queue.getJob(jobId);
    expect(job?.attemptsMade).toBe(2); // the broken one and the one that delivered
  });

  it('fails with the code and tells the user when the PDF is bad', async () => {
    const { h, adapter, openrouter, did } = await setup();
    const corpus = process.env.CORPUS_DIR ?? path.resolve(import.meta.dirname, '../../../shared/corpus');
    const jobId = await submit(h, 6, { kind: 'path', path: path.join(corpus, 'py-pdf/libreoffice-writer-password.pdf') });
    const rec = await finished(h, jobId);
    expect(rec).toMatchObject({ state: 'failed', code: 'PDF_ENCRYPTED' });
    const fails = (await adapter.events(jobId)).filter((e) => e.type === 'fail');
    expect(fails).toEqual([expect.objectContaining({ code: 'PDF_ENCRYPTED', message: expect.stringContaining('password') })]);
    expect(openrouter.requests).toHaveLength(0);
    expect(did.creates).toHaveLength(0);
    expect(h.logs.events('job_failed')[0]).toMatchObject({ code: 'PDF_ENCRYPTED', jobId });
  });

  it('answers the D-ID webhook with 404 for a wrong token and changes nothing', async () => {
    const { h } = await setup();
    const res = await fetch(`${h.baseUrl}/did/webhook/somejob/not-the-token`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(h.logs.events('did_webhook')).toHaveLength(0);
  });
});

describe('pipeline with the offline providers (no keys)', () => {
  it('turns an Arabic document into an explainer: Arabic speech, 1280x720, the drawn presenter on the left', async () => {
    const outDir = path.join((await import('node:os')).tmpdir(), `d2v-ar-${Date.now()}`);
    let adapter!: ReturnType<typeof createTestAdapter>;
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      adapters: (s) => ({ test: (adapter = createTestAdapter({ redis: s.redis, prefix: s.queue.opts.prefix!, outDir })) }),
    });
    expect(h.services.writer.name).toBe('local');
    expect(h.services.renderer.name).toBe('local');
    const corpus = process.env.CORPUS_DIR ?? path.resolve(import.meta.dirname, '../../../shared/corpus');
    const jobId = await submit(h, 7, { kind: 'path', path: path.join(corpus, 'py-pdf/habibi-rotated.pdf') });
    const rec = await finished(h, jobId, 90_000);
    expect(rec.state).toBe('completed');
    const job = await h.services.queue.getJob(jobId);
    const script = job!.data.checkpoint.script!;
    expect(script.language).toBe('ar');
    expect(script.text).toMatch(/[\u0600-\u06FF]/);

    const [video] = videos(await adapter.events(jobId)) as Array<{ savedTo: string }>;
    const { probe, meanLuma } = await import('../helpers/media.js');
    const p = await probe(video!.savedTo);
    expect(p.codecs).toEqual(['audio:aac', 'video:h264']);
    expect(p).toMatchObject({ width: 1280, height: 720 });
    // The offline voice knows its timing: scenes change exactly with the speech.
    const compose = job!.data.checkpoint.compose!;
    expect(compose).toMatchObject({ layout: 'slides', captions: true, timing: 'renderer' });
    expect(compose.sceneStarts.length).toBe(script.scenes!.length);
    // The video lasts what the script's length predicts (plus the pauses between scenes).
    const pauses = (script.scenes!.length - 1) * 1.2;
    expect(Math.abs(p.duration - pauses - script.estimatedSeconds) / script.estimatedSeconds).toBeLessThan(0.15);
    // Right-to-left: the drawn presenter (dark suit at the bottom of its circle) is on the left,
    // the right column is plain background.
    const { slidesLayout } = await import('../../pipeline/render/layout.js');
    const pip = slidesLayout('ar').pip;
    const suit = (x: number) => ({ x: x + 100, y: pip.y + pip.size - 50, w: 56, h: 24 });
    expect(await meanLuma(video!.savedTo, 5, suit(pip.x))).toBeLessThan(110);
    expect(await meanLuma(video!.savedTo, 5, suit(slidesLayout('en').pip.x))).toBeGreaterThan(200);
    await (await import('node:fs/promises')).rm(outDir, { recursive: true, force: true });
  }, 120_000);
});

describe('job records', () => {
  it('are removed by the scheduled clean-up JOB_TTL_SECONDS after the job finishes', async () => {
    openrouter = await startFakeOpenRouter();
    did = await startFakeDid({ stageMs: 50 });
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      env: {
        JOB_TTL_SECONDS: '1',
        OPENROUTER_API_KEY: openrouter.apiKey,
        OPENROUTER_BASE_URL: openrouter.url,
        DID_API_KEY: did.apiKey,
        DID_BASE_URL: did.url,
      },
      adapters: (s) => ({ test: createTestAdapter({ redis: s.redis, prefix: s.queue.opts.prefix! }) }),
      worker: { sweepEveryMs: 200 },
    });
    const jobId = await submit(h, 8);
    await finished(h, jobId);
    expect((await h.services.records.listForUser('test:user8')).map((r) => r.jobId)).toEqual([jobId]);
    await waitFor(async () => (await h!.services.records.get(jobId)) === undefined, 'the record to be swept', 10_000);
    // Gone from /status, from the user index and from BullMQ (not only lazily).
    expect(await h.services.records.listForUser('test:user8')).toEqual([]);
    expect(await h.services.redis.zcard(`${h.prefix}:user-jobs:test:user8`)).toBe(0);
    await waitFor(async () => (await h!.services.queue.getJob(jobId)) === undefined, 'the BullMQ job to be cleaned', 10_000);
  });
});

describe('runPipeline on a finished checkpoint', () => {
  it('redoes nothing: no download, no LLM, no render, no second video', async () => {
    const { runPipeline } = await import('../../pipeline/run.js');
    const { memoryJob, jobData } = await import('../helpers/memory-job.js');
    const { captureLogs } = await import('../helpers/logs.js');
    const calls: string[] = [];
    // Stand-ins that record any method call made on them.
    const trap = <T extends object>(name: string): T =>
      new Proxy({} as T, {
        get: (_t, prop) => {
          if (prop === 'name') return name;
          if (prop === 'maxUploadBytes') return 1e9;
          return () => calls.push(`${name}.${String(prop)}`);
        },
      });
    const now = Date.now();
    const data = jobData({
      checkpoint: {
        fetch: { sha256: 'x', bytes: 10, localPath: '/nonexistent/input.pdf' },
        extract: { pages: 1, chars: 100, language: 'en', title: 'T', text: 'x' },
        script: { text: 'x', language: 'en', words: 60, estimatedSeconds: 24, provider: 'local', cached: false },
        render: { provider: 'd-id', videoId: 'v', createdAt: now, deadline: now + 1000 },
        wait: { resultUrl: 'https://example.invalid/v.mp4', polls: 1, durationSeconds: 24 },
        compose: {
          path: '/nonexistent/explainer.mp4',
          bytes: 10,
          durationSeconds: 24,
          layout: 'slides',
          captions: true,
          vttPath: '/nonexistent/c.vtt',
          sceneStarts: [0],
          timing: 'renderer',
        },
        deliver: { deliveredAt: now, bytes: 10, as: 'file' },
      },
    });
    const result = await runPipeline(memoryJob('done1', data), {
      logger: captureLogs().logger,
      adapters: { test: trap<ChatAdapter>('adapter') },
      writer: trap('writer'),
      renderer: trap('renderer'),
      media: trap('media'),
      pageImages: trap('pageImages'),
      videoDefaults: { layout: 'slides', captions: true },
      scriptCache: trap('cache'),
      isCancelled: async () => false,
      workDir: '/nonexistent',
      maxPdfBytes: 1000,
      renderDeadlineMs: 1000,
    });
    expect(calls).toEqual([]);
    expect(result).toEqual({ durationSeconds: 24, bytes: 10 });
  });
});
