// The queue dashboard at /admin/queues: basic auth with ADMIN_USER/ADMIN_PASSWORD, off when unset.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { basicAuthChecker, LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS, loginClientKey } from '../../src/ops/admin-dashboard.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('basicAuthChecker', () => {
  const ok = basicAuthChecker('admin', 'pa:ss wörd');
  it('accepts exactly the configured user and password', () => {
    expect(ok(basic('admin', 'pa:ss wörd'))).toBe(true);
    expect(ok(`basic ${Buffer.from('admin:pa:ss wörd').toString('base64')}`)).toBe(true);
  });
  it('refuses anything else', () => {
    expect(ok(undefined)).toBe(false);
    expect(ok('')).toBe(false);
    expect(ok('Bearer abc')).toBe(false);
    expect(ok(basic('admin', 'pa:ss wörd!'))).toBe(false);
    expect(ok(basic('admin', 'pa:ss'))).toBe(false);
    expect(ok(basic('Admin', 'pa:ss wörd'))).toBe(false);
    expect(ok(basic('', ''))).toBe(false);
    expect(ok(`Basic ${Buffer.from('adminpa:ss wörd').toString('base64')}`)).toBe(false);
    expect(ok(`Basic ${Buffer.from('no colon at all').toString('base64')}`)).toBe(false);
    expect(ok('Basic !!!not-base64')).toBe(false);
  });
});

describe('/admin/queues', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const start = async (env: Record<string, string>) => {
    h = await startHarness({ redisUrl: inject('redisUrl'), env, ops: true, worker: false });
    return h;
  };

  it('refuses without credentials and with wrong ones, and serves with the right ones', async () => {
    const h = await start({ ADMIN_USER: 'ops', ADMIN_PASSWORD: 'correct-horse-battery' });
    const url = `${h.baseUrl}/admin/queues`;

    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="doc2video admin"/);
    expect(await none.text()).not.toMatch(/bull|queue/i);

    const wrong = await fetch(url, { headers: { authorization: basic('ops', 'wrong-password') } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
    const wrongUser = await fetch(url, { headers: { authorization: basic('root', 'correct-horse-battery') } });
    expect(wrongUser.status).toBe(401);
    // The API behind the page is guarded too.
    expect((await fetch(`${url}/api/queues`)).status).toBe(401);
    expect(h.logs.events('admin_auth_failed').length).toBeGreaterThanOrEqual(2);
    expect(h.logs.text()).not.toContain('wrong-password');

    const auth = { authorization: basic('ops', 'correct-horse-battery') };
    const page = await fetch(url, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/"');
    // The UI's own files are served under the same prefix, behind the same check.
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${url}/${script}`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${url}/${script}`)).status).toBe(401);

    await h.services.submitter.submit({
      dedupeKey: 'dash:1',
      requester: { platform: 'test', userKey: 'u', userId: 'u', chatId: 'c' },
      file: { kind: 'path', path: '/nonexistent.pdf' },
    });
    const api = await fetch(`${url}/api/queues?activeQueue=video&status=waiting`, { headers: auth });
    expect(api.status).toBe(200);
    const body = await api.text();
    expect(body).toContain('"video"');
  });

  it('is off (404) when ADMIN_USER / ADMIN_PASSWORD are unset', async () => {
    const h = await start({});
    expect((await fetch(`${h.baseUrl}/admin/queues`)).status).toBe(404);
    expect((await fetch(`${h.baseUrl}/admin/queues/api/queues`, { headers: { authorization: basic('a', 'b') } })).status).toBe(
      404,
    );
  });

  it('stays off when only one of the two is set', async () => {
    const h = await start({ ADMIN_USER: 'ops' });
    expect((await fetch(`${h.baseUrl}/admin/queues`)).status).toBe(404);
    expect(h.logs.events('admin_dashboard_off')).toHaveLength(1);
  });
});

describe('/admin/queues login throttling', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const creds = { ADMIN_USER: 'ops', ADMIN_PASSWORD: 'correct-horse-battery' };
  const good = basic('ops', 'correct-horse-battery');
  const get = (h: Harness, authorization: string | undefined, forwardedFor?: string) =>
    fetch(`${h.baseUrl}/admin/queues/api/queues`, {
      headers: { ...(authorization ? { authorization } : {}), ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    });

  it(`refuses an IP with 429 and Retry-After after ${LOGIN_MAX_FAILURES} failed logins, even with the right password`, async () => {
    h = await startHarness({ redisUrl: inject('redisUrl'), env: creds, ops: true, worker: false });
    expect((await get(h, undefined)).status).toBe(401);
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) expect((await get(h, basic('ops', `guess-${i}`))).status).toBe(401);
    const blocked = await get(h, good);
    expect(blocked.status).toBe(429);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(LOGIN_WINDOW_MS / 1000);
    expect((await get(h, basic('ops', 'another-guess'))).status).toBe(429);
    // The browser's first, credential-less request is not a failed login and is not counted.
    const key = `${h.prefix}:admin:login-failures:127.0.0.1`;
    expect(Number(await h.services.redis.get(key))).toBe(LOGIN_MAX_FAILURES);
    // The window ends: the right password works again.
    await h.services.redis.del(key);
    expect((await get(h, good)).status).toBe(200);
  });

  it('without TRUST_PROXY, X-Forwarded-For does not give an attacker fresh IPs', async () => {
    h = await startHarness({ redisUrl: inject('redisUrl'), env: creds, ops: true, worker: false });
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      expect((await get(h, basic('ops', `guess-${i}`), `198.51.100.${i}`)).status).toBe(401);
    }
    expect((await get(h, good, '198.51.100.200')).status).toBe(429);
  });

  it('with TRUST_PROXY, counts per forwarded client IP: one blocked client does not block another', async () => {
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      env: { ...creds, TRUST_PROXY: '127.0.0.1' },
      ops: true,
      worker: false,
    });
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++)
      expect((await get(h, basic('ops', `guess-${i}`), '203.0.113.7')).status).toBe(401);
    expect((await get(h, good, '203.0.113.7')).status).toBe(429);
    expect((await get(h, good, '203.0.113.8')).status).toBe(200);
    expect(h.logs.events('admin_auth_failed').every((l) => l.ip === '203.0.113.7')).toBe(true);
  });
});

describe('loginClientKey', () => {
  it('counts an IPv4 address alone, IPv4-mapped as IPv4, and IPv6 by its /64', () => {
    expect(loginClientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(loginClientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(loginClientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(loginClientKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(loginClientKey('2001:0db8::1')).toBe('2001:db8:0:0::/64');
    expect(loginClientKey('::1')).toBe('0:0:0:0::/64');
    expect(loginClientKey('2001:db8:1:3::1')).not.toBe(loginClientKey('2001:db8:1:2::1'));
  });
});
