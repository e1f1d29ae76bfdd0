// Per-user choices that outlive a job (today: the presenter's avatar style), keyed by the same
// userKey the limits use ("tg:<id>", Slack "team:user"), so each platform's user has their own.
import type { Redis } from 'ioredis';
import { AVATAR_STYLES, type AvatarStyle } from '../config.js';
import { redisKeys } from '../redis/keys.js';

/** Unused preferences fade out: a user who comes back after a year starts from the defaults. */
const PREFERENCE_TTL_SECONDS = 365 * 86_400;

export class UserPreferences {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(userKey: string): string {
    return redisKeys(this.prefix).preferences(userKey);
  }

  async getAvatar(userKey: string): Promise<AvatarStyle | undefined> {
    const v = await this.redis.hget(this.key(userKey), 'avatar');
    // A value written by an older version with a style that no longer exists is ignored.
    return v && (AVATAR_STYLES as readonly string[]).includes(v) ? (v as AvatarStyle) : undefined;
  }

  async setAvatar(userKey: string, style: AvatarStyle): Promise<void> {
    if (!AVATAR_STYLES.includes(style)) throw new Error(`unknown avatar style "${style}"`);
    await this.redis.multi().hset(this.key(userKey), 'avatar', style).expire(this.key(userKey), PREFERENCE_TTL_SECONDS).exec();
  }
}
