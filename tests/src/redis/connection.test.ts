// Redis as people run it: over TLS (rediss://, with a certificate this test makes), and managed
// plans that evict keys, which doc2video refuses at start rather than losing jobs later.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertRedisFit,
  createProducerConnection,
  createWorkerConnection,
  RedisUnfitError,
} from '../../../src/redis/connection.js';
import { freePort } from '../../../src/redis/embedded.js';
import { runScript, type RedisScript } from '../../../src/redis/scripts.js';
import { ALL_SCRIPTS } from '../../../src/redis/all-scripts.js';
import { RELEASE_CLAIM } from '../../../src/redis/scripts/release-claim.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** A redis-server of its own with the given flags ("{port}" stands for the port it gets). */
async function startRedis(flags: string[]): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'd2v-redis-'));
  const port = await freePort();
  const args = [
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    ...flags.map((f) => f.replace('{port}', String(port))),
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  return { port, child, dir };
}

async function untilPing(make: () => ReturnType<typeof createWorkerConnection>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = make();
    r.on('error', () => {});
    try {
      await Promise.race([r.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 1000))]);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((res) => setTimeout(res, 100));
    } finally {
      r.disconnect();
    }
  }
}

describe('Redis over TLS (rediss://)', () => {
  let dir: string;
  let server: { port: number; child: ChildProcess; dir: string };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'd2v-tls-'));
    const ossl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, stdio: 'ignore' });
    // A CA of our own, and a server certificate for 127.0.0.1 signed by it.
    ossl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=doc2video test CA',
    );
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1\\n" > ext.cnf'], { cwd: dir });
    ossl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    );
    server = await startRedis([
      '--port',
      '0',
      '--tls-port',
      '{port}',
      '--tls-cert-file',
      path.join(dir, 'server.crt'),
      '--tls-key-file',
      path.join(dir, 'server.key'),
      '--tls-ca-cert-file',
      path.join(dir, 'ca.crt'),
      '--tls-auth-clients',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ]);
    const url = `rediss://127.0.0.1:${server.port}`;
    await untilPing(() => createWorkerConnection({ url, tls: { caFile: path.join(dir, 'ca.crt'), verify: true } }));
  }, 60_000);

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    await rm(server?.dir ?? '', { recursive: true, force: true });
  });

  it('runs a BullMQ job over rediss:// with the CA from REDIS_TLS_CA_FILE, and checks the server', async () => {
    const to = { url: `rediss://127.0.0.1:${server.port}`, tls: { caFile: path.join(dir, 'ca.crt'), verify: true } };
    const conn = createWorkerConnection(to);
    const producer = createProducerConnection(to);
    await expect(assertRedisFit(conn)).resolves.toMatchObject({ policy: 'noeviction' });
    const queue = new Queue('tls-check', { connection: conn, prefix: 'tls' });
    const done = new Promise<unknown>((resolve) => {
      const worker = new Worker('tls-check', async (job) => job.data.n * 2, {
        connection: createWorkerConnection(to),
        prefix: 'tls',
      });
      worker.on('completed', (_job, result) => void worker.close().then(() => resolve(result)));
    });
    await queue.add('x', { n: 21 });
    expect(await done).toBe(42);
    await queue.close();
    conn.disconnect();
    producer.disconnect();
  });

  it('refuses a server whose certificate it cannot verify, unless told not to verify', async () => {
    const url = `rediss://127.0.0.1:${server.port}`;
    const strict = createProducerConnection({ url, tls: { caFile: undefined, verify: true } });
    const errors: string[] = [];
    strict.on('error', (e) => errors.push(`${(e as { code?: string }).code ?? ''} ${e.message}`));
    await expect(strict.ping()).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300)); // the TLS error event follows the refused command
    strict.disconnect();
    expect(errors.join(' ')).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/i);

    const lax = createWorkerConnection({ url, tls: { caFile: undefined, verify: false } });
    expect(await lax.ping()).toBe('PONG');
    lax.disconnect();
  });
});

