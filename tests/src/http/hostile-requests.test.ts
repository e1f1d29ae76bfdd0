// Every route of the web process answers hostile input, quickly, with a 2xx or 4xx, and nothing
// it receives causes an unhandled rejection or an error log. The routes come from the server's
// own list (collected by its onRoute hook), so a route added later is covered without touching
// this file. Requests go out over raw TCP, so malformed request lines really reach the server.
// (The old node:http router left `GET //` and `POST /did/webhook/%E0%A4%A/x` unanswered, with an
// unhandled rejection each.)
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pLimit from 'p-limit';
import { rawRequest } from '../../helpers/raw-http.js';
import { startWebRig, WEB_SECRETS, type WebRig } from '../../helpers/web-rig.js';
import { slackSignature } from '../../fakes/slack.js';
import { webhookToken } from '../../../pipeline/render/webhook-token.js';
import type { RouteSummary } from '../../../src/http/server.js';

const CRLF = '\r\n';
/** A log line at error or fatal level (pino writes the level's label). */
const isErrorLine = (l: Record<string, unknown>) => l.level === 'error' || l.level === 'fatal';
const basic = `Basic ${Buffer.from(`${WEB_SECRETS.adminUser}:${WEB_SECRETS.adminPassword}`).toString('base64')}`;

/** A request as bytes: request line, Host (unless told otherwise), headers, blank line, body. */
function request(line: string, headers: string[] = [], body = '', host = true): Buffer {
  const head = [line, ...(host ? ['Host: 127.0.0.1'] : []), 'Connection: close', ...headers].join(CRLF);
  return Buffer.from(`${head}${CRLF}${CRLF}${body}`, 'latin1');
}

/** The route's path with every :param (and a trailing *) set to `value`; D-ID's token then matches. */
function fill(url: string, value: string): string {
  const filled = url.replace(/:[A-Za-z_]\w*/g, (p) => (p === ':token' ? '\u0000TOKEN' : value)).replace(/\*$/, value);
  if (!filled.includes('\u0000TOKEN')) return filled;
  let jobId = value;
  try {
    jobId = decodeURIComponent(value);
  } catch {
    // A malformed escape: the server refuses it before any token is checked.
  }
  return filled.replace('\u0000TOKEN', webhookToken(jobId, WEB_SECRETS.did));
}

/** What a legitimate caller of this route would send to get past its checks. */
function credentials(url: string, body: string): string[] {
  if (url.startsWith('/admin/queues')) return [`Authorization: ${basic}`];
  if (url === '/metrics') return [`Authorization: Bearer ${WEB_SECRETS.metrics}`];
  if (url.startsWith('/api/v1')) return [`Authorization: Bearer ${WEB_SECRETS.apiKey}`];
  if (url === '/telegram/webhook') return [`X-Telegram-Bot-Api-Secret-Token: ${WEB_SECRETS.telegram}`];
  if (url === '/slack/events') {
    const ts = Math.floor(Date.now() / 1000);
    return [`X-Slack-Request-Timestamp: ${ts}`, `X-Slack-Signature: ${slackSignature(WEB_SECRETS.slack, ts, body)}`];
  }
  return [];
}

interface Case {
  name: string;
  bytes: Buffer;
}

