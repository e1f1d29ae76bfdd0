// Per-user choices that outlive a job (the presenter's avatar style, the video layout, burned-in
// captions), keyed by the same userKey the limits use ("tg:<id>", Slack "slack:team:user"), so
// each platform's user has their own. Unset choices fall back to the configuration's defaults.
import type { Redis } from 'ioredis';
import { AVATAR_STYLES, type AvatarStyle } from '../config.js';
import { redisKeys } from '../redis/keys.js';
import { VIDEO_LAYOUTS, type JobOptions, type VideoLayout } from '../../pipeline/job.js';

/** Unused preferences fade out: a user who comes back after a year starts from the defaults. */
const PREFERENCE_TTL_SECONDS = 365 * 86_400;

/** The choices a user can remember: a subset of JobOptions. */
export type RememberedOptions = Pick<JobOptions, 'avatarStyle' | 'layout' | 'captions'>;

export class UserPreferences {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(userKey: string): string {
    return redisKeys(this.prefix).preferences(userKey);
  }

  private async set(userKey: string, field: string, value: string): Promise<void> {
    await this.redis.multi().hset(this.key(userKey), field, value).expire(this.key(userKey), PREFERENCE_TTL_SECONDS).exec();
  }

  async getAvatar(userKey: string): Promise<AvatarStyle | undefined> {
    return (await this.getOptions(userKey)).avatarStyle;
  }

  async setAvatar(userKey: string, style: AvatarStyle): Promise<void> {
    if (!AVATAR_STYLES.includes(style)) throw new Error(`unknown avatar style "${style}"`);
    await this.set(userKey, 'avatar', style);
  }

  async setLayout(userKey: string, layout: VideoLayout): Promise<void> {
    if (!VIDEO_LAYOUTS.includes(layout)) throw new Error(`unknown layout "${layout}"`);
    await this.set(userKey, 'layout', layout);
  }

  async setCaptions(userKey: string, on: boolean): Promise<void> {
    await this.set(userKey, 'captions', on ? 'on' : 'off');
  }

  /** Everything remembered, as job options. */
  async getOptions(userKey: string): Promise<RememberedOptions> {
    return rememberedFrom(await this.redis.hgetall(this.key(userKey)));
  }
}

/**
 * The remembered choices in a preferences hash (as HGETALL gives it; admission reads it inside
 * its script). Values an older version wrote that no longer exist are ignored.
 */
export function rememberedFrom(h: Record<string, string>): RememberedOptions {
  const out: RememberedOptions = {};
  if (h.avatar && (AVATAR_STYLES as readonly string[]).includes(h.avatar)) out.avatarStyle = h.avatar as AvatarStyle;
  if (h.layout && (VIDEO_LAYOUTS as readonly string[]).includes(h.layout)) out.layout = h.layout as VideoLayout;
  if (h.captions === 'on' || h.captions === 'off') out.captions = h.captions === 'on';
  return out;
}
