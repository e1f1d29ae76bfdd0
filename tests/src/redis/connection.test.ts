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
