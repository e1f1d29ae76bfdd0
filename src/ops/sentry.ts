// Errors to Sentry when SENTRY_DSN is set; a no-op otherwise. What is reported: jobs that failed
// with INTERNAL (a failure we could not classify: the ones an operator must look at), worker and
// queue errors, HTTP handler crashes and unhandled rejections — picked off the JSON log stream
// (log-events.ts), plus anything passed to captureException(). The SDK runs without its default
// integrations (no HTTP/undici instrumentation that would put bot-token URLs in breadcrumbs, no
// tracing), and every event passes through the logger's scrubber before it leaves.
import * as Sentry from '@sentry/node';
import type { Config } from '../config.js';
import { secretValues } from '../config.js';
import { makeScrubber, type Logger, type WatchedEvent } from '../logger.js';
import type { LogEventTap, LogLine } from './log-events.js';

export interface ErrorReporter {
  readonly enabled: boolean;
  captureException(
    err: unknown,
    context?: { jobId?: string; tags?: Record<string, string>; extra?: Record<string, unknown> },
  ): void;
  /** Report the log events worth an alert (see REPORTED_EVENTS). Returns unsubscribe. */
  attachLogTap(tap: LogEventTap): () => void;
  flush(timeoutMs?: number): Promise<void>;
  /** Send what is pending, shut the SDK down and forget this reporter (a later initSentry starts anew). */
  close(timeoutMs?: number): Promise<void>;
}

/** Log events sent to Sentry: job_failed only with code INTERNAL. */
const REPORTED_EVENTS = [
  'job_failed',
  'worker_error',
  'worker_job_lost',
  'queue_error',
  'http_error',
  'unhandled_rejection',
  'shutdown_failed',
] as const satisfies readonly WatchedEvent[];

const NOOP: ErrorReporter = {
  enabled: false,
  captureException() {},
  attachLogTap: () => () => {},
  flush: async () => {},
  close: async () => {},
};

// Headers that authenticate someone (ours or a platform's) never leave, scrubbed or not.
const SENSITIVE_HEADERS =
  /^(authorization|cookie|set-cookie|proxy-authorization|x-telegram-bot-api-secret-token|x-slack-signature|x-api-key)$/i;

/** Scrub every string in a Sentry event (deeply) and drop credentials and the user's address. */
export function scrubSentryEvent<T>(event: T, scrub: (s: string) => string): T {
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return scrub(v);
    if (depth > 12 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (SENSITIVE_HEADERS.test(k)) out[k] = '[redacted]';
      else out[scrub(k)] = walk(x, depth + 1);
    }
    return out;
  };
  const e = walk(event, 0) as Record<string, unknown>;
  const user = e.user as Record<string, unknown> | undefined;
  if (user) delete user.ip_address;
  const request = e.request as Record<string, unknown> | undefined;
  if (request) {
    delete request.cookies;
    delete request.data;
  }
  return e as T;
}

let active: ErrorReporter | undefined;

export function initSentry(config: Pick<Config, 'sentryDsn' | 'env'>, logger: Logger): ErrorReporter {
  if (!config.sentryDsn) return NOOP;
  if (active) return active;
  const scrub = makeScrubber(secretValues(config as Config));
  try {
    Sentry.initWithoutDefaultIntegrations({
      dsn: config.sentryDsn,
      environment: config.env.NODE_ENV ?? 'production',
      // Collect nothing about people or requests; our events carry job ids and codes only.
      dataCollection: { userInfo: false, cookies: false, httpHeaders: false, httpBodies: [], urlQueryParams: false },
      enableRuntimeChannelInjection: false,
      integrations: [
        Sentry.eventFiltersIntegration(),
        Sentry.functionToStringIntegration(),
        Sentry.linkedErrorsIntegration(),
        Sentry.dedupeIntegration(),
        Sentry.nodeContextIntegration(),
        Sentry.contextLinesIntegration(),
      ],
      beforeSend: (event) => scrubSentryEvent(event, scrub),
      beforeBreadcrumb: (b) => scrubSentryEvent(b, scrub),
    });
  } catch (err) {
    // A bad DSN must not take the service down: report and go on without Sentry.
    logger.warn({ event: 'sentry_init_failed', err: scrub((err as Error).message) }, 'Sentry is off');
    return NOOP;
  }
  logger.info({ event: 'sentry_on' }, 'errors are reported to Sentry');

  const fromLine = (event: string, line: LogLine | undefined) => {
    if (!line) return;
    if (event === 'job_failed' && line.code !== 'INTERNAL') return;
    const e = line.err as unknown;
    const raw =
      typeof e === 'string'
        ? e
        : e && typeof (e as { message?: unknown }).message === 'string'
          ? (e as { message: string }).message
          : String(line.msg ?? event);
    // Scrubbed here as well as in beforeSend: the fingerprint below rewrites digits, after which
    // a secret would no longer be recognised.
    const err = scrub(raw);
    const step = typeof line.step === 'string' ? line.step : undefined;
    Sentry.withScope((scope) => {
      scope.setLevel('error');
      scope.setTag('event', event);
      if (typeof line.proc === 'string') scope.setTag('process', line.proc);
      if (typeof line.jobId === 'string') scope.setTag('jobId', line.jobId);
      if (typeof line.code === 'string') scope.setTag('code', line.code);
      if (step) scope.setTag('step', step);
      // Group by what failed, not by the job id or numbers in the message.
      scope.setFingerprint([event, step ?? '', err.replace(/\d+/g, '#').slice(0, 120)]);
      scope.setExtra('log', line);
      Sentry.captureMessage(`${event}${step ? ` at ${step}` : ''}: ${err}`);
    });
  };

  const reporter: ErrorReporter = {
    enabled: true,
    captureException(err, context) {
      Sentry.withScope((scope) => {
        if (context?.jobId) scope.setTag('jobId', context.jobId);
        for (const [k, v] of Object.entries(context?.tags ?? {})) scope.setTag(k, v);
        for (const [k, v] of Object.entries(context?.extra ?? {})) scope.setExtra(k, v);
        Sentry.captureException(err);
      });
    },
    attachLogTap(tap) {
      const wanted = new Set<string>(REPORTED_EVENTS);
      return tap.subscribe((event, line) => {
        if (wanted.has(event)) fromLine(event, line());
      });
    },
    async flush(timeoutMs = 2000) {
      await Sentry.flush(timeoutMs).catch(() => false);
    },
    async close(timeoutMs = 2000) {
      if (active !== reporter) return;
      active = undefined;
      await Sentry.close(timeoutMs).catch(() => false);
    },
  };
  active = reporter;
  return active;
}
