// The admin usage report (Telegram /usage, Slack `/doc2video usage`): a day's jobs, failures by
// code, cost and top users, read from the ledger's day sums in Redis. Front doors show it only
// to the ids in ADMIN_IDS (isAdmin).
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Locale } from '../errors.js';
import { opsKeys, roundUsd, utcDay } from './costs.js';

export interface UsageReport {
  /** UTC day, "2025-11-28". */
  day: string;
  jobs: { finished: number; completed: number; failed: number; cancelled: number };
  /** Failed (and cancelled) jobs by error code, most frequent first. */
  failuresByCode: { code: string; count: number }[];
  /** Requests refused before they became jobs, by reason (busy, budget_service, budget_user). */
  refused: Record<string, number>;
  cost: { totalUsd: number; llmUsd: number; videoUsd: number };
  /** Users by cost, then by jobs. */
  topUsers: { userKey: string; costUsd: number; jobs: number }[];
  topWorkspaces: { workspace: string; costUsd: number; jobs: number }[];
  budgets: { dailyUsd?: number; userDailyUsd?: number; heldUsd?: number };
}

export interface UsageDeps {
  redis: Redis;
  prefix: string;
  config?: Pick<Config, 'budgets'>;
}

export async function usageReport(deps: UsageDeps, opts: { day?: string; top?: number } = {}): Promise<UsageReport> {
  const day = opts.day ?? utcDay();
  const top = opts.top ?? 5;
  const k = opsKeys(deps.prefix);
  const [h, userCost, userJobs, wsCost, wsJobs, held, live] = await Promise.all([
    deps.redis.hgetall(k.day(day)),
    deps.redis.zrevrange(k.userCost(day), 0, -1, 'WITHSCORES'),
    deps.redis.zrange(k.userJobs(day), 0, -1, 'WITHSCORES'),
    deps.redis.zrevrange(k.workspaceCost(day), 0, -1, 'WITHSCORES'),
    deps.redis.zrange(k.workspaceJobs(day), 0, -1, 'WITHSCORES'),
    deps.redis.hgetall(k.reservations),
    deps.redis.zrangebyscore(k.reservationExpiry, Date.now(), '+inf'),
  ]);
  const n = (f: string) => Number(h[f] ?? 0);

  const failuresByCode = Object.entries(h)
    .filter(([f]) => f.startsWith('code:'))
    .map(([f, v]) => ({ code: f.slice(5), count: Number(v) }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  const refused: Record<string, number> = {};
  for (const [f, v] of Object.entries(h)) if (f.startsWith('refused:')) refused[f.slice(8)] = Number(v);

  const ranked = <K extends string>(costs: string[], counts: string[], key: K) => {
    const jobs = pairs(counts);
    const cost = pairs(costs);
    const all = new Set([...cost.keys(), ...jobs.keys()]);
    return [...all]
      .map(
        (id) =>
          ({ [key]: id, costUsd: roundUsd(cost.get(id) ?? 0), jobs: jobs.get(id) ?? 0 }) as Record<K, string> & {
            costUsd: number;
            jobs: number;
          },
      )
      .sort((a, b) => b.costUsd - a.costUsd || b.jobs - a.jobs || String(a[key]).localeCompare(String(b[key])))
      .slice(0, top);
  };

  let heldUsd = 0;
  const liveIds = new Set(live);
  for (const [id, v] of Object.entries(held)) {
    if (!liveIds.has(id)) continue; // lapsed, not yet swept
    try {
      heldUsd += Number((JSON.parse(v) as { usd: number }).usd) || 0;
    } catch {
      /* ignore */
    }
  }
  const b = deps.config?.budgets;
  return {
    day,
    jobs: { finished: n('jobs'), completed: n('completed'), failed: n('failed'), cancelled: n('cancelled') },
    failuresByCode,
    refused,
    cost: { totalUsd: roundUsd(n('total_usd')), llmUsd: roundUsd(n('llm_usd')), videoUsd: roundUsd(n('video_usd')) },
    topUsers: ranked(userCost, userJobs, 'userKey'),
    topWorkspaces: ranked(wsCost, wsJobs, 'workspace'),
    budgets: {
      ...(b?.dailyUsd !== undefined ? { dailyUsd: b.dailyUsd } : {}),
      ...(b?.userDailyUsd !== undefined ? { userDailyUsd: b.userDailyUsd } : {}),
      ...(b && (b.dailyUsd !== undefined || b.userDailyUsd !== undefined) ? { heldUsd: roundUsd(heldUsd) } : {}),
    },
  };
}

function pairs(flat: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i]!, Number(flat[i + 1]));
  return m;
}

