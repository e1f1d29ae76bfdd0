// When the wait step polls D-ID. Renders take 1–5 minutes; the webhook normally ends the wait,
// polling is the fallback (videos stuck in `created`, webhooks that never arrive). Early polls
// are frequent because short scripts finish fast; later ones back off so a slow render costs
// a handful of requests, not hundreds.

const SCHEDULE_MS = [5_000, 10_000, 20_000, 40_000] as const;
const STEADY_MS = 60_000;

/** Delay before the next poll, given how many polls were made so far: 5 s, 10 s, 20 s, 40 s, then 60 s. */
export function pollDelayMs(pollsSoFar: number): number {
  // NaN / negative / fractional counts come from corrupted checkpoints: treat as "no polls yet".
  const n = Number.isFinite(pollsSoFar) && pollsSoFar > 0 ? Math.floor(pollsSoFar) : 0;
  return n < SCHEDULE_MS.length ? SCHEDULE_MS[n]! : STEADY_MS;
}

/**
 * Epoch ms of the next poll. Never later than `deadline`: when the regular next poll would pass
 * it, the answer is `deadline` itself (one last look before giving up with VIDEO_TIMEOUT).
 * When `now` is already at or past the deadline, the deadline is returned (poll now, then stop).
 */
export function nextPollAt(now: number, polls: number, deadline: number): number {
  return Math.min(now + pollDelayMs(polls), deadline);
}
