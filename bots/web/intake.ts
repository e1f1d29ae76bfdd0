// From a multipart upload to a job. The PDF streams straight into the store's uploads area
// (never buffered whole): the size limit is enforced while it arrives, so a 21 MB file is
// refused after at most MAX_PDF_BYTES have been read, and the %PDF- header is checked on the
// first bytes. Then the shared submitPdf decides, like in every other door.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { JobError, formatBytes, toLocale } from '../../src/errors.js';
import { AVATAR_STYLES, type AvatarStyle } from '../../src/config.js';
import { VIDEO_LAYOUTS, type JobOptions, type Requester, type VideoLayout } from '../../pipeline/job.js';
import { jobIdFor } from '../../src/queue/video-queue.js';
import { ObjectTooLargeError, uploadKey, type VideoStore } from '../../src/storage/video-store.js';
import { submitPdf, type IntakeDeps, type IntakeOutcome } from '../intake.js';
import type { Caller } from './auth.js';
import type { WebJobs } from './jobs.js';

/** Where a PDF's %PDF- header must be: the same rule the worker applies (pipeline/pdf/classify.ts). */
const PDF_HEADER_WINDOW = 1024;

export interface WebIntakeDeps extends IntakeDeps {
  store: Pick<VideoStore, 'putStream' | 'delete'>;
  jobs: Pick<WebJobs, 'create' | 'remove'>;
  maxPdfBytes: number;
}

export type UploadResult = { jobId: string; outcome: IntakeOutcome };

/**
 * The upload's bytes, failing with NOT_A_PDF unless `%PDF-` shows up in the first 1024 bytes.
 * A generator, so nothing is read (and nothing can fail) before the store consumes it.
 */
async function* pdfChecked(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  let ok = false;
  const notPdf = () => new JobError('NOT_A_PDF', 'no %PDF- header in the first 1024 bytes');
  for await (const chunk of source) {
    if (!ok) {
      head = Buffer.concat([head, chunk.subarray(0, PDF_HEADER_WINDOW - head.length)]);
      if (head.includes('%PDF-')) ok = true;
      else if (head.length >= PDF_HEADER_WINDOW) throw notPdf();
    }
    yield chunk;
  }
  if (!ok) throw notPdf();
}

function parseOptions(fields: Map<string, string>): JobOptions {
  const bad = (what: string) => new JobError('BAD_REQUEST', what);
  const o: JobOptions = {};
  const avatar = fields.get('avatar');
  if (avatar !== undefined) {
    if (!(AVATAR_STYLES as readonly string[]).includes(avatar)) throw bad(`avatar must be one of ${AVATAR_STYLES.join(', ')}`);
    o.avatarStyle = avatar as AvatarStyle;
  }
  const layout = fields.get('layout');
  if (layout !== undefined) {
    if (!(VIDEO_LAYOUTS as readonly string[]).includes(layout)) throw bad(`layout must be one of ${VIDEO_LAYOUTS.join(', ')}`);
    o.layout = layout as VideoLayout;
  }
  const captions = fields.get('captions');
  if (captions !== undefined) {
    const v = captions.toLowerCase();
    if (!['true', 'false', 'on', 'off', '1', '0'].includes(v)) throw bad('captions must be true or false');
    o.captions = ['true', 'on', '1'].includes(v);
  }
  const language = fields.get('language');
  if (language !== undefined && language !== '' && language !== 'auto') {
    if (!/^[a-z]{2}$/.test(language)) throw bad('language must be a two-letter ISO 639-1 code, e.g. en or ar');
    o.language = language;
  }
  return o;
}

const FIELDS = new Set(['avatar', 'language', 'layout', 'captions']);

/** Read the upload, store the PDF, submit. Throws JobError for what the caller got wrong. */
export async function receiveUpload(request: FastifyRequest, caller: Caller, deps: WebIntakeDeps): Promise<UploadResult> {
  const dedupeKey = `web:${randomUUID()}`;
  const jobId = jobIdFor(dedupeKey);
  const key = uploadKey(jobId);
  const fields = new Map<string, string>();
  let file: { name: string; bytes: number } | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (!FIELDS.has(part.fieldname)) throw new JobError('BAD_REQUEST', `unknown field "${part.fieldname.slice(0, 40)}"`);
        fields.set(part.fieldname, String(part.value).trim());
        continue;
      }
      if (part.fieldname !== 'file' || file) {
        part.file.resume();
        throw new JobError('BAD_REQUEST', 'send one PDF in a part named "file"');
      }
      const checked = Readable.from(pdfChecked(part.file));
      try {
        const { bytes } = await deps.store.putStream(key, checked, 'application/pdf', deps.maxPdfBytes);
        file = { name: part.filename || 'document.pdf', bytes };
      } catch (err) {
        if (err instanceof ObjectTooLargeError) {
          throw new JobError('PDF_TOO_LARGE', `more than ${deps.maxPdfBytes} bytes`, {
            vars: { limit: formatBytes(deps.maxPdfBytes) },
          });
        }
        throw err;
      }
    }
    if (!file) throw new JobError('BAD_REQUEST', 'no PDF: send it in a multipart part named "file"');
    const options = parseOptions(fields);

    const locale = request.headers['accept-language'];
    const requester: Requester = {
      platform: 'web',
      userKey: caller.userKey,
      userId: caller.kind === 'key' ? caller.name : 'browser',
      chatId: jobId,
      ...(typeof locale === 'string' ? { locale: toLocale(locale) } : {}),
    };
    // Ownership first: the job may start (and report progress) before submit returns.
    await deps.jobs.create(jobId, caller.owner!);
    const outcome = await submitPdf(deps, {
      dedupeKey,
      requester,
      file: { kind: 'upload', key, name: file.name, size: file.bytes },
      // The %PDF- header was checked above; the name may say anything.
      facts: { name: file.name, mimeType: 'application/pdf', size: file.bytes },
      maxBytes: deps.maxPdfBytes,
      options,
    });
    if (outcome.status !== 'accepted') {
      await deps.store.delete([key]);
      await deps.jobs.remove(jobId);
    }
    return { jobId, outcome };
  } catch (err) {
    // Nothing of a refused or failed upload stays behind.
    await deps.store.delete([key]).catch(() => undefined);
    await deps.jobs.remove(jobId).catch(() => undefined);
    throw err;
  }
}
