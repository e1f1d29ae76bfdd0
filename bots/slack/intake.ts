// From a Slack file to a job, shared by the file_share event and the modal: who asked, where the
// answer goes, the dedupe key (one job per Slack file, whatever Slack redelivers), the submit,
// and the "Got it" message once the job is durable.
import type { WebClient } from '@slack/web-api';
import type { CoreServices } from '../../src/app/services.js';
import { JobError, formatBytes, isJobError, toLocale, type Locale } from '../../src/errors.js';
import type { SubmitOutcome } from '../../src/queue/submit.js';
import type { JobOptions, Requester, VideoJobData } from '../../pipeline/job.js';
import type { ChatAdapter } from '../../pipeline/ports.js';
import { rateLimitedText } from '../texts.js';
import type { Background } from './background.js';
import { fileRefOf, fileTitle, isPdfFile, type SlackFile } from './files.js';
import type { SlackLocales } from './locale.js';
import { redisKeys } from '../../src/redis/keys.js';

export interface SlackFrontDeps {
  services: CoreServices;
  /** The Slack chat adapter: the front door sends the job's first message through it. */
  adapter: ChatAdapter;
  client: WebClient;
  locales: SlackLocales;
  background: Background;
  /** Redis key prefix (the queue's). */
  prefix: string;
}

export const userKeyOf = (teamId: string, userId: string) => `slack:${teamId}:${userId}`;
export const dedupeKeyOf = (teamId: string, fileId: string) => `slack:${teamId}:${fileId}`;

export interface SlackOrigin {
  teamId: string;
  userId: string;
  channelId: string;
  /** Thread to answer in (the user's message, or the thread it was posted in). */
  threadTs?: string;
  /** The user's message that carried the file. */
  messageTs?: string;
  locale?: string;
}

export function requesterOf(o: SlackOrigin): Requester {
  return {
    platform: 'slack',
    userKey: userKeyOf(o.teamId, o.userId),
    userId: o.userId,
    chatId: o.channelId,
    teamId: o.teamId,
    ...(o.threadTs ? { threadId: o.threadTs } : {}),
    ...(o.messageTs ? { replyToMessageId: o.messageTs } : {}),
    ...(o.locale ? { locale: o.locale } : {}),
  };
}

export type IntakeOutcome = SubmitOutcome;

/** Checks that need no download: a PDF, within the size limit. */
export function precheck(file: SlackFile, maxPdfBytes: number): JobError | undefined {
  if (!isPdfFile(file)) return new JobError('NOT_A_PDF', `${file.filetype ?? file.mimetype ?? 'unknown'} file`);
  if (typeof file.size === 'number' && file.size > maxPdfBytes) {
    return new JobError('PDF_TOO_LARGE', `${file.size} bytes`, { vars: { limit: formatBytes(maxPdfBytes) } });
  }
  return undefined;
}

/**
 * Enqueue one job for one Slack file and, once it is durable, post its first message in the
 * background. Throws only when the job could not be stored (Slack then retries the request).
 */
export async function submitSlackFile(
  deps: SlackFrontDeps,
  origin: SlackOrigin,
  file: SlackFile,
  options: JobOptions = {},
): Promise<IntakeOutcome> {
  const { services } = deps;
  const refused = precheck(file, services.config.limits.maxPdfBytes);
  if (refused) return { status: 'refused', error: refused };

  const requester = requesterOf(origin);
  const title = fileTitle(file);
  let outcome: SubmitOutcome;
  try {
    outcome = await services.submitter.submit({
      dedupeKey: dedupeKeyOf(origin.teamId, file.id),
      requester,
      file: fileRefOf(file),
      options,
      ...(title ? { title } : {}),
    });
  } catch (err) {
    // An admission guard's refusal (BUDGET_EXCEEDED) is an answer; anything else is a failure.
    if (isJobError(err)) return { status: 'refused', error: err };
    throw err;
  }

  if (outcome.status === 'accepted') {
    const { jobId, position } = outcome;
    const data: VideoJobData = { requester, file: fileRefOf(file), options, checkpoint: {}, chat: {}, createdAt: Date.now() };
    const logger = services.logger.child({ jobId });
    deps.background.run('acknowledge', () =>
      deps.adapter.acknowledge({ jobId, shortId: jobId, data, logger, saveChatState: async () => {} }, { position }),
    );
  }
  return outcome;
}

/** The words for an outcome that is not "accepted", or undefined when nothing needs saying. */
export function outcomeText(deps: SlackFrontDeps, outcome: IntakeOutcome, locale: Locale): string | undefined {
  const limits = deps.services.config.limits;
  switch (outcome.status) {
    case 'limited':
      return rateLimitedText(locale, { max: limits.rateMax, windowSeconds: limits.rateWindowSeconds }, outcome.retryAfterMs);
    case 'busy':
    case 'refused':
      return outcome.error.userMessage(locale);
    default:
      return undefined;
  }
}

export const localeFor = (raw: string | undefined): Locale => toLocale(raw);

/** SET NX: true the first time a notice is sent for `key` (Slack redelivers events). */
export async function firstNotice(deps: SlackFrontDeps, key: string): Promise<boolean> {
  const ok = await deps.services.redis.set(redisKeys(deps.prefix).slack.notice(key), '1', 'EX', 86_400, 'NX');
  return ok === 'OK';
}
