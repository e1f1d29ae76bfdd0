// What every HTTP provider client shares: reading Retry-After, telling a network blip from a
// local mistake, parsing a JSON body against a schema, and keeping secrets out of what we
// log or throw. Written once here so OpenRouter and D-ID cannot drift apart.
import type { z } from 'zod';
import { makeScrubber } from '../../src/logger.js';

/**
 * Network failures worth another attempt (the request may not have arrived, or its answer was
 * lost). Anything else undici throws (a bad URL, an invalid header) fails the same way again.
 */
export const RETRYABLE_NETWORK_CODES: readonly string[] = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
];

/** The error's code (or name) for logs and messages: never its message, which may hold a URL. */
export function networkProblem(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | undefined;
  return typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'network error';
}

export function isRetryableNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && RETRYABLE_NETWORK_CODES.includes(code);
}

/** Retry-After (RFC 9110: delta seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** JSON.parse that answers undefined for an empty or malformed body. */
export function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The body read through a schema; undefined when it does not match (the caller decides what that means). */
export function parseBody<T extends z.ZodType>(schema: T, json: unknown): z.infer<T> | undefined {
  const r = schema.safeParse(json);
  return r.success ? r.data : undefined;
}

/**
 * The logger's scrubber (configured secrets and token patterns) plus the client's own keys, and
 * a length cap: anything a provider puts into a log line or an error message passes through it.
 */
export function providerScrubber(secrets: readonly string[], maxLength = 300): (s: string) => string {
  const scrub = makeScrubber(secrets);
  return (s) => scrub(s).slice(0, maxLength);
}
