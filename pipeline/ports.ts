// The ports of the pipeline: what it needs from the outside world, as interfaces. Front doors
// (bots/) implement the chat port, providers (pipeline/providers/) the script writer and video
// renderer ports, the runtime (src/) the job, slot gate, observer and script cache. The pipeline
// imports only these, so each side can change without the other (docs/architecture.md).
import type { Readable } from 'node:stream';
import type { AvatarStyle } from '../src/config.js';
import type { JobError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import type {
  Checkpoint,
  Platform,
  Scene,
  ScriptResult,
  Section,
  SpeechTiming,
  StepName,
  VideoJobData,
  VideoLayout,
} from './job.js';

// ---------------------------------------------------------------------------------------------
// The job and the runtime around it

/** The job as the pipeline sees it; the BullMQ specifics live in src/worker. */
export interface PipelineJob {
  readonly id: string;
  readonly data: VideoJobData;
  readonly signal: AbortSignal;
  /** Merge into data.checkpoint and persist before resolving. */
  saveCheckpoint(patch: Partial<Checkpoint>): Promise<void>;
  saveChat(patch: Record<string, unknown>): Promise<void>;
  /** Park the job until `at` without holding a worker slot. Never returns. */
  sleepUntil(at: number): Promise<never>;
}

/** Per-user concurrency: acquire (or renew) a slot before a paid step. */
export interface SlotGate {
  acquire(userKey: string, jobId: string): Promise<boolean>;
}

/** Hooks for metrics, costs and budgets; all optional. */
export interface PipelineObserver {
  /** May throw JobError(BUDGET_EXCEEDED) to stop before money is spent. */
  beforePaidStep?(job: PipelineJob, step: StepName): Promise<void>;
  stepStarted?(job: PipelineJob, step: StepName): void;
  stepFinished?(job: PipelineJob, step: StepName, durationMs: number): void;
  stateChanged?(job: PipelineJob, state: 'active' | 'waiting-slot' | 'rendering', step: StepName): Promise<void>;
  /**
   * Before LLM calls inside the script step (a long document's notes, then its script): the job
   * has spent `spentUsd` on them so far and is about to make at most `callsLeft` more. May throw
   * JobError(BUDGET_EXCEEDED) so that no call is paid without a hold covering it.
   */
  beforeLlmCalls?(job: PipelineJob, plan: { spentUsd: number; callsLeft: number }): Promise<void>;
}

/**
 * At most one attempt of a job may be inside the paid render create at a time, across workers:
 * `claim` answers undefined while another live attempt holds it (that attempt records the video,
 * or its claim lapses and the video it may have made is looked for before any new create).
 */
export interface RenderClaims {
  claim(jobId: string): Promise<{ release(): Promise<void> } | undefined>;
}

/** Scripts already written, by PDF and options: a repeated PDF never pays the LLM twice. */
export interface ScriptCacheKey {
  language: string;
  provider: 'openrouter' | 'local';
  model?: string;
}

export interface ScriptCache {
  get(pdfSha256: string, key: ScriptCacheKey): Promise<ScriptResult | undefined>;
  set(pdfSha256: string, key: ScriptCacheKey, result: ScriptResult): Promise<void>;
}

/** Section notes already written, by the hash of the request (text, length, language, model). */
export interface NotesCache {
  get(requestHash: string): Promise<string | undefined>;
  set(requestHash: string, notes: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The chat port: the one interface every front door implements. The worker talks to the user
// only through this; platform specifics stay behind it.

export interface AdapterContext {
  jobId: string;
  /** What the user sees and types in /cancel. */
  shortId: string;
  data: VideoJobData;
  logger: Logger;
  /** Merge adapter-owned state into the job (persisted before it resolves). */
  saveChatState(patch: Record<string, unknown>): Promise<void>;
}

export interface ProgressUpdate {
  step: StepName;
  /** 'waiting-slot': queued behind the user's other running videos. */
  phase: 'running' | 'waiting-slot' | 'rendering';
  /** 1-based step number and total, for a progress bar. */
  index: number;
  total: number;
  /**
   * What a long document's step is doing: extract "Reading N pages…" (`pagesRead` of `pages`),
   * script "Summarising N sections…".
   */
  detail?: { pagesRead?: number; pages?: number; sections?: number };
}

export interface FileSource {
  stream: Readable;
  /** Size from the platform's metadata when known (checked before reading). */
  size?: number;
  name?: string;
}

export interface VideoFile {
  path: string;
  bytes: number;
  fileName: string;
  title: string;
  durationSeconds?: number;
  /** Pages the script was written from, of `pages` in the document ("covers all 117 pages"). */
  coverage?: { pagesCovered: number; pages: number };
  /** A download link valid ~24 h, for platforms whose upload limit is below the file size. */
  linkUrl?: string;
}

export interface ChatAdapter {
  readonly platform: Platform;
  /** Largest video the platform takes as an upload; bigger ones go out as linkUrl. */
  readonly maxUploadBytes: number;
  /** Open the user's PDF. May throw JobError(PDF_TOO_LARGE / NOT_A_PDF) from metadata alone. */
  openFile(ctx: AdapterContext, maxBytes: number): Promise<FileSource>;
  /** "Got it, job abc123, 2nd in the queue." Sent by the front door once the job is durable. */
  acknowledge(ctx: AdapterContext, info: { position: number }): Promise<void>;
  progress(ctx: AdapterContext, update: ProgressUpdate): Promise<void>;
  deliverVideo(ctx: AdapterContext, video: VideoFile): Promise<{ as: 'file' | 'link' }>;
  fail(ctx: AdapterContext, error: JobError): Promise<void>;
}

/**
 * Thrown by an adapter when the conversation is gone for good (bot blocked, channel archived,
 * app removed). The pipeline stops the job quietly: no more chat output, no more paid calls.
 */
export class ChatUnavailableError extends Error {
  override name = 'ChatUnavailableError';
  constructor(
    readonly platform: Platform,
    readonly reason: string,
  ) {
    super(`${platform} chat unavailable: ${reason}`);
  }
}

export type AdapterRegistry = Partial<Record<Platform, ChatAdapter>>;

/**
 * Keeps every delivered video (and its captions) for the retention period, so a link to it can
 * be handed out and the job's record outlives JOB_TTL_SECONDS. Implemented by the runtime with
 * the video store (src/storage/keeper.ts).
 */
export interface VideoKeeper {
  keep(video: { jobId: string; path: string; bytes: number; seconds?: number; captionsPath?: string }): Promise<{
    /** Our link (signed, or the store's presigned URL), when one can be made. */
    url?: string;
    expiresAt: number;
  }>;
}

export function adapterFor(registry: AdapterRegistry, platform: Platform): ChatAdapter {
  const adapter = registry[platform];
  if (!adapter) throw new Error(`no chat adapter registered for platform "${platform}"`);
  return adapter;
}

// ---------------------------------------------------------------------------------------------
// Provider ports: a real HTTP client, an offline implementation or a client pointed at a local
// fake are interchangeable.

export interface CallContext {
  jobId: string;
  logger: Logger;
  signal?: AbortSignal;
}

/** A long document's part as the script writer sees it: its notes and its share of the script. */
export interface NotesSection extends Section {
  notes: string;
  /** About how many words of the script this part gets (in proportion to its text). */
  words: number;
}

export interface ScriptRequest {
  title: string;
  text: string;
  /** The document's sections (the offline writer spreads its picks across them). */
  sections?: Section[];
  /**
   * A long document: write from these notes (in document order) and `lead` (the abstract or the
   * first page) instead of the text itself.
   */
  notes?: NotesSection[];
  lead?: { page: number; text: string };
  /** Text per page (index = page - 1), when known: scenes name the pages they talk about. */
  pageTexts?: string[];
  /** ISO 639-1 code of the language the script must be written in. */
  language: string;
  minWords: number;
  maxWords: number;
  targetWords: number;
  /** Why the previous draft was refused ("too long: 520 words, at most 400"). */
  feedback?: string;
}

export interface ScriptDraft {
  text: string;
  /** The same script cut into scenes, when the writer gave them (text = scenes joined). */
  scenes?: Scene[];
  model?: string;
  costUsd?: number;
  promptTokens?: number;
  completionTokens?: number;
}

/** One section (or group of small ones) of a long document, to be summarised into notes. */
export interface NotesRequest {
  /** The document's title. */
  title: string;
  section: Section;
  /** The section's text, its pages marked "[Page N]". */
  text: string;
  language: string;
  /** The notes' length, in words (at most). */
  maxWords: number;
}

export interface ScriptWriter {
  readonly name: 'openrouter' | 'local';
  /** The model asked for (part of the script cache key: another model writes another script). */
  readonly model?: string;
  /** The model that writes section notes (part of the notes cache key). */
  readonly notesModel?: string;
  write(request: ScriptRequest, ctx: CallContext): Promise<ScriptDraft>;
  /**
   * Short notes on one section of a long document. Writers without it (the offline one) get the
   * whole text in `write` and pick from it themselves.
   */
  summarise?(request: NotesRequest, ctx: CallContext): Promise<ScriptDraft>;
}

export interface RenderRequest {
  script: string;
  language: string;
  /** Microsoft Azure voice short name, e.g. en-US-JennyNeural. */
  voiceId: string;
  avatarStyle: AvatarStyle;
  title: string;
  /** Where the provider calls back when done (D-ID only; absent without PUBLIC_URL). */
  webhookUrl?: string;
  /**
   * The script's scenes in order (their texts joined = script). The renderer leaves a pause of
   * SCENE_PAUSE_SECONDS between them, so scene changes can be found in the finished video.
   */
  scenes?: string[];
}

export type RenderStatus =
  | { state: 'pending'; raw: string }
  | { state: 'done'; resultUrl: string; durationSeconds?: number; timing?: SpeechTiming }
  | { state: 'error'; reason: string }
  | { state: 'rejected'; reason: string };

export interface VideoRenderer {
  readonly name: 'd-id' | 'local';
  /** Start a render. `ctx.jobId` goes out as user_data so a lost answer can be found again. */
  create(request: RenderRequest, ctx: CallContext): Promise<{ id: string }>;
  /** A video this job already created, when a create's answer was lost. */
  findExisting(ctx: CallContext): Promise<{ id: string } | undefined>;
  status(videoId: string, ctx: CallContext): Promise<RenderStatus>;
  /** Stream the finished MP4. Throws ResultUrlExpiredError on 403 (re-read the status). */
  download(resultUrl: string, ctx: CallContext): Promise<Readable>;
}

export class ResultUrlExpiredError extends Error {
  override name = 'ResultUrlExpiredError';
}

// --- pictures and compositing ----------------------------------------------------------------

export interface PageImageRequest {
  pdfPath: string;
  /** Pages in the document (pages past it are skipped). */
  pageCount: number;
  /** 1-based pages to render. */
  pages: number[];
  outDir: string;
  /** Long side of each image in pixels. */
  size: number;
}

export interface PageImages {
  /** page -> PNG path. A page that cannot be rendered is left out (and logged). */
  render(request: PageImageRequest, ctx: CallContext): Promise<Map<number, string>>;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One full frame (1280x720): a page image fitted into `box` on the background, or the background alone. */
export interface SlideRequest {
  page?: string;
  box: Box;
  width: number;
  height: number;
  background: string;
  output: string;
}

export interface CompositionPlan {
  /** The presenter video with the speech (D-ID's MP4 or the local renderer's). */
  presenter: string;
  durationSeconds: number;
  width: number;
  height: number;
  layout: VideoLayout;
  /** slides layout: full frames and how long each shows, in order (summing to the duration). */
  slides: Array<{ image: string; seconds: number }>;
  /** slides layout: the presenter's circle (top-left corner and diameter). */
  pip?: { x: number; y: number; size: number };
  background: string;
  /** ASS file burned in (captions, card titles); none when absent. */
  assFile?: string;
  output: string;
  title: string;
  /** ISO 639-1, for the audio track's language tag. */
  language: string;
}

export interface MediaInfo {
  durationSeconds: number;
  width: number;
  height: number;
  hasAudio: boolean;
}

/** ffmpeg behind a port: the compose step decides what to make, this makes it. */
export interface MediaToolkit {
  probe(file: string, ctx: CallContext): Promise<MediaInfo>;
  /** Stretches of the audio quieter than `noiseDb` for at least `minSeconds`. */
  silences(
    file: string,
    opts: { noiseDb: number; minSeconds: number },
    ctx: CallContext,
  ): Promise<Array<{ start: number; end: number }>>;
  slide(request: SlideRequest, ctx: CallContext): Promise<void>;
  compose(plan: CompositionPlan, ctx: CallContext): Promise<void>;
  /** Re-encode `input` to at most `maxBytes` (lower bitrate, same size and duration); the new size. */
  shrink(input: string, output: string, maxBytes: number, ctx: CallContext): Promise<number>;
}
