// Bodies are judged while they stream in: each POST route counts the bytes as they arrive and
// stops at its own limit with 413 and a closed connection, so a huge body (chunked, with no
// Content-Length to refuse it by) is never buffered whole; requests that fail a route's cheap
// checks (secret header, Slack's signature headers, the D-ID token) are refused before any of
// the body is read. Measured by what the server's socket actually read, not by time.
// (The old router buffered a chunked 96 MB body sent to the Telegram webhook with its secret.)
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { streamBody } from '../../helpers/raw-http.js';
import { startWebRig, WEB_SECRETS, type WebRig } from '../../helpers/web-rig.js';
import { slackSignature } from '../../fakes/slack.js';
import { webhookToken } from '../../../pipeline/render/webhook-token.js';
import { MAX_UPDATE_BYTES } from '../../../bots/telegram/webhook.js';
import { SLACK_BODY_LIMIT } from '../../../bots/slack/events-route.js';

const MiB = 1024 * 1024;
const BODY = 5 * MiB;

let rig: WebRig;
/** Server-side sockets, in the order they were accepted. */
const sockets: Socket[] = [];

beforeAll(async () => {
  rig = await startWebRig({ redisUrl: inject('redisUrl') });
  rig.h.http.app.server.on('connection', (s: Socket) => sockets.push(s));
});
afterAll(async () => rig?.close());

/** Send a request with a 5 MB body; returns the answer and what the server read from the socket. */
async function send(path: string, headers: string[], opts: { chunked: boolean } = { chunked: true }) {
  const before = sockets.length;
  const head =
    [
      `POST ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      opts.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${BODY}`,
      ...headers,
    ].join('\r\n') + '\r\n\r\n';
  const answer = await streamBody(rig.port, head, { total: BODY, chunked: opts.chunked });
  const socket = sockets[before]!;
  // The server closes the connection itself; wait for its side to be gone before reading the count.
  await new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
  return { ...answer, serverRead: socket.bytesRead };
}

describe('request bodies are counted as they arrive', () => {
  it('Telegram webhook, right secret, chunked 5 MB: 413 after about 1 MiB read, connection closed', async () => {
    const memBefore = process.memoryUsage();
    const r = await send('/telegram/webhook', [`X-Telegram-Bot-Api-Secret-Token: ${WEB_SECRETS.telegram}`]);
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(r.serverRead).toBeGreaterThan(MAX_UPDATE_BYTES);
    expect(r.serverRead).toBeLessThan(MAX_UPDATE_BYTES + 512 * 1024);
    // What was read was not kept: memory did not grow by the body's size.
    const memAfter = process.memoryUsage();
    expect(memAfter.heapUsed + memAfter.arrayBuffers - (memBefore.heapUsed + memBefore.arrayBuffers)).toBeLessThan(BODY);
  });

  it('Telegram webhook, wrong secret: 401 before the body is read', async () => {
    const r = await send('/telegram/webhook', ['X-Telegram-Bot-Api-Secret-Token: not-the-secret'], { chunked: false });
    expect(r.status).toBe(401);
    expect(r.serverRead).toBeLessThan(256 * 1024);
  });

  it('Slack events without signature headers: 401 before the body is read', async () => {
    for (const headers of [
      [],
      [`X-Slack-Signature: v0=${'0'.repeat(64)}`],
      [`X-Slack-Request-Timestamp: ${Math.floor(Date.now() / 1000)}`],
    ]) {
      const r = await send('/slack/events', headers, { chunked: false });
      expect(r.status).toBe(401);
      expect(r.serverRead).toBeLessThan(256 * 1024);
    }
  });

  it('Slack events with a stale timestamp: 401 before the body is read', async () => {
    const stale = Math.floor(Date.now() / 1000) - 10 * 60;
    const r = await send('/slack/events', [
      `X-Slack-Request-Timestamp: ${stale}`,
      `X-Slack-Signature: ${slackSignature(WEB_SECRETS.slack, stale, '')}`,
    ]);
    expect(r.status).toBe(401);
    expect(r.serverRead).toBeLessThan(256 * 1024);
  });

  it('Slack events with the headers, chunked 5 MB: 413 at the small Slack limit', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const r = await send('/slack/events', [
      `X-Slack-Request-Timestamp: ${ts}`,
      `X-Slack-Signature: ${slackSignature(WEB_SECRETS.slack, ts, 'x')}`,
    ]);
    expect(r.status).toBe(413);
    expect(r.serverRead).toBeGreaterThan(SLACK_BODY_LIMIT);
    expect(r.serverRead).toBeLessThan(SLACK_BODY_LIMIT + 512 * 1024);
  });

  it('D-ID webhook: a wrong token is refused before the body is read, a right one stops at its limit', async () => {
    const wrong = await send('/did/webhook/job-1/not-the-token', [], { chunked: false });
    expect(wrong.status).toBe(404);
    expect(wrong.serverRead).toBeLessThan(256 * 1024);
    const right = await send(`/did/webhook/job-1/${webhookToken('job-1', WEB_SECRETS.did)}`, []);
    expect(right.status).toBe(413);
    expect(right.serverRead).toBeLessThan(MiB);
  });

  it('no POST, PUT or PATCH route reads a 5 MB body from an anonymous client', async () => {
    const routes = rig.h.http.routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method));
    expect(routes.length).toBeGreaterThanOrEqual(3);
    for (const route of routes) {
      const path = route.url.replace(/:[A-Za-z_]\w*/g, 'x').replace(/\*$/, 'x');
      const head =
        [
          `${route.method} ${path} HTTP/1.1`,
          'Host: 127.0.0.1',
          'Content-Type: application/json',
          'Transfer-Encoding: chunked',
        ].join('\r\n') + '\r\n\r\n';
      const before = sockets.length;
      const r = await streamBody(rig.port, head, { total: BODY, chunked: true });
      const socket = sockets[before]!;
      await new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
      expect(r.status, `${route.method} ${route.url}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${route.method} ${route.url}`).toBeLessThan(500);
      expect(socket.bytesRead, `${route.method} ${route.url}`).toBeLessThan(MiB + 512 * 1024);
    }
  }, 60_000);
});
