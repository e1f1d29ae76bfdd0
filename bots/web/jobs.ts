// What the web API knows about a job besides its /status record: whose it is (an API key, or an
// anonymous browser's token, stored hashed) and the last progress the worker reported. One small
// Redis hash per job, written by the API at upload and by the web adapter in the worker.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ProgressUpdate } from '../../pipeline/ports.js';
import { redisKeys } from '../../src/redis/keys.js';
import { runScript } from '../../src/redis/scripts.js';
import { HASH_WITH_TTL } from '../../src/redis/scripts/hash-with-ttl.js';

export interface WebJobState {
  /** `key:<name>` or `browser:<sha256 of the token>`. */
  owner: string;
  progress?: Pick<ProgressUpdate, 'step' | 'phase' | 'index' | 'total'>;
}

/** The owner id of an anonymous browser: its token is never stored as is. */
export const browserOwner = (token: string) => `browser:${createHash('sha256').update(token).digest('hex')}`;
export const keyOwner = (name: string) => `key:${name}`;

export class WebJobs {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** As long as a job's record can live: its kept video's retention. */
    private readonly ttlSeconds: number,
  ) {}

  private key(jobId: string) {
    return redisKeys(this.prefix).web.job(jobId);
  }

  async create(jobId: string, owner: string): Promise<void> {
    await runScript(this.redis, HASH_WITH_TTL, [this.key(jobId)], [this.ttlSeconds, 'owner', owner]);
  }

  async setProgress(jobId: string, p: WebJobState['progress']): Promise<void> {
    // Only for jobs the API created (a swept hash must not come back without its owner).
    if (!(await this.redis.exists(this.key(jobId)))) return;
    await this.redis.hset(this.key(jobId), { progress: JSON.stringify(p) });
  }

  async get(jobId: string): Promise<WebJobState | undefined> {
    const h = await this.redis.hgetall(this.key(jobId));
    if (!h.owner) return undefined;
    return { owner: h.owner, ...(h.progress ? { progress: JSON.parse(h.progress) as WebJobState['progress'] } : {}) };
  }

  async remove(jobId: string): Promise<void> {
    await this.redis.del(this.key(jobId));
  }
}
