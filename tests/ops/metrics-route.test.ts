// Where /metrics is served: on the public port only with METRICS_TOKEN (bearer), on METRICS_PORT
// alone without it, and nowhere (404, logged at start) with neither. (It used to be open to anyone:
// node version, hostname, pid, queue depths, costs.)
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { freePort } from '../../src/redis/embedded.js';
import type { AddressInfo } from 'node:net';

const TOKEN = 'metrics-token-0123456789abcdef';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
const start = async (env: Record<string, string>) => {
  h = await startHarness({ redisUrl: inject('redisUrl'), env, ops: { role: 'web' }, worker: false });
  return h;
};

describe('/metrics', () => {
  it('is not served with neither METRICS_TOKEN nor METRICS_PORT, and the process says so', async () => {
    const h = await start({});
    const res = await fetch(`${h.baseUrl}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toMatch(/doc2video_|nodejs_/);
    expect(h.logs.events('metrics_off')).toHaveLength(1);
    expect(h.metricsHttp).toBeUndefined();
  });

  it('needs the bearer token on the public port when METRICS_TOKEN is set', async () => {
    const h = await start({ METRICS_TOKEN: TOKEN });
    const url = `${h.baseUrl}/metrics`;
    for (const authorization of [
      undefined,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      TOKEN,
      'Bearer ',
    ]) {
      const res = await fetch(url, authorization ? { headers: { authorization } } : {});
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(await res.text()).not.toMatch(/doc2video_/);
    }
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toMatch(/^# HELP doc2video_/m);
    expect(h.logs.events('metrics_off')).toHaveLength(0);
    expect(h.logs.text()).not.toContain(TOKEN);
  });

  it('is served only on METRICS_PORT, without a token, when that is set', async () => {
    const port = await freePort();
    const h = await start({ METRICS_PORT: String(port) });
    expect((await fetch(`${h.baseUrl}/metrics`)).status).toBe(404);
    expect((h.metricsHttp!.app.server.address() as AddressInfo).port).toBe(port);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^# HELP doc2video_/m);
    // Nothing else is served there.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);
    expect(h.logs.events('metrics_off')).toHaveLength(0);
  });
});
