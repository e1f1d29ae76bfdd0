// Our own links to kept videos: `PUBLIC_URL/files/<jobId>/<file>?exp=<epoch s>&sig=<hmac>`,
// signed with LINK_SECRET and expiring, so a link we hand out in a chat works without a login
// and stops working when it should. Never D-ID's result_url: that one dies after about a day.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The files of a job that a link may name. */
export const LINKABLE_FILES = ['video.mp4', 'captions.vtt'] as const;
export type LinkableFile = (typeof LINKABLE_FILES)[number];

const signature = (secret: string, jobId: string, file: string, exp: number) =>
  createHmac('sha256', secret).update(`${jobId}/${file}/${exp}`, 'utf8').digest('base64url');

export function signedPath(secret: string, jobId: string, file: LinkableFile, expiresAt: number): string {
  const exp = Math.floor(expiresAt / 1000);
  return `/files/${encodeURIComponent(jobId)}/${file}?exp=${exp}&sig=${signature(secret, jobId, file, exp)}`;
}

export type LinkCheck = 'ok' | 'expired' | 'invalid';

/** Constant-time check of a link's signature, then of its expiry. */
export function checkLink(
  secret: string,
  q: { jobId: string; file: string; exp: unknown; sig: unknown },
  now = Date.now(),
): LinkCheck {
  if (!(LINKABLE_FILES as readonly string[]).includes(q.file)) return 'invalid';
  if (typeof q.exp !== 'string' || !/^\d{1,12}$/.test(q.exp) || typeof q.sig !== 'string') return 'invalid';
  const want = Buffer.from(signature(secret, q.jobId, q.file, Number(q.exp)));
  const got = Buffer.from(q.sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'invalid';
  return Number(q.exp) * 1000 < now ? 'expired' : 'ok';
}
