// Drives one job through the steps. Each step is a plain function; this loop runs the first step
// without a checkpoint, records its result in the job, then goes on. A job that was retried,
// or parked while a video renders, starts again here and skips what is already done.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../src/logger.js';
import { JobError } from '../src/errors.js';
import { PAID_STEPS, STEPS, stepNumber, type StepName, type VideoJobResult, type VideoLayout } from './job.js';
import {
  adapterFor,
  type AdapterContext,
  type AdapterRegistry,
  type CallContext,
  type ChatAdapter,
  type MediaToolkit,
  type NotesCache,
  type PageImages,
  type PipelineJob,
  type PipelineObserver,
  type ProgressUpdate,
  type RenderClaims,
  type ScriptCache,
  type ScriptWriter,
  type SlotGate,
  type VideoKeeper,
  type VideoRenderer,
} from './ports.js';
import { fetchStep } from './steps/fetch.js';
import { extractStep } from './steps/extract.js';
import { scriptStep } from './steps/script.js';
import { renderStep } from './steps/render.js';
import { waitStep } from './steps/wait.js';
import { composeStep } from './steps/compose.js';
import { deliverStep } from './steps/deliver.js';
import type { LongDocumentSettings } from './script/long-document.js';

/** From this many pages on, the extract step says how many pages it reads ("Reading 118 pages…"). */
const LONG_DOCUMENT_PAGES = 20;

export interface PipelineDeps {
  logger: Logger;
  adapters: AdapterRegistry;
  writer: ScriptWriter;
  renderer: VideoRenderer;
  /** ffmpeg: probing, silence detection, the composite. */
  media: MediaToolkit;
  /** PDF pages -> images for the slides layout. */
  pageImages: PageImages;
  /** Layout and burned-in captions when the job does not say (config VIDEO_LAYOUT / VIDEO_CAPTIONS). */
  videoDefaults: { layout: VideoLayout; captions: boolean };
  scriptCache: ScriptCache;
  /** Section notes of long documents, shared between jobs (absent: each job writes its own). */
  notesCache?: NotesCache;
  /** Pages read (MAX_PDF_PAGES) and how a long document is written (SCRIPT_SINGLE_CALL_CHARS...). */
  longDocuments?: LongDocumentSettings & { maxPdfPages: number };
  slots?: SlotGate;
  observer?: PipelineObserver;
  isCancelled(jobId: string): Promise<boolean>;
  /** Where this worker keeps a job's PDF and MP4 while it runs. */
  workDir: string;
  maxPdfBytes: number;
  renderDeadlineMs: number;
  webhookUrlFor?(jobId: string): string | undefined;
  /** How long a job waits for a concurrency slot before checking again (a release wakes it early). */
  slotRecheckMs?: number;
  /** Keeps delivered videos in the store (absent in the CLI: its video goes to --out). */
  keeper?: VideoKeeper;
  /** One attempt at a time inside the paid render create (optional: a single-process CLI needs none). */
  renderClaims?: RenderClaims;
  /** How long a job waits when another attempt holds its render claim. */
  renderClaimRecheckMs?: number;
}

export function adapterContext(job: PipelineJob, logger: Logger): AdapterContext {
  return {
    jobId: job.id,
    // Job ids are already short (10 characters, see jobIdFor): the id is what users type.
    shortId: job.id,
    data: job.data,
    logger,
    saveChatState: (patch) => job.saveChat(patch),
  };
}

