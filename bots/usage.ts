// The admin usage report as the front doors give it: Telegram `/usage [YYYY-MM-DD]` and Slack
// `/doc2video usage [YYYY-MM-DD]`, for the ids in ADMIN_IDS only (src/ops/usage.ts isAdmin).
// The report is read straight from the ledger's day sums in Redis, so a front door needs no Ops
// object of its own: the worker's onFinished writes the sums, any process can read them.
import type { Redis } from 'ioredis';
import type { Config } from '../src/config.js';
import type { Locale } from '../src/errors.js';
import { formatUsage, usageReport } from '../src/ops/usage.js';

const RLM = '\u200f';

export interface UsageSource {
  redis: Redis;
  prefix: string;
  config: Pick<Config, 'budgets'>;
}

/**
 * The command's argument: empty for today (UTC), or a calendar day "YYYY-MM-DD".
 * undefined when it is neither (e.g. "2025-02-30", "yesterday").
 */
function parseUsageDay(arg: string): { day?: string } | undefined {
  const s = arg.trim();
  if (s === '') return {};
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return undefined;
  const d = new Date(`${s}T00:00:00Z`);
  // Date rolls "2025-02-30" over to March: a real day reads back the same.
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s ? { day: s } : undefined;
}

/** How to call it, for an admin who gave a malformed day. `command` as the platform spells it. */
export function usageHintText(locale: Locale, command: string): string {
  return locale === 'ar'
    ? `${RLM}اكتب ‎${command} لاستخدام اليوم، أو ‎${command} YYYY-MM-DD ليوم آخر (بتوقيت UTC).`
    : `Type ${command} for today's usage, or ${command} YYYY-MM-DD for another day (UTC).`;
}

/** The answer to an admin's usage command: the day's report, or the hint for a bad argument. */
export async function usageAnswer(src: UsageSource, arg: string, locale: Locale, command: string): Promise<string> {
  const parsed = parseUsageDay(arg);
  if (!parsed) return usageHintText(locale, command);
  const report = await usageReport({ redis: src.redis, prefix: src.prefix, config: src.config }, parsed);
  return formatUsage(report, locale);
}

/** The /usage entry of the Telegram command menu shown in admins' private chats only. */
export function usageMenuEntry(locale: Locale): { command: string; description: string } {
  return {
    command: 'usage',
    description: locale === 'ar' ? 'للمشغّلين: المهام والتكلفة اليوم' : "Operators: today's jobs and cost",
  };
}
