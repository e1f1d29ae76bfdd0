import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nextPollAt, pollDelayMs } from '../../../pipeline/render/schedule.js';

describe('pollDelayMs', () => {
  it('backs off 5 s, 10 s, 20 s, 40 s, then polls every 60 s', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map(pollDelayMs)).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  });

  it('treats nonsense counts from a damaged checkpoint as "no polls yet"', () => {
    expect(pollDelayMs(-3)).toBe(5_000);
    expect(pollDelayMs(Number.NaN)).toBe(5_000);
    expect(pollDelayMs(1.7)).toBe(10_000);
  });

  it('never shrinks as polls grow and stays within 5..60 s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (n) => {
        const d = pollDelayMs(n);
        return d >= 5_000 && d <= 60_000 && pollDelayMs(n + 1) >= d;
      }),
    );
  });
});

describe('nextPollAt', () => {
  const now = 1_700_000_000_000;

  it('is now + the scheduled delay while the deadline is far', () => {
    expect(nextPollAt(now, 0, now + 600_000)).toBe(now + 5_000);
    expect(nextPollAt(now, 7, now + 600_000)).toBe(now + 60_000);
  });

  it('returns the deadline when the next poll would pass it', () => {
    expect(nextPollAt(now, 4, now + 30_000)).toBe(now + 30_000);
    expect(nextPollAt(now, 0, now + 5_000)).toBe(now + 5_000);
  });

  it('returns the deadline when it has already passed', () => {
    expect(nextPollAt(now, 2, now - 1_000)).toBe(now - 1_000);
  });

  it('is never beyond the deadline and never before now while the deadline is ahead', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 3_600_000 }), (polls, left) => {
        const at = nextPollAt(now, polls, now + left);
        return at <= now + left && at >= now && (at === now + left || at === now + pollDelayMs(polls));
      }),
    );
  });
});