describe('a Redis that evicts keys', () => {
  let server: { port: number; child: ChildProcess; dir: string };

  beforeAll(async () => {
    server = await startRedis(['--port', '{port}', '--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
    await untilPing(() => createWorkerConnection(`redis://127.0.0.1:${server.port}`));
  }, 30_000);

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await rm(server?.dir ?? '', { recursive: true, force: true });
  });

  it('is refused by the check, naming the policy and the fix', async () => {
    const r = createWorkerConnection(`redis://127.0.0.1:${server.port}`);
    const err = await assertRedisFit(r).catch((e: unknown) => e);
    r.disconnect();
    expect(err).toBeInstanceOf(RedisUnfitError);
    expect((err as Error).message).toContain('allkeys-lru');
    expect((err as Error).message).toContain('noeviction');
  });

  it.each(['src/main/worker.ts', 'src/main/web.ts'])(
    '%s refuses to start on it with one line',
    async (entry) => {
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: '/tmp',
          REDIS_URL: `redis://127.0.0.1:${server.port}`,
          PORT: String(port),
          LOG_LEVEL: 'silent',
        },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain('maxmemory-policy is allkeys-lru');
    },
    60_000,
  );
});

describe("the web process's connection (createProducerConnection)", () => {
  let server: { port: number; child: ChildProcess; dir: string };
  let url: string;

  beforeAll(async () => {
    server = await startRedis(['--port', '{port}']);
    url = `redis://127.0.0.1:${server.port}`;
    await untilPing(() => createWorkerConnection(url));
  }, 30_000);

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await rm(server?.dir ?? '', { recursive: true, force: true });
  });

  /** A producer connection once it is up (it refuses commands until then, by design). */
  async function connected(to: string) {
    const r = createProducerConnection(to);
    r.on('error', () => {});
    if (r.status !== 'ready') await new Promise<void>((res) => r.once('ready', () => res()));
    return r;
  }

  it('sends commands issued together as one batch, each with its own answer or error', async () => {
    const r = await connected(url);
    await r.mset('plain', 'a string', 'claim', 'token-1');
    const calls = [
      ...Array.from({ length: 8 }, (_, i) => r.set(`k${i}`, String(i))),
      r.lpush('plain', 'x'), // WRONGTYPE: fails alone
      runScript<number>(r, RELEASE_CLAIM, ['claim'], ['token-1']),
    ];
    // All ten wait in one auto-pipeline, written together on the next tick.
    expect(r.autoPipelineQueueSize).toBe(10);
    const settled = await Promise.allSettled(calls);
    expect(settled.slice(0, 8).map((s) => s.status)).toEqual(Array(8).fill('fulfilled'));
    expect(settled[8]).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('WRONGTYPE') } });
    expect(settled[9]).toEqual({ status: 'fulfilled', value: 1 });
    expect(await r.mget('k0', 'k7', 'claim')).toEqual(['0', '7', null]);
    r.disconnect();
  });

  it('runs its scripts again after Redis forgot them (SCRIPT FLUSH, a restart)', async () => {
    const r = await connected(url);
    const other = createWorkerConnection(url);
    await r.mset('c1', 't', 'c2', 't', 'c3', 't', 'c4', 't');
    expect(await runScript(r, RELEASE_CLAIM, ['c1'], ['t'])).toBe(1);
    await other.script('FLUSH');
    const again = await Promise.all(['c2', 'c3', 'c4'].map((k) => runScript<number>(r, RELEASE_CLAIM, [k], ['t'])));
    expect(again).toEqual([1, 1, 1]);
    r.disconnect();
    other.disconnect();
  });

  it('knows every script from the start, and refuses one it was not given', async () => {
    const r = await connected(url);
    const defined = ALL_SCRIPTS.filter((s) => typeof (r as unknown as Record<string, unknown>)[s.name] === 'function');
    expect(defined.map((s) => s.name)).toEqual(ALL_SCRIPTS.map((s) => s.name));
    // Defining one on first use could miss the batch already being filled in this tick.
    const stray: RedisScript = { name: 'd2vTestStray', keys: 0, lua: 'return 1' };
    await expect(runScript(r, stray, [], [])).rejects.toThrow('must be in ALL_SCRIPTS');
    r.disconnect();
  });

  it('refuses at once while Redis is down, rather than holding the request', async () => {
    const own = await startRedis(['--port', '{port}']);
    // Whatever happens, this test's own server does not outlive it.
    try {
      const ownUrl = `redis://127.0.0.1:${own.port}`;
      await untilPing(() => createWorkerConnection(ownUrl));
      const r = await connected(ownUrl);
      own.child.kill('SIGKILL');
      await new Promise<void>((res) => r.once('close', () => res()));
      const settled = await Promise.allSettled([r.get('a'), r.set('b', '1'), runScript(r, RELEASE_CLAIM, ['c'], ['x'])]);
      r.disconnect();
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(String((settled[0] as PromiseRejectedResult).reason)).toContain('enableOfflineQueue');
    } finally {
      own.child.kill('SIGKILL');
      await rm(own.dir, { recursive: true, force: true });
    }
  });
});
