// A Slack user's language (users.info with include_locale), for our own messages. Slash commands
// and events do not carry it. Looked up once an hour per user, and never allowed to hold up an
// acknowledgement: a slow or failed lookup means English.
import type { WebClient } from '@slack/web-api';

const TTL_MS = 60 * 60 * 1000;
const MAX_ENTRIES = 5_000;

export class SlackLocales {
  private readonly cache = new Map<string, { locale: string | undefined; at: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly timeoutMs = 1_500,
  ) {}

  /** The cached locale without asking Slack (for views.open, which must happen within 3 s). */
  cached(teamId: string, userId: string): string | undefined {
    const hit = this.cache.get(`${teamId}:${userId}`);
    return hit && Date.now() - hit.at < TTL_MS ? hit.locale : undefined;
  }

  async get(teamId: string, userId: string): Promise<string | undefined> {
    const key = `${teamId}:${userId}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.locale;
    const lookup = this.client.users
      .info({ user: userId, include_locale: true })
      .then((r) => (r.user as { locale?: string } | undefined)?.locale)
      .catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    const locale = await Promise.race([lookup, timeout]);
    clearTimeout(timer);
    if (locale === 'timeout') {
      // Keep the answer when it arrives, for the next request.
      void lookup.then((l) => this.remember(key, l));
      return undefined;
    }
    this.remember(key, locale);
    return locale;
  }

  private remember(key: string, locale: string | undefined) {
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { locale, at: Date.now() });
  }
}
