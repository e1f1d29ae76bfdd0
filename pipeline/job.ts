// The shape of a video job as stored in BullMQ. Everything here must be JSON: the job is
// read back by another process, possibly after a crash, and resumes from `checkpoint`.
import type { AvatarStyle } from '../src/config.js';

/**
 * The front doors a job can come from, as keys of an interface so that tests can register a
 * platform of their own (tests/helpers/test-adapter.ts augments it) without the production build
 * knowing about it.
 */
export interface Platforms {
  telegram: true;
  slack: true;
  cli: true;
  web: true;
}
export type Platform = keyof Platforms;

/** Who asked, and where the answer goes. */
export interface Requester {
  platform: Platform;
  /** Stable per person: Telegram user id, Slack `${team}:${user}`, "cli:<os user>". Limits key on it. */
  userKey: string;
  /** Display-only id of the user on the platform (Telegram id, Slack user id). */
  userId: string;
  chatId: string;
  /** Slack thread_ts / Telegram forum topic id. */
  threadId?: string;
  /** The message that carried the PDF (the video is sent as a reply to it). */
  replyToMessageId?: string;
  /** Slack workspace. */
  teamId?: string;
  /** BCP-47-ish language of the user's client ("ar", "en-US"), for our own messages. */
  locale?: string;
}

/** Where the PDF is. The bytes never go into Redis. */
export type FileRef =
  | { kind: 'path'; path: string; name?: string; size?: number }
  | { kind: 'telegram'; fileId: string; fileUniqueId?: string; name?: string; size?: number; mimeType?: string }
  | { kind: 'slack'; fileId: string; url?: string; name?: string; size?: number; mimeType?: string }
  | { kind: 'url'; url: string; name?: string; size?: number }
  /** A PDF uploaded through the web API, waiting in the video store's uploads area. */
  | { kind: 'upload'; key: string; name?: string; size?: number };

/** How the explainer is laid out: the page with the presenter in a corner, or the presenter alone. */
export type VideoLayout = 'slides' | 'presenter';
export const VIDEO_LAYOUTS: readonly VideoLayout[] = ['slides', 'presenter'];

export interface JobOptions {
  avatarStyle?: AvatarStyle;
  /** Default: config VIDEO_LAYOUT (slides). */
  layout?: VideoLayout;
  /** Burned-in captions; default: config VIDEO_CAPTIONS (on). A WebVTT file is kept either way. */
  captions?: boolean;
  /** ISO 639-1 language the user asked for; overrides detection. */
  language?: string;
  /** The CLI's `script` command stops after the script step. */
  stopAfter?: StepName;
}

export const STEPS = ['fetch', 'extract', 'script', 'render', 'wait', 'compose', 'deliver'] as const;
export type StepName = (typeof STEPS)[number];
/** Steps that spend money or hold a render: the per-user concurrency limit applies to these. */
export const PAID_STEPS: readonly StepName[] = ['script', 'render', 'wait', 'compose', 'deliver'];

export interface FetchResult {
  sha256: string;
  bytes: number;
  /** Where this worker put the bytes; another worker re-fetches when the file is not there. */
  localPath: string;
}

/** A part of the document: a chapter from the outline, a heading's run of pages, or an even run. */
export interface Section {
  title: string;
  /** 1-based, inclusive. */
  firstPage: number;
  lastPage: number;
}

/** How the sections were found: the PDF's outline (bookmarks), large headings, or even runs of pages. */
export type SectionSource = 'outline' | 'headings' | 'pages';

export interface ExtractResult {
  pages: number;
  /**
   * Pages whose text was read: all of them up to MAX_PDF_PAGES, else the first MAX_PDF_PAGES
   * (the user is told). Absent in checkpoints written before it existed (then: up to 300).
   */
  pagesRead?: number;
  /** Characters of real text (whitespace and direction marks excluded), before the cap. */
  chars: number;
  /** ISO 639-1 code, e.g. "en", "ar", "de". */
  language: string;
  title: string;
  /** The start of the extracted text, capped at the single-call size (50,000 characters). */
  text: string;
  /**
   * Text of every page read (index = page - 1), so scenes can point at the page they talk about
   * and a long document is written from all of it. Older checkpoints hold only the first 50,000
   * characters; absent in checkpoints written before it existed.
   */
  pageTexts?: string[];
  /** The document's sections in order, covering pages 1..pagesRead. Absent in older checkpoints. */
  sections?: Section[];
  sectionSource?: SectionSource;
}

