// pino JSON logs: one line per event, `event` names what happened. Secrets are removed twice:
// by key (redact paths) and by value (any configured secret or bot token inside a string).
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Log events that something watches: metrics count them, Sentry reports them (src/ops). Emitters
 * write `event: 'llm_request' satisfies WatchedEvent`, and the listeners are typed over this
 * list, so renaming an event on one side fails to compile instead of silently zeroing a metric.
 */
export const WATCHED_EVENTS = [
  'llm_request',
  'llm_error',
  'did_video_request',
  'did_poll',
  'did_download_start',
  'did_error',
  'did_no_credits',
  'did_create_attempt_failed',
  'job_retry',
  'rate_limited',
  'service_busy',
  'request_not_allowed',
  'budget_exceeded',
  'job_failed',
  'worker_error',
  'worker_job_lost',
  'queue_error',
  'http_error',
  'unhandled_rejection',
  'shutdown_failed',
] as const;
export type WatchedEvent = (typeof WATCHED_EVENTS)[number];

const REDACT_PATHS = [
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'secret',
  '*.secret',
];

// Telegram bot tokens ("123456:ABC...") and Slack tokens ("xoxb-...") even when not configured here.
const TOKEN_PATTERNS = [/\d{6,}:[A-Za-z0-9_-]{30,}/g, /xox[abposr]-[A-Za-z0-9-]{10,}/g, /xapp-[A-Za-z0-9-]{10,}/g];

export function makeScrubber(secrets: readonly string[]): (s: string) => string {
  const list = [...new Set(secrets.filter((s) => s.length >= 6))].sort((a, b) => b.length - a.length);
  return (s: string) => {
    let out = s;
    for (const secret of list) out = out.split(secret).join('[redacted]');
    for (const re of TOKEN_PATTERNS) out = out.replace(re, '[redacted]');
    return out;
  };
}

function scrubDeep(value: unknown, scrub: (s: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return {
      type: value.name,
      message: scrub(value.message),
      stack: value.stack ? scrub(value.stack) : undefined,
      code: (value as { code?: unknown }).code,
    };
  }
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, scrub, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, scrub, depth + 1);
  return out;
}

/**
 * One shape for logged errors: `err` is always `{type, message, code?, stack?}`, whether the
 * call site passed an Error or a short description, so jq queries and Sentry read one shape.
 */
function oneErrorShape(obj: Record<string, unknown>): Record<string, unknown> {
  const e = obj.err;
  if (e === undefined || e instanceof Error) return obj;
  if (typeof e === 'string') return { ...obj, err: { type: 'Error', message: e } };
  return obj;
}

export function createLogger(
  options: { level?: string; secrets?: readonly string[]; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  const scrub = makeScrubber(options.secrets ?? []);
  return pino(
    {
      level: options.level ?? 'info',
      base: options.name ? { proc: options.name } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Errors reach formatters.log as they are: oneErrorShape + scrubDeep give them their shape.
      serializers: { err: (e: unknown) => e },
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => scrubDeep(oneErrorShape(obj), scrub) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // Scrub the message string too (the object is handled by formatters.log).
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as typeof args;
          method.apply(this, scrubbed);
        },
      },
    },
    destination,
  );
}