/** The hostile table for one route, with or without the route's credentials. */
function hostileCases(route: RouteSummary, withCredentials: boolean): Case[] {
  const m = route.method;
  const path = fill(route.url, 'job-1');
  const creds = (body = '') => (withCredentials ? credentials(route.url, body) : []);
  const long = 'a'.repeat(5_000);
  const withParam = (v: string) => (route.url.includes(':') || route.url.endsWith('*') ? fill(route.url, v) : `${path}?q=${v}`);
  const json = (body: string) => [
    `Content-Type: application/json`,
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    ...creds(body),
  ];
  return [
    { name: 'bad escape in the path', bytes: request(`${m} ${path}%E0%A4%A HTTP/1.1`, creds()) },
    { name: 'bad escape segment', bytes: request(`${m} ${path}/%ZZ HTTP/1.1`, creds()) },
    { name: 'bad escape as a param', bytes: request(`${m} ${withParam('%E0%A4%A')} HTTP/1.1`, creds()) },
    { name: 'double slash in front', bytes: request(`${m} /${path} HTTP/1.1`, creds()) },
    { name: 'empty segment', bytes: request(`${m} ${path}//x HTTP/1.1`, creds()) },
    {
      name: 'encoded slash, dots and NUL as a param',
      bytes: request(`${m} ${withParam('..%2F..%2Fetc%2Fpasswd%00')} HTTP/1.1`, creds()),
    },
    { name: 'over-long param', bytes: request(`${m} ${withParam(long)} HTTP/1.1`, creds()) },
    {
      name: 'hostile query',
      bytes: request(`${m} ${path}?a=%E0%A4%A&b=%00&__proto__[x]=1&constructor.prototype.x=1 HTTP/1.1`, creds()),
    },
    { name: 'absolute-form target', bytes: request(`${m} http://evil.example${path} HTTP/1.1`, creds()) },
    { name: 'asterisk target', bytes: request(`${m} * HTTP/1.1`, creds()) },
    { name: 'raw space in the target', bytes: request(`${m} ${path} x HTTP/1.1`, creds()) },
    { name: 'raw non-ASCII bytes in the target', bytes: request(`${m} ${path}\xff\xfe\u00e9 HTTP/1.1`, creds()) },
    { name: 'HTTP/1.1 without Host', bytes: request(`${m} ${path} HTTP/1.1`, creds(), '', false) },
    { name: 'HTTP/1.0', bytes: request(`${m} ${path} HTTP/1.0`, creds()) },
    { name: 'unknown protocol version', bytes: request(`${m} ${path} HTTP/9.9`, creds()) },
    { name: 'lower-case method', bytes: request(`${m.toLowerCase()} ${path} HTTP/1.1`, creds()) },
    { name: 'other method', bytes: request(`${m === 'DELETE' ? 'PUT' : 'DELETE'} ${path} HTTP/1.1`, creds()) },
    {
      name: 'Content-Length and Transfer-Encoding',
      bytes: request(`${m} ${path} HTTP/1.1`, ['Content-Length: 5', 'Transfer-Encoding: chunked', ...creds()], '0\r\n\r\n'),
    },
    { name: 'negative Content-Length', bytes: request(`${m} ${path} HTTP/1.1`, ['Content-Length: -1', ...creds()]) },
    {
      name: 'two Content-Lengths',
      bytes: request(`${m} ${path} HTTP/1.1`, ['Content-Length: 1', 'Content-Length: 2', ...creds()], 'ab'),
    },
    {
      name: 'broken chunked body',
      bytes: request(
        `${m} ${path} HTTP/1.1`,
        ['Transfer-Encoding: chunked', 'Content-Type: application/json', ...creds()],
        'zz\r\nabc\r\n0\r\n\r\n',
      ),
    },
    { name: 'header over 16 KiB', bytes: request(`${m} ${path} HTTP/1.1`, [`X-Big: ${'a'.repeat(20_000)}`, ...creds()]) },
    { name: 'control character in a header', bytes: request(`${m} ${path} HTTP/1.1`, ['X-Bad: a\u0001b', ...creds()]) },
    { name: 'space in a header name', bytes: request(`${m} ${path} HTTP/1.1`, ['Bad Header: x', ...creds()]) },
    { name: 'truncated JSON', bytes: request(`${m} ${path} HTTP/1.1`, json('{"update_id":'), '{"update_id":') },
    {
      name: '__proto__ in JSON',
      bytes: request(`${m} ${path} HTTP/1.1`, json('{"__proto__":{"x":1},"update_id":1}'), '{"__proto__":{"x":1},"update_id":1}'),
    },
    { name: 'JSON that is not an object', bytes: request(`${m} ${path} HTTP/1.1`, json('"just a string"'), '"just a string"') },
    {
      name: 'nonsense Content-Type',
      bytes: request(`${m} ${path} HTTP/1.1`, ['Content-Type: ;;;/\u00ff', 'Content-Length: 1', ...creds('x')], 'x'),
    },
    // Only without credentials: these count as failed dashboard logins, and ten of them would
    // have the dashboard answer 429 to the rest of the pass with credentials.
    ...(withCredentials
      ? []
      : [
          {
            name: 'garbage credentials and forwarding headers',
            bytes: request(`${m} ${path} HTTP/1.1`, [
              'Authorization: Basic !!!!',
              'X-Forwarded-For: not-an-ip, , 999.1.1.1',
              'X-Forwarded-Host: evil.example',
              'X-Slack-Signature: v0=zz',
              'X-Slack-Request-Timestamp: 99999999999999999999999',
              'X-Telegram-Bot-Api-Secret-Token: \u00ff\u00fe',
            ]),
          },
        ]),
  ];
}

