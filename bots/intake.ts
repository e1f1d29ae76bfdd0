// The one intake every chat front door uses: a platform hands over "this user sent this file",
// and submitPdf checks what can be checked from the metadata (a PDF? within the size limit?),
// adds the user's remembered choices, submits the job and says what became of it. The platforms
// differ only in how they build the Requester and the FileRef, and in how they answer.
import { JobError, formatBytes, isJobError, type Locale } from '../src/errors.js';
import type { Redis } from 'ioredis';
import type { Logger } from '../src/logger.js';
import type { JobRecord, JobRecords } from '../src/jobs/records.js';
import type { UserPreferences } from '../src/jobs/preferences.js';
import type { CancelOutcome } from '../src/queue/cancel.js';
import type { SubmitOutcome, SubmitRequest } from '../src/queue/submit.js';
import type { FileRef, JobOptions, Requester } from '../pipeline/job.js';
import type { UsageSource } from './usage.js';
import { acceptedText, duplicateText, rateLimitedText, stripFormatChars, type StyleChoice } from './texts.js';

/** What intake needs from the runtime (a narrow slice of the services). */
export interface IntakeDeps {
  submitter: { submit(request: SubmitRequest): Promise<SubmitOutcome> };
  /**
   * Present on doors whose users remember choices (avatar, layout, captions). The choices are
   * read inside admission's script (no round trip of their own) and put under the request's.
   */
  preferences?: UserPreferences;
  logger: Logger;
}

/** What every chat front door needs from the runtime; each door adds its platform's parts. */
export interface FrontDoorDeps extends IntakeDeps {
  preferences: UserPreferences;
  records: Pick<JobRecords, 'listForUser'>;
  /** Our link to a finished job's kept video (src/storage/links.ts), for /status. */
  keptLink?(rec: JobRecord): Promise<string | undefined>;
  cancel(jobId: string, userKey: string): Promise<CancelOutcome>;
  redis: Redis;
  /** The Redis key prefix of this deployment (the queue's). */
  prefix: string;
  limits: { max: number; windowSeconds: number; maxActive: number; maxPdfBytes: number };
  /** The admin usage report: where the day sums are (bots/usage.ts). */
  usage: UsageSource;
  /** VIDEO_LAYOUT / VIDEO_CAPTIONS: what a user gets who chose nothing. */
  videoDefaults: StyleChoice;
}

/** What the platform knows about the file before downloading anything. */
export interface FileFacts {
  name?: string | null;
  mimeType?: string | null;
  /** Slack's own file type ("pdf"). */
  fileType?: string | null;
  size?: number;
  /** A title the platform gives the file (Slack); the file name otherwise. */
  title?: string | null;
}

export interface PdfRequest {
  dedupeKey: string;
  requester: Requester;
  file: FileRef;
  facts: FileFacts;
  /** The largest PDF this door can fetch. */
  maxBytes: number;
  /** Choices made with this request (a form's fields); they win over remembered ones. */
  options?: JobOptions;
  /** This delivery of the request (a Telegram update_id): a redelivery is answered `repeated`. */
  requestId?: string;
}

/** Every answer intake can give: submit's, and `refused` for what intake itself turns away. */
export type IntakeOutcome = SubmitOutcome | { status: 'refused'; error: JobError };

function looksLikePdf(f: FileFacts): boolean {
  // Any of these saying PDF is enough here; the %PDF- header check after download has the last word.
  return f.fileType === 'pdf' || f.mimeType?.toLowerCase() === 'application/pdf' || /\.pdf$/i.test(f.name ?? '');
}

/** The title a job is listed under in /status, from the file's title or name. */
function titleOf(f: Pick<FileFacts, 'name' | 'title'>): string | undefined {
  const t = stripFormatChars(f.title || f.name || '')
    .replace(/\.pdf$/i, '')
    .trim();
  return t ? t.slice(0, 120) : undefined;
}

/** The checks that need no download: a PDF, within the size limit. */
function precheck(f: FileFacts, maxBytes: number): JobError | undefined {
  if (!looksLikePdf(f)) return new JobError('NOT_A_PDF', `${f.fileType ?? f.mimeType ?? 'unknown'} file`);
  if (f.size !== undefined && f.size > maxBytes) {
    return new JobError('PDF_TOO_LARGE', `${f.size} bytes`, { vars: { limit: formatBytes(maxBytes) } });
  }
  return undefined;
}

/**
 * Check, then submit. Resolves with the outcome; throws only when the job could not be stored
 * (Redis down): the front door then lets its platform redeliver, or retries itself.
 */
export async function submitPdf(deps: IntakeDeps, req: PdfRequest): Promise<IntakeOutcome> {
  const refused = precheck(req.facts, req.maxBytes);
  if (refused) {
    deps.logger.info(
      { event: 'pdf_refused', platform: req.requester.platform, code: refused.code, bytes: req.facts.size },
      'file refused before download',
    );
    return { status: 'refused', error: refused };
  }
  const title = titleOf(req.facts);
  try {
    return await deps.submitter.submit({
      dedupeKey: req.dedupeKey,
      requester: req.requester,
      file: req.file,
      ...(req.options ? { options: req.options } : {}),
      withRemembered: deps.preferences !== undefined,
      ...(req.requestId ? { requestId: req.requestId } : {}),
      ...(title ? { title } : {}),
    });
  } catch (err) {
    // An admission guard's refusal (BUDGET_EXCEEDED) is an answer; anything else is a failure.
    if (isJobError(err)) return { status: 'refused', error: err };
    throw err;
  }
}

export interface OutcomeLimits {
  max: number;
  windowSeconds: number;
}

/**
 * The words for an outcome: one switch for every door. An outcome this version does not know
 * (submit may grow new ones) is answered with its error when it carries one, or as "busy".
 */
export function outcomeText(locale: Locale, outcome: IntakeOutcome, limits: OutcomeLimits): string {
  const o = outcome as IntakeOutcome | { status: string; error?: unknown };
  switch (o.status) {
    case 'accepted': {
      const a = o as Extract<IntakeOutcome, { status: 'accepted' }>;
      return acceptedText(locale, a.jobId, a.position);
    }
    case 'duplicate':
      return duplicateText(locale, (o as Extract<IntakeOutcome, { status: 'duplicate' }>).jobId);
    case 'limited':
      return rateLimitedText(locale, limits, (o as Extract<IntakeOutcome, { status: 'limited' }>).retryAfterMs);
    // SERVICE_BUSY; BUDGET_EXCEEDED, NOT_ALLOWED, NOT_A_PDF, PDF_TOO_LARGE: nothing was stored.
    case 'busy':
    case 'refused':
    default: {
      const error = (o as { error?: unknown }).error;
      return isJobError(error) ? error.userMessage(locale) : new JobError('SERVICE_BUSY').userMessage(locale);
    }
  }
}

/** Links to the kept videos among `jobs`, for statusText. */
export async function keptLinks(deps: Pick<FrontDoorDeps, 'keptLink'>, jobs: JobRecord[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!deps.keptLink) return out;
  for (const j of jobs) {
    const link = j.video ? await deps.keptLink(j).catch(() => undefined) : undefined;
    if (link) out.set(j.jobId, link);
  }
  return out;
}
