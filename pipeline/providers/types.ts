// Provider interfaces: the pipeline steps take these as arguments, so a real HTTP client, an
// offline implementation or a client pointed at a local fake are interchangeable.
import type { Readable } from 'node:stream';
import type { Logger } from '../../src/logger.js';
import type { AvatarStyle } from '../../src/config.js';

export interface CallContext {
  jobId: string;
  logger: Logger;
  signal?: AbortSignal;
}

export interface ScriptRequest {
  title: string;
  text: string;
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
  model?: string;
  costUsd?: number;
  promptTokens?: number;
  completionTokens?: number;
}

export interface ScriptWriter {
  readonly name: 'openrouter' | 'local';
  /** The model asked for (part of the script cache key: another model writes another script). */
  readonly model?: string;
  write(request: ScriptRequest, ctx: CallContext): Promise<ScriptDraft>;
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
}

export type RenderStatus =
  | { state: 'pending'; raw: string }
  | { state: 'done'; resultUrl: string; durationSeconds?: number }
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