describe('hostile requests to every route', () => {
  let rig: WebRig;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onRejection);
    rig = await startWebRig({ redisUrl: inject('redisUrl') });
  });
  afterAll(async () => {
    await rig?.close();
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onRejection);
  });

  it("takes the routes from the server's own list", () => {
    const urls = new Set(rig.h.http.routes.map((r) => `${r.method} ${r.url}`));
    for (const r of [
      'GET /healthz',
      'GET /readyz',
      'POST /did/webhook/:jobId/:token',
      'GET /metrics',
      'GET /admin/queues',
      'POST /telegram/webhook',
      'POST /slack/events',
      'POST /api/v1/videos',
      'GET /api/v1/videos/:id/events',
      'DELETE /api/v1/videos/:id',
      'GET /files/:jobId/:file',
    ]) {
      expect(urls).toContain(r);
    }
  });

  it('answers the two requests the old router never answered with 400', async () => {
    for (const bytes of [request('GET // HTTP/1.1'), request('POST /did/webhook/%E0%A4%A/x HTTP/1.1', ['Content-Length: 0'])]) {
      const answer = await rawRequest(rig.port, bytes);
      expect(answer.status, answer.text).toBe(400);
    }
  });

  for (const withCredentials of [true, false]) {
    it(`answers every hostile request to every route with a 2xx or 4xx (${withCredentials ? 'with' : 'without'} credentials)`, async () => {
      const errorsBefore = rig.h.logs.lines.filter(isErrorLine).length;
      const routes = [...rig.h.http.routes];
      expect(routes.length).toBeGreaterThan(7);
      const limit = pLimit(8);
      const results = await Promise.all(
        routes.flatMap((route) =>
          hostileCases(route, withCredentials).map((c) =>
            limit(async () => {
              const answer = await rawRequest(rig.port, c.bytes);
              return {
                route: `${route.method} ${route.url}`,
                name: c.name,
                status: answer.status,
                text: answer.text.slice(0, 200),
              };
            }),
          ),
        ),
      );
      const bad = results.filter(
        (r) => r.status === undefined || !((r.status >= 200 && r.status < 300) || (r.status >= 400 && r.status < 500)),
      );
      expect(bad).toEqual([]);
      // The malformed targets are refused as such, whatever the route.
      for (const r of results.filter((x) =>
        ['bad escape in the path', 'double slash in front', 'empty segment', 'absolute-form target'].includes(x.name),
      )) {
        expect(r.status, `${r.route}: ${r.name}`).toBe(400);
      }
      expect(results.length).toBeGreaterThan(200);
      // Let anything left over settle before looking for rejections and error logs.
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections).toEqual([]);
      const errors = rig.h.logs.lines.filter(isErrorLine).slice(errorsBefore);
      expect(errors).toEqual([]);
    }, 120_000);
  }
});
