// Comparing what a client sent with a secret, in constant time. Both sides are hashed first, so
// neither the content nor the length of the secret leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The configured secrets' digests, computed once each (a few: the webhook secrets, the API keys). */
const wanted = new Map<string, Buffer>();

/** Whether `got` equals `want`; false for a missing value. */
export function sameSecret(got: string | undefined, want: string): boolean {
  let w = wanted.get(want);
  if (!w) wanted.set(want, (w = digest(want)));
  return timingSafeEqual(digest(got ?? ''), w) && got !== undefined;
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it is. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
