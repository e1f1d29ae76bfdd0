// The admin usage report: a day's jobs, failures by code, cost and top users, from the ledger.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CostLedger } from '../../src/ops/costs.js';
import { BudgetGuard } from '../../src/ops/budget.js';
import { formatUsage, formatUsd, isAdmin, usageReport } from '../../src/ops/usage.js';
import { loadConfig } from '../../src/config.js';

describe('usageReport', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis.disconnect());

  it("sums a day's jobs, failures by code, cost and top users", async () => {
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const ledger = new CostLedger(redis, prefix);
    const at = Date.UTC(2025, 6, 4, 9);
    const rec = (
      jobId: string,
      userKey: string,
      outcome: 'completed' | 'failed' | 'cancelled',
      totalUsd: number,
      code?: 'VIDEO_FAILED' | 'PDF_SCANNED' | 'CANCELLED',
    ) =>
      ledger.record({
        jobId,
        userKey,
        workspace: userKey.startsWith('T1') ? 'slack:T1' : 'telegram:99',
        outcome,
        ...(code ? { code } : {}),
        cost: { llmUsd: totalUsd / 10, videoUsd: (totalUsd * 9) / 10, totalUsd },
        at,
      });
    await rec('a', '111', 'completed', 0.8);
    await rec('b', '111', 'completed', 0.7);
    await rec('c', 'T1:U2', 'completed', 2);
    await rec('d', '333', 'failed', 0, 'PDF_SCANNED');
    await rec('e', '333', 'failed', 0.1, 'VIDEO_FAILED');
    await rec('f', '333', 'failed', 0, 'PDF_SCANNED');
    await rec('g', '444', 'cancelled', 0, 'CANCELLED');
    await ledger.countRefusal('budget_user', at);
    // Another day does not show.
    await ledger.record({
      jobId: 'z',
      userKey: '111',
      workspace: 'cli',
      outcome: 'completed',
      cost: { llmUsd: 0, videoUsd: 9, totalUsd: 9 },
      at: at + 86_400_000,
    });
    const config = loadConfig({ DAILY_BUDGET_USD: '10', USER_DAILY_BUDGET_USD: '3' });
    await new BudgetGuard(redis, prefix, {
      dailyUsd: 10,
      userDailyUsd: 3,
      llmEstimateUsd: 0.05,
      pricePerMinuteUsd: 0.5,
      providers: { script: 'openrouter', video: 'd-id' },
    }).reserve('inflight', '555', 1.55, 60_000);

    const r = await usageReport({ redis, prefix, config }, { day: '2025-07-04', top: 3 });
    expect(r).toEqual({
      day: '2025-07-04',
      jobs: { finished: 7, completed: 3, failed: 3, cancelled: 1 },
      failuresByCode: [
        { code: 'PDF_SCANNED', count: 2 },
        { code: 'CANCELLED', count: 1 },
        { code: 'VIDEO_FAILED', count: 1 },
      ],
      refused: { budget_user: 1 },
      cost: { totalUsd: 3.6, llmUsd: 0.36, videoUsd: 3.24 },
      topUsers: [
        { userKey: 'T1:U2', costUsd: 2, jobs: 1 },
        { userKey: '111', costUsd: 1.5, jobs: 2 },
        { userKey: '333', costUsd: 0.1, jobs: 3 },
      ],
      topWorkspaces: [
        { workspace: 'slack:T1', costUsd: 2, jobs: 1 },
        { workspace: 'telegram:99', costUsd: 1.6, jobs: 6 },
      ],
      budgets: { dailyUsd: 10, userDailyUsd: 3, heldUsd: 1.55 },
    });

    const en = formatUsage(r, 'en');
    expect(en).toContain('Usage for 2025-07-04 (UTC)');
    expect(en).toContain('Jobs: 7 finished — 3 completed, 3 failed, 1 cancelled');
    expect(en).toContain('  PDF_SCANNED: 2');
    expect(en).toContain('Cost: $3.60 (script $0.36, video $3.24)');
    expect(en).toContain('Budget: daily budget $3.60 of $10.00, per user $3.00, $1.55 held for jobs in progress');
    expect(en).toContain('  1. T1:U2 — $2.00, 1 job');
    expect(en).toContain('  2. 111 — $1.50, 2 jobs');
    const ar = formatUsage(r, 'ar');
    expect(ar).toContain('الاستخدام ليوم 2025-07-04');
    expect(ar).toContain('  PDF_SCANNED: 2');
  });

  it('reports an empty day plainly', async () => {
    const r = await usageReport({ redis, prefix: `t${randomBytes(5).toString('hex')}` }, { day: '2025-01-01' });
    expect(r.jobs).toEqual({ finished: 0, completed: 0, failed: 0, cancelled: 0 });
    expect(r.topUsers).toEqual([]);
    expect(r.budgets).toEqual({});
    const text = formatUsage(r);
    expect(text).toContain('Failures: none');
    expect(text).toContain('Cost: $0.00 (script $0.00, video $0.00)');
    expect(text).toContain('Top users: none yet');
    expect(text).not.toContain('Budget:');
  });
});

describe('formatUsd and isAdmin', () => {
  it('shows small sums without rounding them to zero', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.0031)).toBe('$0.0031');
    expect(formatUsd(12.345)).toBe('$12.35');
  });

  it('lets only the ids in ADMIN_IDS see the report', () => {
    const config = loadConfig({ ADMIN_IDS: ' 12345 , U0ADMIN,T1:U0OTHER ' });
    expect(isAdmin(config, '12345')).toBe(true);
    expect(isAdmin(config, 'U0ADMIN')).toBe(true);
    expect(isAdmin(config, ['U0OTHER', 'T1:U0OTHER'])).toBe(true);
    expect(isAdmin(config, '1234')).toBe(false);
    expect(isAdmin(config, 'U0OTHER')).toBe(false);
    expect(isAdmin(config, '')).toBe(false);
    expect(isAdmin(loadConfig({}), '12345')).toBe(false);
  });
});
