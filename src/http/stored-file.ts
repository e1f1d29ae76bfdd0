// Answering a GET for a file in the video store: a redirect to the store's own short-lived URL
// (S3 presigned, which handles ranges itself), or the bytes from here with single-range support,
// so a browser's <video> can seek. Written here rather than with @fastify/static because the
// bytes may come from a bucket as well as from a folder; only `bytes=a-b`, `a-` and `-n` are
// understood, and anything else gets the whole file (RFC 9110 allows ignoring Range).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RangeNotSatisfiableError, type ByteRange, type VideoStore } from '../storage/video-store.js';

/** How long a redirect to a presigned URL stays valid. */
const DIRECT_URL_SECONDS = 15 * 60;

/** A single `bytes=` range, resolved against nothing yet; undefined for none or an unsupported one. */
function parseRange(header: string | undefined, total: number): ByteRange | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec((header ?? '').trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    // The last n bytes.
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, total - n) };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? undefined : Number(m[2]);
  if (end !== undefined && end < start) return undefined;
  if (start >= total) return 'unsatisfiable';
  return end === undefined ? { start } : { start, end };
}

export async function sendStored(
  request: FastifyRequest,
  reply: FastifyReply,
  store: VideoStore,
  key: string,
  opts: { downloadName: string; notFound: (reply: FastifyReply) => FastifyReply },
): Promise<FastifyReply> {
  const direct = await store.directUrl(key, DIRECT_URL_SECONDS, opts.downloadName);
  if (direct) return reply.header('cache-control', 'private, no-store').redirect(direct, 302);

  const total = await store.size(key);
  if (total === undefined) return opts.notFound(reply);
  const range = parseRange(request.headers.range, total);
  if (range === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${total}`).send();
  let body;
  try {
    body = await store.open(key, range);
  } catch (err) {
    if (err instanceof RangeNotSatisfiableError) return reply.code(416).header('content-range', `bytes */${total}`).send();
    throw err;
  }
  if (!body) return opts.notFound(reply);
  void reply
    .header('accept-ranges', 'bytes')
    .header('content-type', body.contentType)
    .header('content-length', String(body.bytes))
    .header('cache-control', 'private, max-age=3600')
    .header('content-disposition', `inline; filename="${opts.downloadName.replace(/[^\w.-]+/g, '_')}"`);
  if (body.range) {
    void reply.code(206).header('content-range', `bytes ${body.range.start}-${body.range.end}/${body.total}`);
  }
  return reply.send(body.stream);
}
