// GET /api/v1/videos/{id}/events: a hijacked reply that sends the job on every change, keeps the
// connection alive with comments, ends when the job ends, and never holds the server open.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../../helpers/harness.js';
import { repoRoot } from '../../helpers/corpus.js';
import { API_PREFIX, webApiRoutes, type ApiVideo } from '../../../bots/web/api.js';
import { webApiDepsFrom } from '../../../bots/web/index.js';

const KEY = 'events-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };
let h: Harness;
let pdf: Buffer;

/** An open event stream: what arrived so far, and whether the server ended it. */
function openStream(id: string) {
  const s = { text: '', ended: false, status: 0 };
  const url = new URL(`${h.baseUrl}${API_PREFIX}/videos/${id}/events`);
  const req = http.get({ host: url.hostname, port: url.port, path: url.pathname, headers: auth }, (res) => {
    s.status = res.statusCode!;
    res.on('data', (c: Buffer) => (s.text += c.toString()));
    res.on('end', () => (s.ended = true));
    res.on('error', () => (s.ended = true));
  });
  req.on('error', () => (s.ended = true));
  const events = () => [...s.text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as ApiVideo);
  return { s, events, req };
}

async function upload(): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'water.pdf');
  const res = await fetch(`${h.baseUrl}${API_PREFIX}/videos`, { method: 'POST', headers: auth, body: form });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  pdf = await readFile(path.join(repoRoot, 'examples/the-water-cycle.pdf'));
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    worker: false,
    env: { SCRIPT_PROVIDER: 'local', VIDEO_PROVIDER: 'local', API_KEYS: `ev:${KEY}` },
    mount: (services, server) => {
      void server.app.register(webApiRoutes({ ...webApiDepsFrom(services, 'keys'), heartbeatMs: 50, eventsPollMs: 50 }), {
        prefix: API_PREFIX,
      });
    },
  });
});

afterAll(async () => {
  await h?.close();
});

describe('the event stream', () => {
  it('sends the job, heartbeats, the change to cancelled, then ends', async () => {
    const id = await upload();
    const stream = openStream(id);
    await waitFor(async () => stream.events().length > 0, 'the first event');
    expect(stream.s.status).toBe(200);
    expect(stream.events()[0]).toMatchObject({ id, status: 'queued' });
    await waitFor(async () => stream.s.text.includes(': keep-alive'), 'a heartbeat');
    expect(stream.s.ended).toBe(false);
    const del = await fetch(`${h.baseUrl}${API_PREFIX}/videos/${id}`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(200);
    await waitFor(async () => stream.s.ended, 'the stream to end');
    expect(stream.events().map((e) => e.status)).toEqual(['queued', 'cancelled']);
  });

  it("answers someone else's stream 404 without opening it", async () => {
    const res = await fetch(`${h.baseUrl}${API_PREFIX}/videos/abcdefghij/events`, { headers: auth });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('does not keep the server from closing while a stream is open', async () => {
    const id = await upload();
    const stream = openStream(id);
    await waitFor(async () => stream.events().length > 0, 'the first event');
    await h.http.close();
    await waitFor(async () => stream.s.ended, 'the stream to end');
    expect(stream.events().map((e) => e.status)).toEqual(['queued']);
  });
});
