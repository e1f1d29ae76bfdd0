// No Docker engine runs here, so the compose file is checked the other way round: its redis,
// web and worker are started as plain processes with exactly the commands and environment it
// gives them (the image's build output is what `npm run build` makes), and must come up, talk
// to each other and stop cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../src/redis/embedded.js';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Service {
  command: string[];
  environment?: Record<string, string>;
}
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

const children: ChildProcess[] = [];
let dataDir = '';

function start(cmd: string[], env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  children.push(child);
  return { child, output: () => out };
}

async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('docker-compose.yml, run as processes', () => {
  it('the image runs the same entry points the compose file names, from scripts/system-packages.txt', () => {
    expect(dockerfile).toContain('scripts/install-system-deps.sh run');
    expect(dockerfile).toContain('USER node');
    expect(compose.services.web!.command).toEqual(['node', 'dist/src/main/web.js']);
    expect(compose.services.worker!.command).toEqual(['node', 'dist/src/main/worker.js']);
    expect(JSON.parse(`[${/CMD \[(.*)\]/.exec(dockerfile)![1]}]`)).toEqual(compose.services.web!.command);
  });

  it('redis, web and worker start with its commands and environment, are ready, and stop with exit 0', async () => {
    expect(existsSync(path.join(ROOT, 'dist/src/main/web.js')), 'run `npm run build` first').toBe(true);
    dataDir = await mkdtemp(path.join(tmpdir(), 'd2v-compose-'));
    const redisPort = await freePort();
    const webPort = await freePort();
    // The service name "redis" becomes this machine's loopback; the rest is the compose file's.
    const redisCmd = compose.services.redis!.command;
    const redis = start([...redisCmd, '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dataDir], {});
    const envOf = (name: string) => {
      const env = { ...(compose.services[name]!.environment ?? {}) };
      env.REDIS_URL = env.REDIS_URL!.replace('redis://redis:6379', `redis://127.0.0.1:${redisPort}`);
      if (env.PORT) env.PORT = String(webPort);
      env.DATA_DIR = dataDir;
      return env;
    };
    expect(envOf('web').REDIS_URL).toBe(`redis://127.0.0.1:${redisPort}`);
    const web = start(compose.services.web!.command, envOf('web'));
    const worker = start(compose.services.worker!.command, envOf('worker'));

    const ready = await until(async () => {
      const res = await request(`http://127.0.0.1:${webPort}/readyz`);
      const body = (await res.body.json()) as { ok: boolean };
      return res.statusCode === 200 && body.ok ? body : undefined;
    }, 'web /readyz');
    expect(ready.ok).toBe(true);
    await until(async () => (worker.output().includes('"event":"worker_started"') ? true : undefined), 'worker_started');
    expect(web.output()).toContain('"event":"redis_checked"');

    for (const p of [web, worker]) p.child.kill('SIGTERM');
    const codes = await Promise.all([web, worker].map((p) => new Promise<number | null>((r) => p.child.on('exit', r))));
    expect(codes).toEqual([0, 0]);
    redis.child.kill('SIGTERM');
  }, 90_000);
});
