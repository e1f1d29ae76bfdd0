// From a Slack file to a job, shared by the file_share event and the form: who asked, where the
// answer goes, the dedupe key (one job per Slack file, whatever Slack redelivers), the shared
// submitPdf, and the "Got it" message once the job is durable.
import type { WebClient } from '@slack/web-api';
import type { Locale } from '../../src/errors.js';
import type { JobOptions, Requester, VideoJobData } from '../../pipeline/job.js';
import type { ChatAdapter } from '../../pipeline/ports.js';
import { outcomeText, submitPdf, type FrontDoorDeps, type IntakeOutcome } from '../intake.js';
import type { Background } from './background.js';
import { fileRefOf, type SlackFile } from './files.js';
import type { SlackLocales } from './locale.js';
import { redisKeys } from '../../src/redis/keys.js';

export interface SlackFrontDeps extends FrontDoorDeps {
  /** The Slack chat adapter: the front door sends the job's first message through it. */
  adapter: ChatAdapter;
  client: WebClient;
  locales: SlackLocales;
  background: Background;
  /** ADMIN_IDS, as Slack names a user. */
  isAdmin(who: { teamId: string; userId: string }): boolean;
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

function requesterOf(o: SlackOrigin): Requester {
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
  const requester = requesterOf(origin);
  const ref = fileRefOf(file);
  const outcome = await submitPdf(deps, {
    dedupeKey: dedupeKeyOf(origin.teamId, file.id),
    requester,
    file: ref,
    facts: {
      name: file.name,
      title: file.title,
      mimeType: file.mimetype,
      fileType: file.filetype,
      ...(typeof file.size === 'number' ? { size: file.size } : {}),
    },
    maxBytes: deps.limits.maxPdfBytes,
    options,
  });

  if (outcome.status === 'accepted') {
    const { jobId, position } = outcome;
    const data: VideoJobData = { requester, file: ref, options, checkpoint: {}, chat: {}, createdAt: Date.now() };
    const logger = deps.logger.child({ jobId });
    deps.background.run('acknowledge', () =>
      deps.adapter.acknowledge({ jobId, shortId: jobId, data, logger, saveChatState: async () => {} }, { position }),
    );
  }
  return outcome;
}

/**
 * The words for a refusal, or undefined when nothing needs saying: "accepted" is posted by the
 * adapter, and a duplicate is a redelivery (events say their own word for a re-shared file).
 */
export function problemText(deps: SlackFrontDeps, outcome: IntakeOutcome, locale: Locale): string | undefined {
  return outcome.status === 'accepted' || outcome.status === 'duplicate' ? undefined : outcomeText(locale, outcome, deps.limits);
}

/** SET NX: true the first time a notice is sent for `key` (Slack redelivers events). */
export async function firstNotice(deps: SlackFrontDeps, key: string): Promise<boolean> {
  const ok = await deps.redis.set(redisKeys(deps.prefix).slack.notice(key), '1', 'EX', 86_400, 'NX');
  return ok === 'OK';
}
