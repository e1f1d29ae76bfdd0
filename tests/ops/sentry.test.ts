// Sentry: off without SENTRY_DSN; with it, INTERNAL job failures and worker errors are sent
// (to a local stand-in for Sentry's ingest endpoint here), and secrets never leave.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger, makeScrubber } from '../../src/logger.js';
import { LogEventTap } from '../../src/ops/log-events.js';
import { initSentry, scrubSentryEvent, type ErrorReporter } from '../../src/ops/sentry.js';
import { waitFor } from '../helpers/harness.js';

const OPENROUTER_KEY = 'sk-or-v1-0123456789abcdef-secret';
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

describe('scrubSentryEvent', () => {
  it('scrubs every string, drops credentials headers and the user address', () => {
    const scrub = makeScrubber([OPENROUTER_KEY]);
    const event = {
      message: `failed with ${OPENROUTER_KEY}`,
      exception: { values: [{ value: `GET https://api.telegram.org/bot${BOT_TOKEN}/getFile` }] },
      request: {
        headers: { Authorization: 'Bearer x', 'x-slack-signature': 'v0=abc', accept: '*/*' },
        cookies: { a: 'b' },
        data: 'body',
      },
      user: { id: '1', ip_address: '10.0.0.1' },
      breadcrumbs: [{ message: `retry ${OPENROUTER_KEY}` }],
    };
    const out = scrubSentryEvent(event, scrub);
    const text = JSON.stringify(out);
    expect(text).not.toContain(OPENROUTER_KEY);
    expect(text).not.toContain(BOT_TOKEN);
    expect(text).not.toContain('Bearer x');
    expect(text).not.toContain('v0=abc');
    expect(text).not.toContain('10.0.0.1');
    expect(out.request).toEqual({ headers: { Authorization: '[redacted]', 'x-slack-signature': '[redacted]', accept: '*/*' } });
    expect(out.message).toBe('failed with [redacted]');
  });
});

describe('initSentry', () => {
  let server: Server | undefined;
  let enabled: ErrorReporter | undefined;
  afterAll(async () => {
    // The SDK is process-wide: shut it down so no other test file inherits it.
    await enabled?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('is a no-op without SENTRY_DSN', () => {
    const reporter = initSentry(loadConfig({}), createLogger({ level: 'silent' }));
    expect(reporter.enabled).toBe(false);
    const tap = new LogEventTap();
    reporter.attachLogTap(tap)();
    reporter.captureException(new Error('nothing happens'));
  });

  it('reports INTERNAL job failures and worker errors, and never a secret', async () => {
    const received: string[] = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        received.push(body.toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const config = loadConfig({ SENTRY_DSN: `http://abcdef0123456789@127.0.0.1:${port}/42`, OPENROUTER_API_KEY: OPENROUTER_KEY });
    const reporter = initSentry(config, createLogger({ level: 'silent' }));
    enabled = reporter;
    expect(reporter.enabled).toBe(true);

    const tap = new LogEventTap();
    reporter.attachLogTap(tap);
    const line = (o: Record<string, unknown>) => `${JSON.stringify({ level: 'error', proc: 'worker', ...o })}\n`;
    tap.write(
      line({
        event: 'job_failed',
        jobId: 'abc123',
        code: 'INTERNAL',
        step: 'render',
        err: `socket hang up calling ${OPENROUTER_KEY}`,
      }),
    );
    tap.write(line({ event: 'job_failed', jobId: 'def456', code: 'PDF_SCANNED', err: 'a user problem, not ours' }));
    tap.write(line({ event: 'worker_error', err: `redis said no to bot${BOT_TOKEN}` }));
    tap.write(line({ event: 'llm_request' }));
    reporter.captureException(new Error(`direct ${OPENROUTER_KEY}`), { jobId: 'xyz789' });
    await reporter.flush(5000);

    // Envelopes: a header line, then item header / payload line pairs.
    const eventsIn = (body: string) => {
      const lines = body.split('\n').filter(Boolean);
      const out: Record<string, any>[] = [];
      for (let i = 1; i + 1 < lines.length; i += 2) {
        if ((JSON.parse(lines[i]!) as { type?: string }).type === 'event') out.push(JSON.parse(lines[i + 1]!));
      }
      return out;
    };
    const events = await waitFor(async () => {
      const evs = received.flatMap(eventsIn);
      return evs.length >= 3 ? evs : undefined;
    }, 'three events at the fake Sentry');
    const all = received.join('\n');
    expect(all).not.toContain(OPENROUTER_KEY);
    expect(all).not.toContain(BOT_TOKEN);
    // Not even mangled (digits rewritten for grouping) pieces of them.
    expect(all).not.toContain('abcdef-secret');
    expect(all).not.toContain('AAHdqTcvCH');
    expect(all).toContain('[redacted]');
    expect(all).toContain('job_failed at render: socket hang up calling [redacted]');
    expect(all).toContain('"jobId":"abc123"');
    expect(all).toContain('worker_error');
    expect(all).toContain('"jobId":"xyz789"');
    expect(events).toHaveLength(3);
    // Each event travels in its own request, so they may arrive in any order.
    const messageOf = (e: Record<string, any>) => String(e.message ?? e.exception?.values?.[0]?.value);
    expect(events.map(messageOf).sort()).toEqual([
      'direct [redacted]',
      'job_failed at render: socket hang up calling [redacted]',
      'worker_error: redis said no to bot[redacted]',
    ]);
    // Grouped by what failed, and the grouping key holds no secret either.
    const jobFailed = events.find((e) => messageOf(e).startsWith('job_failed'))!;
    expect(jobFailed.fingerprint).toEqual(['job_failed', 'render', 'socket hang up calling [redacted]']);
    expect(jobFailed.tags).toMatchObject({ event: 'job_failed', code: 'INTERNAL', jobId: 'abc123', step: 'render' });
  });
});
