// Slack files: which ones are PDFs, what we keep of them in a job, and the download of
// url_private with the bot token, which must only ever go to Slack's own file host.
import type { Readable } from 'node:stream';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { JobError } from '../../src/errors.js';
import type { FileRef } from '../../pipeline/job.js';

/** The part of a Slack file object we read (events, files.info, file_input submissions). */
export interface SlackFile {
  id: string;
  name?: string | null;
  title?: string | null;
  mimetype?: string;
  filetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
  /** "check_file_info": the event carries no URLs; ask files.info (Slack Connect, free-plan limits). */
  file_access?: string;
}

export function fileRefOf(f: SlackFile): Extract<FileRef, { kind: 'slack' }> {
  const url = f.url_private_download ?? f.url_private;
  return {
    kind: 'slack',
    fileId: f.id,
    ...(url && f.file_access !== 'check_file_info' ? { url } : {}),
    ...(f.name ? { name: f.name } : {}),
    ...(typeof f.size === 'number' ? { size: f.size } : {}),
    ...(f.mimetype ? { mimeType: f.mimetype } : {}),
  };
}

/**
 * Hosts that may receive the bot token: Slack's file host over https, and the hosts named in
 * SLACK_FILE_HOSTS (a file proxy in some deployments, the local fake in tests), which is empty
 * unless an operator sets it. The API URL's host is not trusted by itself: pointing
 * SLACK_API_URL somewhere must not also hand that place every file download's token.
 */
export function tokenHostAllowed(url: URL, fileHosts: readonly string[]): boolean {
  if (url.protocol === 'https:' && url.host === 'files.slack.com') return true;
  return (url.protocol === 'https:' || url.protocol === 'http:') && fileHosts.includes(url.host.toLowerCase());
}

// Transient failures (5xx, 429 with its Retry-After) are retried here a couple of times; what is
// left becomes a retryable JobError and BullMQ's attempts take over. Redirects are not followed
// (undici's default): a redirect would carry the Authorization header to wherever it points, and
// Slack redirects token-less or under-scoped downloads to its login page anyway.
let downloadAgent: Dispatcher | undefined;
function agent(): Dispatcher {
  downloadAgent ??= new Agent({ connect: { timeout: 10_000 } }).compose(
    interceptors.retry({
      maxRetries: 2,
      minTimeout: 500,
      maxTimeout: 5_000,
      methods: ['GET'],
      statusCodes: [429, 500, 502, 503, 504],
      // Hand back the last answer instead of an error, so its status is reported below.
      throwOnError: false,
    }),
  );
  return downloadAgent;
}

export interface Download {
  body: Readable;
  contentLength?: number;
}

export async function downloadSlackFile(
  rawUrl: string,
  token: string,
  fileHosts: readonly string[],
  opts: { signal?: AbortSignal; dispatcher?: Dispatcher } = {},
): Promise<Download> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new JobError('INTERNAL', 'the Slack file has no valid download URL');
  }
  if (!tokenHostAllowed(url, fileHosts)) {
    // Never retried: the same URL would be refused again.
    throw new JobError('INTERNAL', `refused to send the Slack token to ${url.host}: not a Slack file host`);
  }

  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${token}` },
      headersTimeout: 30_000,
      bodyTimeout: 60_000,
      dispatcher: opts.dispatcher ?? agent(),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    throw new JobError('INTERNAL', `Slack file download failed: ${(err as Error).message}`, { retryable: true, cause: err });
  }

  const type = String(res.headers['content-type'] ?? '');
  if (res.statusCode >= 300 && res.statusCode < 400) {
    await res.body.dump();
    throw new JobError('INTERNAL', `Slack redirected the file download (${res.statusCode}); the app may lack files:read`);
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    const retryable = res.statusCode === 429 || res.statusCode >= 500;
    throw new JobError('INTERNAL', `Slack file download answered ${res.statusCode}`, { retryable });
  }
  if (type.startsWith('text/html')) {
    // Slack's login page instead of the file: the token was not accepted for this file.
    await res.body.dump();
    throw new JobError('INTERNAL', 'Slack answered the file download with a login page; the app may lack files:read');
  }
  const len = Number(res.headers['content-length']);
  return { body: res.body, ...(Number.isFinite(len) && len >= 0 ? { contentLength: len } : {}) };
}
