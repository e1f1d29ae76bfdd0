import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  isRetryableNetworkError,
  networkProblem,
  parseBody,
  parseJson,
  parseRetryAfter,
  providerScrubber,
} from '../../../pipeline/providers/http.js';

describe('provider HTTP plumbing', () => {
  it('reads Retry-After as seconds or an HTTP date, and nothing else', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(['1.5'], now)).toBe(1500);
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(' ', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('retries network blips, not local mistakes, and names them by code only', () => {
    expect(isRetryableNetworkError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableNetworkError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe(true);
    expect(isRetryableNetworkError(Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' }))).toBe(false);
    expect(isRetryableNetworkError(new Error('no code'))).toBe(false);
    expect(networkProblem(Object.assign(new Error('https://api.example/?key=s3cr3t failed'), { code: 'ECONNRESET' }))).toBe(
      'ECONNRESET',
    );
  });

  it('parses bodies through a schema, answering undefined for what does not fit', () => {
    const S = z.object({ id: z.string() });
    expect(parseBody(S, parseJson('{"id":"clp_1"}'))).toEqual({ id: 'clp_1' });
    expect(parseBody(S, parseJson('{"id":1}'))).toBeUndefined();
    expect(parseJson('<html>502</html>')).toBeUndefined();
    expect(parseJson('')).toBeUndefined();
  });

  it('scrubs the client key, bot tokens it never saw, and caps the length', () => {
    const scrub = providerScrubber(['sk-or-v1-abcdef123456'], 80);
    const out = scrub(`key sk-or-v1-abcdef123456 and 123456789:${'A'.repeat(35)} ${'x'.repeat(200)}`);
    expect(out).not.toContain('sk-or-v1-abcdef123456');
    expect(out).not.toContain('A'.repeat(35));
    expect(out).toContain('[redacted]');
    expect(out.length).toBe(80);
  });
});
