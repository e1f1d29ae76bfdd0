// The render claim (pipeline/ports.ts RenderClaims) in Redis. BullMQ runs a job at least once:
// a worker that loses its lock (Redis away for longer than the lock, a blocked event loop) may
// still be inside the D-ID create when another worker takes the job over from an older
// checkpoint that has no before-create marker yet. The checkpoint cannot settle that race; an
// atomic claim can: SET NX with a unique token, held for longer than a create can take.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RenderClaims } from '../../pipeline/ports.js';
import { redisKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { RELEASE_CLAIM } from '../redis/scripts/release-claim.js';

/** Longer than one create with its retries and look-ups can take (45 s timeout x 3, plus waits). */
const RENDER_CLAIM_MS = 5 * 60_000;

export function createRenderClaims(redis: Redis, prefix: string, holdMs = RENDER_CLAIM_MS): RenderClaims {
  const keys = redisKeys(prefix);
  return {
    async claim(jobId) {
      const token = randomBytes(9).toString('base64url');
      const ok = await redis.set(keys.renderClaim(jobId), token, 'PX', holdMs, 'NX');
      if (ok !== 'OK') return undefined;
      return {
        release: async () => {
          await runScript<number>(redis, RELEASE_CLAIM, [keys.renderClaim(jobId)], [token]);
        },
      };
    },
  };
}
