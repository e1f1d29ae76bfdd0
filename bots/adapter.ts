// The one interface every front door implements. The worker drives a job through the pipeline
// and talks to the user only through this; platform specifics stay behind it.
import type { Readable } from 'node:stream';
import type { Logger } from '../src/logger.js';
import type { JobError } from '../src/errors.js';
import type { Platform, StepName, VideoJobData } from '../pipeline/job.js';

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

export function adapterFor(registry: AdapterRegistry, platform: Platform): ChatAdapter {
  const adapter = registry[platform];
  if (!adapter) throw new Error(`no chat adapter registered for platform "${platform}"`);
  return adapter;
}
