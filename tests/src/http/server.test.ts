// The server's own limits, as configured: a client that dribbles its headers or its body is cut
// near HTTP_HEADERS_TIMEOUT_SECONDS / HTTP_REQUEST_TIMEOUT_SECONDS (answered 408, socket closed
// by the server), and no more than MAX_CONNECTIONS sockets are open at once. The upper bounds
// are generous on purpose: they tell "cut at the configured time" from Node's 30 s check
// interval (the old server cut a 15 s header timeout at about 31 s) or from never.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../../helpers/harness.js';
import { openSocket } from '../../helpers/raw-http.js';
import { webhookToken } from '../../../pipeline/render/webhook-token.js';
import { startWebFrontDoor } from '../../../bots/web/index.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const portOf = (h: Harness) => Number(new URL(h.baseUrl).port);

/** Write `head`, then `drip` every 100 ms until the server closes the socket. */
async function dribble(socket: Socket, head: string, drip: string): Promise<{ ms: number; text: string }> {
  const t0 = performance.now();
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.write(head);
  const timer = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write(drip);
  }, 100);
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.on('error', () => {});
  });
  clearInterval(timer);
  return { ms: performance.now() - t0, text };
}

describe('timeouts', () => {
  it('cuts a client that dribbles its headers near HTTP_HEADERS_TIMEOUT_SECONDS', async () => {
    h = await startHarness({ redisUrl: inject('redisUrl'), worker: false, env: { HTTP_HEADERS_TIMEOUT_SECONDS: '1' } });
    const socket = await openSocket(portOf(h));
    const r = await dribble(socket, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n');
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.ms).toBeGreaterThanOrEqual(900);
    expect(r.ms).toBeLessThan(8_000);
  });

  // Node's own request timer is set to HTTP_UPLOAD_TIMEOUT_SECONDS (600 s here): the 2 s below
  // is the server's per-request check, which every route but the upload keeps.
  it('cuts a client that dribbles its body near HTTP_REQUEST_TIMEOUT_SECONDS', async () => {
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      worker: false,
      env: {
        HTTP_HEADERS_TIMEOUT_SECONDS: '1',
        HTTP_REQUEST_TIMEOUT_SECONDS: '2',
        DID_WEBHOOK_SECRET: 'did-secret-for-timeouts',
      },
    });
    const socket = await openSocket(portOf(h));
    const path = `/did/webhook/job-1/${webhookToken('job-1', 'did-secret-for-timeouts')}`;
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`;
    const r = await dribble(socket, head, ' ');
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.ms).toBeGreaterThanOrEqual(1_900);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('gives a PDF upload HTTP_UPLOAD_TIMEOUT_SECONDS instead of HTTP_REQUEST_TIMEOUT_SECONDS', async () => {
    const key = 'upload-timeout-key-0123456789';
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      worker: false,
      env: {
        HTTP_HEADERS_TIMEOUT_SECONDS: '1',
        HTTP_REQUEST_TIMEOUT_SECONDS: '1',
        HTTP_UPLOAD_TIMEOUT_SECONDS: '3',
        DID_WEBHOOK_SECRET: 'did-secret-for-timeouts',
        API_KEYS: `slow:${key}`,
        WEB_UPLOADS: 'keys',
      },
      mount: (services, server) => {
        startWebFrontDoor(services, server, { role: 'web' });
      },
    });
    const boundary = 'slow-upload-boundary';
    const upload = await dribble(
      await openSocket(portOf(h)),
      `POST /api/v1/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000\r\n\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n`,
      ' ',
    );
    expect(upload.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(upload.ms).toBeGreaterThanOrEqual(2_900);
    expect(upload.ms).toBeLessThan(12_000);
  });
});

describe('connection cap', () => {
  it('drops connections past MAX_CONNECTIONS and serves again once one closes', async () => {
    h = await startHarness({ redisUrl: inject('redisUrl'), worker: false, env: { MAX_CONNECTIONS: '2' } });
    const server = h.http.app.server;
    const count = () =>
      new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    const dropped: unknown[] = [];
    server.on('drop', (d) => dropped.push(d));

    const a = await openSocket(portOf(h));
    const b = await openSocket(portOf(h));
    await waitFor(async () => (await count()) === 2, 'two connections');

    const c = await openSocket(portOf(h));
    let cText = '';
    c.on('data', (d: Buffer) => (cText += d.toString()));
    c.on('error', () => {});
    c.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise<void>((resolve) => (c.destroyed ? resolve() : c.once('close', () => resolve())));
    expect(cText).toBe('');
    expect(dropped).toHaveLength(1);
    expect(a.destroyed || b.destroyed).toBe(false);

    a.destroy();
    await waitFor(async () => (await count()) === 1, 'one connection left');
    const res = await fetch(`${h.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    b.destroy();
  });
});