/** Dollars for people: "$0.42", and "$0.0031" for small sums that would otherwise show as $0.00. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  if (Math.abs(usd) < 0.01) return `$${usd.toPrecision(2)}`;
  return `$${usd.toFixed(2)}`;
}

const TEXT = {
  en: {
    title: (day: string) => `Usage for ${day} (UTC)`,
    jobs: (j: UsageReport['jobs']) =>
      `Jobs: ${j.finished} finished — ${j.completed} completed, ${j.failed} failed, ${j.cancelled} cancelled`,
    failures: 'Failures by code:',
    noFailures: 'Failures: none',
    refused: 'Refused at submit:',
    cost: (c: UsageReport['cost']) =>
      `Cost: ${formatUsd(c.totalUsd)} (script ${formatUsd(c.llmUsd)}, video ${formatUsd(c.videoUsd)})`,
    budget: (b: UsageReport['budgets'], spent: number) =>
      [
        b.dailyUsd !== undefined ? `daily budget ${formatUsd(spent)} of ${formatUsd(b.dailyUsd)}` : undefined,
        b.userDailyUsd !== undefined ? `per user ${formatUsd(b.userDailyUsd)}` : undefined,
        b.heldUsd ? `${formatUsd(b.heldUsd)} held for jobs in progress` : undefined,
      ]
        .filter(Boolean)
        .join(', '),
    budgetLabel: 'Budget:',
    top: 'Top users:',
    noUsers: 'Top users: none yet',
    line: (id: string, usd: number, jobs: number) => `${id} — ${formatUsd(usd)}, ${jobs} job${jobs === 1 ? '' : 's'}`,
  },
  ar: {
    title: (day: string) => `الاستخدام ليوم ${day} (بتوقيت UTC)`,
    jobs: (j: UsageReport['jobs']) =>
      `المهام: ${j.finished} منتهية — ${j.completed} مكتملة، ${j.failed} فاشلة، ${j.cancelled} ملغاة`,
    failures: 'الإخفاقات حسب الرمز:',
    noFailures: 'الإخفاقات: لا شيء',
    refused: 'مرفوضة عند الإرسال:',
    cost: (c: UsageReport['cost']) =>
      `التكلفة: ${formatUsd(c.totalUsd)} (النص ${formatUsd(c.llmUsd)}، الفيديو ${formatUsd(c.videoUsd)})`,
    budget: (b: UsageReport['budgets'], spent: number) =>
      [
        b.dailyUsd !== undefined ? `الميزانية اليومية ${formatUsd(spent)} من ${formatUsd(b.dailyUsd)}` : undefined,
        b.userDailyUsd !== undefined ? `لكل مستخدم ${formatUsd(b.userDailyUsd)}` : undefined,
        b.heldUsd ? `${formatUsd(b.heldUsd)} محجوزة لمهام قيد التنفيذ` : undefined,
      ]
        .filter(Boolean)
        .join('، '),
    budgetLabel: 'الميزانية:',
    top: 'أكثر المستخدمين:',
    noUsers: 'أكثر المستخدمين: لا أحد بعد',
    line: (id: string, usd: number, jobs: number) => `${id} — ${formatUsd(usd)}، ${jobs} مهمة`,
  },
} as const;

/** The report as a short plain-text message (no markup: each front door may add its own). */
export function formatUsage(report: UsageReport, locale: Locale = 'en'): string {
  const t = TEXT[locale];
  const lines: string[] = [t.title(report.day), t.jobs(report.jobs)];
  if (report.failuresByCode.length) {
    lines.push(t.failures, ...report.failuresByCode.map((f) => `  ${f.code}: ${f.count}`));
  } else {
    lines.push(t.noFailures);
  }
  const refused = Object.entries(report.refused);
  if (refused.length) lines.push(t.refused, ...refused.map(([why, count]) => `  ${why}: ${count}`));
  lines.push(t.cost(report.cost));
  const budget = t.budget(report.budgets, report.cost.totalUsd);
  if (budget) lines.push(`${t.budgetLabel} ${budget}`);
  if (report.topUsers.length) {
    lines.push(t.top, ...report.topUsers.map((u, i) => `  ${i + 1}. ${t.line(u.userKey, u.costUsd, u.jobs)}`));
  } else {
    lines.push(t.noUsers);
  }
  return lines.join('\n');
}

/**
 * Whether a platform user may see the usage report. ADMIN_IDS lists ids as the platform shows
 * them: a Telegram user id ("123456789"), a Slack user id ("U0123ABC") or a Slack user key
 * ("T0123:U0123ABC"). Pass every form you have; any match is enough.
 */
export function isAdmin(config: Pick<Config, 'admin'>, platformUserId: string | readonly string[]): boolean {
  const ids = typeof platformUserId === 'string' ? [platformUserId] : platformUserId;
  const allowed = config.admin.ids;
  return ids.some((id) => id.trim() !== '' && allowed.includes(id.trim()));
}
