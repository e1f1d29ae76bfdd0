// D-ID documents neither a payload schema nor a signature for its webhook calls, so we
// authenticate them ourselves: the URL we hand to D-ID carries HMAC(secret, jobId). Anyone who
// can call it still learns nothing and decides nothing — the route only wakes the wait step,
// which re-reads the status with GET before acting.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256(secret, jobId), base64url (43 characters, URL-safe, no padding). */
export function webhookToken(jobId: string, secret: string): string {
  return createHmac('sha256', secret).update(jobId, 'utf8').digest('base64url');
}

/** Constant-time check of a token taken from a webhook URL. */
export function verifyWebhookToken(jobId: string, token: unknown, secret: string): boolean {
  if (typeof token !== 'string' || token.length === 0) return false;
  const expected = Buffer.from(webhookToken(jobId, secret), 'utf8');
  const given = Buffer.from(token, 'utf8');
  // timingSafeEqual throws on different lengths; the length of a valid token is public anyway.
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

/** `${publicUrl}/did/webhook/<jobId>/<token>` — the URL given to D-ID as `webhook`. */
export function webhookUrl(publicUrl: string, jobId: string, secret: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  return `${base}/did/webhook/${encodeURIComponent(jobId)}/${webhookToken(jobId, secret)}`;
}