/** Short notes on one group of sections, written by the notes model (a long document only). */
export interface SectionNotes {
  notes: string;
  model?: string;
  /** What this call cost (0 when the notes came from the notes cache). */
  costUsd: number;
  promptTokens?: number;
  completionTokens?: number;
  cached: boolean;
}

/** One to a few sentences of the script and the PDF pages (1-based) shown while they are spoken. */
export interface Scene {
  text: string;
  /** Empty: no page (the title card at the start, a closing card at the end). */
  pages: number[];
}

export interface ScriptResult {
  /** The whole script: the scenes' texts joined by blank lines. */
  text: string;
  /** Always set by the script step; absent in checkpoints written before scenes existed. */
  scenes?: Scene[];
  language: string;
  words: number;
  estimatedSeconds: number;
  provider: 'openrouter' | 'local';
  model?: string;
  costUsd?: number;
  /** True when the script came from the cache (no LLM call was paid for this job). */
  cached: boolean;
  /** Pages of the document the script was written from (absent: not recorded). */
  pagesCovered?: number;
  /** Notes calls made for a long document (paid or from the notes cache), besides the script call. */
  notesCalls?: number;
}

export interface RenderResult {
  provider: 'd-id' | 'local';
  videoId: string;
  createdAt: number;
  /** Epoch ms after which the wait step gives up with VIDEO_TIMEOUT. */
  deadline: number;
}

/** A stretch of the speech, in seconds from the start of the video. */
export interface Span {
  start: number;
  end: number;
}

/** When each scene and sentence is spoken, as the renderer knows it (the local voice does). */
export interface SpeechTiming {
  /** One per scene, in order. */
  scenes: Span[];
  sentences: Array<Span & { text: string }>;
}

export interface WaitResult {
  resultUrl: string;
  durationSeconds?: number;
  polls: number;
  /** Exact speech timing when the renderer knows it (local); D-ID's is found from its pauses. */
  timing?: SpeechTiming;
}

export interface ComposeResult {
  /** The explainer MP4 on this worker's disk (another worker composes again: nothing is paid). */
  path: string;
  bytes: number;
  durationSeconds: number;
  layout: VideoLayout;
  captions: boolean;
  /** The WebVTT captions, kept with the job after delivery. */
  vttPath: string;
  /** When each scene starts (seconds). */
  sceneStarts: number[];
  /** How scene times were found: the renderer's own timing, pauses in the audio, or the word-count estimate. */
  timing: 'renderer' | 'pauses' | 'estimate';
}

export interface DeliverResult {
  deliveredAt: number;
  bytes: number;
  /** Re-encoded to fit the platform's upload limit. */
  shrunk?: boolean;
  /** How it went out: as a file, or as a link when the platform's upload limit is lower. */
  as: 'file' | 'link';
}

export interface Checkpoint {
  fetch?: FetchResult;
  extract?: ExtractResult;
  script?: ScriptResult;
  render?: RenderResult;
  wait?: WaitResult;
  compose?: ComposeResult;
  deliver?: DeliverResult;
  /**
   * Notes on a long document's sections, by the hash of the text they summarise, saved one by
   * one as they arrive: a job that crashes mid-notes resumes without paying any of them twice.
   * Their cost is part of script.costUsd once the script is written.
   */
  notes?: Record<string, SectionNotes>;
  /** Polls made so far in the wait step (drives the back-off schedule). */
  polls?: number;
  /**
   * Set (durably) just before a paid render create is sent. When present without `render`, the
   * create's answer was lost: look for the video it may have made before creating another.
   */
  renderAttemptedAt?: number;
}

export interface VideoJobData {
  requester: Requester;
  file: FileRef;
  options: JobOptions;
  checkpoint: Checkpoint;
  /** State owned by the chat adapter (e.g. the id of the progress message it edits). */
  chat: Record<string, unknown>;
  createdAt: number;
}

export type VideoJobResult = {
  durationSeconds?: number;
  bytes?: number;
  stoppedAfter?: StepName;
};

export function nextStep(checkpoint: Checkpoint): StepName | undefined {
  return STEPS.find((s) => checkpoint[s] === undefined);
}

/** 1-based position of a step, for progress bars. */
export function stepNumber(step: StepName): number {
  return STEPS.indexOf(step) + 1;
}