export async function runPipeline(job: PipelineJob, deps: PipelineDeps): Promise<VideoJobResult> {
  const logger = deps.logger.child({ jobId: job.id });
  const adapter = adapterFor(deps.adapters, job.data.requester.platform);
  const actx = adapterContext(job, logger);
  const call: CallContext = { jobId: job.id, logger, signal: job.signal };
  const jobDir = path.join(deps.workDir, job.id);
  const stopAfter = job.data.options.stopAfter;

  for (const step of STEPS) {
    const cp = job.data.checkpoint;
    // Files on this worker's disk: the PDF is needed until the text is extracted (and again for
    // page images, fetched then if missing), the composite until it is delivered. Another worker
    // fetches or composes again; neither is paid.
    const lost = () =>
      (step === 'fetch' && !cp.extract && !existsSync(cp.fetch!.localPath)) ||
      (step === 'compose' && !cp.deliver && !existsSync(cp.compose!.path));
    const done = cp[step] !== undefined && !lost();
    if (done) {
      if (step === stopAfter) return { stoppedAfter: step };
      continue;
    }

    await throwIfCancelled(job, deps);
    if (PAID_STEPS.includes(step)) {
      await holdSlot(job, step, adapter, actx, deps);
      await deps.observer?.beforePaidStep?.(job, step);
    }
    await deps.observer?.stateChanged?.(job, step === 'wait' ? 'rendering' : 'active', step);
    if (step !== 'wait' || cp.polls === undefined) {
      await reportProgress(adapter, actx, logger, { step, phase: step === 'wait' ? 'rendering' : 'running' });
    }

    deps.observer?.stepStarted?.(job, step);
    const started = Date.now();
    switch (step) {
      case 'fetch': {
        const fetched = await fetchStep(adapter, actx, { dir: jobDir, maxBytes: deps.maxPdfBytes });
        await job.saveCheckpoint({ fetch: fetched });
        break;
      }
      case 'extract': {
        // The page count arrives before the text is read: a long document says how long it is.
        let told: Promise<void> = Promise.resolve();
        const extracted = await extractStep(job.data.checkpoint.fetch!, {
          logger,
          jobId: job.id,
          signal: job.signal,
          options: {
            ...(deps.longDocuments ? { maxPages: deps.longDocuments.maxPdfPages } : {}),
            onPages: ({ pages, pagesRead }) => {
              if (pages < LONG_DOCUMENT_PAGES) return;
              told = reportProgress(adapter, actx, logger, { step, phase: 'running', detail: { pages, pagesRead } }).catch(
                () => undefined,
              );
            },
          },
        });
        await told;
        await job.saveCheckpoint({ extract: extracted });
        break;
      }
      case 'script': {
        const script = await scriptStep(
          { extract: cp.extract!, pdfSha256: cp.fetch!.sha256, options: job.data.options, notes: cp.notes ?? {} },
          {
            writer: deps.writer,
            cache: deps.scriptCache,
            ctx: call,
            ...(deps.notesCache ? { notesCache: deps.notesCache } : {}),
            ...(deps.longDocuments ? { long: deps.longDocuments } : {}),
            saveNotes: (notes) => job.saveCheckpoint({ notes }),
            beforeLlmCalls: async (plan) => {
              await throwIfCancelled(job, deps);
              await deps.observer?.beforeLlmCalls?.(job, plan);
            },
            onSummarising: (sections) => reportProgress(adapter, actx, logger, { step, phase: 'running', detail: { sections } }),
          },
        );
        await job.saveCheckpoint({ script });
        break;
      }
      case 'render': {
        // Another attempt of this job may be inside the create right now (it lost its lock but
        // runs on): wait for it to record the video, or for its claim to lapse.
        const claim = deps.renderClaims ? await deps.renderClaims.claim(job.id) : { release: async () => {} };
        if (!claim) {
          logger.warn(
            { event: 'render_claimed_elsewhere' },
            'another attempt of this job is creating its video; looking again later',
          );
          return job.sleepUntil(Date.now() + (deps.renderClaimRecheckMs ?? 15_000));
        }
        try {
          const render = await renderStep(job, {
            renderer: deps.renderer,
            ctx: call,
            deadlineMs: deps.renderDeadlineMs,
            webhookUrl: deps.webhookUrlFor?.(job.id),
            beforeCreate: () => throwIfCancelled(job, deps),
          });
          await job.saveCheckpoint({ render });
        } finally {
          await claim.release().catch(() => undefined);
        }
        break;
      }
      case 'wait': {
        const outcome = await waitStep(cp.render!, cp.polls ?? 0, { renderer: deps.renderer, ctx: call });
        if ('retryAt' in outcome) {
          await job.saveCheckpoint({ polls: (cp.polls ?? 0) + 1 });
          deps.observer?.stepFinished?.(job, step, Date.now() - started);
          return job.sleepUntil(outcome.retryAt);
        }
        await job.saveCheckpoint({ wait: outcome.done, polls: (cp.polls ?? 0) + 1 });
        break;
      }
      case 'compose': {
        const composed = await composeStep(job, {
          renderer: deps.renderer,
          media: deps.media,
          pageImages: deps.pageImages,
          ctx: call,
          dir: jobDir,
          captionsDir: path.join(deps.workDir, 'captions'),
          defaults: deps.videoDefaults,
          ensurePdf: async () => {
            const have = job.data.checkpoint.fetch!;
            if (existsSync(have.localPath)) return have.localPath;
            const fetched = await fetchStep(adapter, actx, { dir: jobDir, maxBytes: deps.maxPdfBytes });
            // Another file under the same job would show the wrong pages.
            if (fetched.sha256 !== have.sha256) throw new JobError('PDF_CORRUPT', 'the PDF changed since it was read');
            await job.saveCheckpoint({ fetch: fetched });
            return fetched.localPath;
          },
        });
        await job.saveCheckpoint({ compose: composed });
        break;
      }
      case 'deliver': {
        await throwIfCancelled(job, deps);
        const delivered = await deliverStep(job, adapter, actx, {
          media: deps.media,
          ctx: call,
          dir: jobDir,
          ...(deps.keeper ? { keeper: deps.keeper } : {}),
        });
        await job.saveCheckpoint({ deliver: delivered });
        logger.info({ event: 'delivered', bytes: delivered.bytes, as: delivered.as }, 'video delivered');
        break;
      }
    }
    deps.observer?.stepFinished?.(job, step, Date.now() - started);
    if (step === stopAfter) return { stoppedAfter: step };
  }

  const cp = job.data.checkpoint;
  const durationSeconds = cp.compose?.durationSeconds ?? cp.wait?.durationSeconds;
  return {
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    ...(cp.deliver ? { bytes: cp.deliver.bytes } : {}),
  };
}

