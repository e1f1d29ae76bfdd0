// Our own links to kept videos: `PUBLIC_URL/files/<jobId>/<file>?exp=<epoch s>&sig=<hmac>`,
// signed with LINK_SECRET and expiring, so a link we hand out in a chat works without a login
// and stops working when it should. Never D-ID's result_url: that one dies after about a day.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The files of a job that a link may name. */
const LINKABLE_FILES = ['video.mp4', 'captions.vtt'] as const;
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

/** How the links to kept files are made: our signed path under PUBLIC_URL, or the store's own. */
export interface LinkSettings {
  publicUrl: string | undefined;
  linkSecret: string | undefined;
}

/**
 * A link anyone holding it may fetch until `expiresAt`: the store's presigned URL (S3), or
 * PUBLIC_URL + our signed path (a local folder, served by GET /files). Undefined when neither
 * can be made (no PUBLIC_URL or no LINK_SECRET).
 */
export async function keptFileLink(
  store: { directUrl(key: string, expiresInSeconds: number, downloadName?: string): Promise<string | undefined> },
  s: LinkSettings,
  file: { jobId: string; file: LinkableFile; key: string; expiresAt: number; downloadName?: string },
  now = Date.now(),
): Promise<string | undefined> {
  const seconds = Math.floor((file.expiresAt - now) / 1000);
  if (seconds <= 0) return undefined;
  const direct = await store.directUrl(file.key, seconds, file.downloadName);
  if (direct) return direct;
  if (!s.publicUrl || !s.linkSecret) return undefined;
  return `${s.publicUrl}${signedPath(s.linkSecret, file.jobId, file.file, file.expiresAt)}`;
}

/** Our link to a finished job's kept video while it is kept (for /status), else undefined. */
export async function keptVideoLink(
  store: Parameters<typeof keptFileLink>[0],
  s: LinkSettings,
  rec: { jobId: string; video?: { expiresAt: number } },
  now = Date.now(),
): Promise<string | undefined> {
  if (!rec.video || rec.video.expiresAt <= now) return undefined;
  const key = `videos/${rec.jobId}/video.mp4`;
  return keptFileLink(
    store,
    s,
    { jobId: rec.jobId, file: 'video.mp4', key, expiresAt: rec.video.expiresAt, downloadName: `${rec.jobId}.mp4` },
    now,
  );
}
