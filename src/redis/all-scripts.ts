// Every doc2video script (src/redis/scripts/), defined on each connection as it is made
// (connection.ts). The web process's connection auto-pipelines: a tick's commands go into one
// ioredis Pipeline, and a Pipeline only knows the scripts defined on its connection before it was
// created, so a script defined on first use could miss the batch it is called in.
import type { RedisScript } from './scripts.js';
import { ACQUIRE_SLOT } from './scripts/acquire-slot.js';
import { ADMIT } from './scripts/admit.js';
import { BUDGET_RESERVE } from './scripts/budget-reserve.js';
import { HASH_WITH_TTL } from './scripts/hash-with-ttl.js';
import { RATE_WINDOW } from './scripts/rate-window.js';
import { RECORD_JOB_COST } from './scripts/record-job-cost.js';
import { RELEASE_CLAIM } from './scripts/release-claim.js';
import { RELEASE_SLOT } from './scripts/release-slot.js';

export const ALL_SCRIPTS: readonly RedisScript[] = [
  ACQUIRE_SLOT,
  ADMIT,
  BUDGET_RESERVE,
  HASH_WITH_TTL,
  RATE_WINDOW,
  RECORD_JOB_COST,
  RELEASE_CLAIM,
  RELEASE_SLOT,
];

/** ALL_SCRIPTS as ioredis's `scripts` option wants them. */
export function scriptDefinitions(): Record<string, { lua: string; numberOfKeys: number }> {
  return Object.fromEntries(ALL_SCRIPTS.map((s) => [s.name, { lua: s.lua, numberOfKeys: s.keys }]));
}