async function throwIfCancelled(job: PipelineJob, deps: PipelineDeps): Promise<void> {
  if (job.signal.aborted || (await deps.isCancelled(job.id))) throw new JobError('CANCELLED');
}

async function holdSlot(
  job: PipelineJob,
  step: StepName,
  adapter: ChatAdapter,
  actx: AdapterContext,
  deps: PipelineDeps,
): Promise<void> {
  if (!deps.slots) return;
  if (await deps.slots.acquire(job.data.requester.userKey, job.id)) return;
  // Tell the user once that this video waits behind their others, then park without a worker slot.
  if (!job.data.chat.toldWaitingSlot) {
    await reportProgress(adapter, actx, deps.logger, { step, phase: 'waiting-slot' });
    await job.saveChat({ toldWaitingSlot: true });
  }
  await deps.observer?.stateChanged?.(job, 'waiting-slot', step);
  deps.logger.info({ event: 'waiting_for_slot', jobId: job.id, step }, 'user has the maximum of active jobs');
  return job.sleepUntil(Date.now() + (deps.slotRecheckMs ?? 30_000));
}

async function reportProgress(
  adapter: ChatAdapter,
  actx: AdapterContext,
  logger: Logger,
  u: { step: StepName; phase: 'running' | 'waiting-slot' | 'rendering'; detail?: ProgressUpdate['detail'] },
): Promise<void> {
  try {
    await adapter.progress(actx, { ...u, index: stepNumber(u.step), total: STEPS.length });
  } catch (err) {
    // Progress is a courtesy; only a conversation that is gone for good stops the job.
    if ((err as Error).name === 'ChatUnavailableError') throw err;
    logger.warn({ event: 'progress_failed', err }, 'could not post progress');
  }
}
