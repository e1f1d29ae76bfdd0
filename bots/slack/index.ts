// Wiring of the Slack front door (web process) and chat adapter (worker) from CoreServices: the
// only Slack file that knows the whole; everything else takes the narrow deps built here.
// (startSlackFrontDoor itself is in app.ts beside the Bolt receivers and their HTTP mount.)
import type { WebClient } from '@slack/web-api';
import type { CoreServices } from '../../src/app/services.js';
import { UserPreferences } from '../../src/jobs/preferences.js';
import { isAdmin } from '../../src/ops/usage.js';
import type { ChatAdapter } from '../../pipeline/ports.js';
import { createSlackAdapter } from './adapter.js';
import { createSlackWebClient } from './api.js';
import type { Background } from './background.js';
import { userKeyOf, type SlackFrontDeps } from './intake.js';
import type { SlackLocales } from './locale.js';
import { SlackProgressMessages } from './progress.js';

/** The Redis prefix jobs, cancel flags and limits of this deployment live under. */
export const prefixOf = (services: CoreServices): string => services.queue.opts.prefix ?? services.config.redisPrefix;

/** The worker's Slack adapter: a WebClient of its own unless one is given (Bolt's, in the web process). */
export function slackAdapterFor(services: CoreServices, client?: WebClient): ChatAdapter {
  const { config, logger } = services;
  if (!config.slack.botToken) throw new Error('SLACK_BOT_TOKEN is not set');
  return createSlackAdapter({
    client: client ?? createSlackWebClient(config, logger),
    botToken: config.slack.botToken,
    fileHosts: config.slack.fileHosts,
    // Outlives the job: a job may wait in the queue and then render for a while.
    messages: new SlackProgressMessages(services.redis, prefixOf(services), config.limits.jobTtlSeconds + 2 * 86_400),
    logger: logger.child({ platform: 'slack' }),
  });
}

export function slackFrontDepsFrom(
  services: CoreServices,
  parts: { adapter: ChatAdapter; client: WebClient; locales: SlackLocales; background: Background },
): SlackFrontDeps {
  const { config } = services;
  const prefix = prefixOf(services);
  return {
    ...parts,
    submitter: services.submitter,
    records: services.records,
    preferences: new UserPreferences(services.redis, prefix),
    cancel: (jobId, userKey) => services.cancel(jobId, userKey),
    redis: services.redis,
    prefix,
    logger: services.logger.child({ platform: 'slack' }),
    limits: {
      max: config.limits.rateMax,
      windowSeconds: config.limits.rateWindowSeconds,
      maxActive: config.limits.maxActivePerUser,
      maxPdfBytes: config.limits.maxPdfBytes,
    },
    usage: { redis: services.redis, prefix, config },
    videoDefaults: { layout: config.video.layout, captions: config.video.captions },
    // ADMIN_IDS may name a Slack user by id ("U0123ABC"), as team:user ("T0123:U0123ABC"), or by
    // the user key the usage report shows ("slack:T0123:U0123ABC").
    isAdmin: (who) => isAdmin(config, [who.userId, `${who.teamId}:${who.userId}`, userKeyOf(who.teamId, who.userId)]),
  };
}
