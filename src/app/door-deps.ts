// What every chat door is given from the services, built in one place (the doors' own index.ts
// add their platform's parts): the runtime pieces a door uses, never CoreServices itself.
import { UserPreferences } from '../jobs/preferences.js';
import type { CoreServices } from './services.js';
import type { JobRecord } from '../jobs/records.js';
import { keptVideoLink } from '../storage/links.js';

/** The queue's key prefix: front doors and workers must agree on it. */
export const prefixOf = (services: CoreServices): string => services.queue.opts.prefix ?? services.config.redisPrefix;

export function commonDoorDeps(services: CoreServices, platform: string) {
  const { config } = services;
  const prefix = prefixOf(services);
  return {
    submitter: services.submitter,
    records: services.records,
    // Our link to a finished job's kept video, for /status.
    keptLink: (rec: JobRecord) =>
      keptVideoLink(services.store, { publicUrl: config.publicUrl, linkSecret: config.storage.linkSecret }, rec),
    preferences: new UserPreferences(services.redis, prefix),
    cancel: (jobId: string, userKey: string) => services.cancel(jobId, userKey),
    redis: services.redis,
    prefix,
    logger: services.logger.child({ platform }),
    limits: {
      max: config.limits.rateMax,
      windowSeconds: config.limits.rateWindowSeconds,
      maxActive: config.limits.maxActivePerUser,
      maxPdfBytes: config.limits.maxPdfBytes,
    },
    usage: { redis: services.redis, prefix, config },
    videoDefaults: { layout: config.video.layout, captions: config.video.captions },
  };
}
