// Which Slack message shows a job's progress. The web process posts "Got it" right after the job
// is enqueued, and the worker may already be starting the job at that moment; both go through
// this small Redis record so that exactly one of them posts the message and the other edits it.
import type { Redis } from 'ioredis';
import { redisKeys } from '../../src/redis/keys.js';

export interface PostedMessage {
  channel: string;
  ts: string;
}

const PENDING = 'pending';
/**
 * A claimant that crashed between claim and post frees the claim after this long. Longer than a
 * post can take with its retries (SLACK_RETRY_POLICY), so a slow post is not mistaken for a crash.
 */
const CLAIM_TTL_SECONDS = 120;

export class SlackProgressMessages {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** How long the record outlives the job (finished jobs are kept JOB_TTL_SECONDS). */
    private readonly ttlSeconds: number,
  ) {}

  private key(jobId: string) {
    return redisKeys(this.prefix).slack.progress(jobId);
  }

  /** The posted message, 'pending' while someone is posting it, or undefined when nobody has. */
  async get(jobId: string): Promise<PostedMessage | 'pending' | undefined> {
    const v = await this.redis.get(this.key(jobId));
    if (v === null) return undefined;
    if (v === PENDING) return PENDING;
    try {
      const m = JSON.parse(v) as PostedMessage;
      return typeof m.channel === 'string' && typeof m.ts === 'string' ? m : undefined;
    } catch {
      return undefined;
    }
  }

  /** True when the caller won the right to post the message (and must call set() or release()). */
  async claim(jobId: string): Promise<boolean> {
    return (await this.redis.set(this.key(jobId), PENDING, 'EX', CLAIM_TTL_SECONDS, 'NX')) === 'OK';
  }

  async set(jobId: string, message: PostedMessage): Promise<void> {
    await this.redis.set(this.key(jobId), JSON.stringify(message), 'EX', this.ttlSeconds);
  }

  /** Give the claim back after a failed post, so that the other side may try. */
  async release(jobId: string): Promise<void> {
    const key = this.key(jobId);
    // Only a still-pending claim: never delete a message record that another side has set.
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
      1,
      key,
      PENDING,
    );
  }

  /** Wait a little for a message someone else is posting right now. */
  async waitFor(jobId: string, timeoutMs = 3_000): Promise<PostedMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.get(jobId);
      if (v !== PENDING) return v;
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
