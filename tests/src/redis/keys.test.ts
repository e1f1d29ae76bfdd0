// Key names are built in one module and Lua scripts live in one folder, each with a header that
// says what it takes and returns, and they all run the one way (runScript).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ALL_SCRIPTS } from '../../../src/redis/all-scripts.js';
import { redisKeys } from '../../../src/redis/keys.js';
import { runScript, type RedisScript } from '../../../src/redis/scripts.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SCRIPTS = path.join(ROOT, 'src/redis/scripts');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('Redis key names', () => {
  it('are built only in src/redis/keys.ts', async () => {
    const files = (await Promise.all(['src', 'bots', 'pipeline'].map((d) => sourceFiles(path.join(ROOT, d))))).flat();
    const offenders: string[] = [];
    for (const f of files) {
      const rel = path.relative(ROOT, f);
      if (rel === path.join('src', 'redis', 'keys.ts')) continue;
      const text = await readFile(f, 'utf8');
      text.split('\n').forEach((line, i) => {
        // A template literal that starts a key with a prefix: `${prefix}:...`, `${this.prefix}:...`
        if (/\$\{[\w.]*prefix\}:/i.test(line) && !line.trim().startsWith('//')) offenders.push(`${rel}:${i + 1}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('keep the names already stored in Redis (no migration needed)', () => {
    const k = redisKeys('d2v');
    expect([k.dedupe('tg:1:2'), k.rate('tg:1'), k.record('abc'), k.userJobs('tg:1'), k.cancelFlag('abc')]).toEqual([
      'd2v:dedupe:tg:1:2',
      'd2v:rate:tg:1',
      'd2v:rec:abc',
      'd2v:user-jobs:tg:1',
      'd2v:cancel:abc',
    ]);
    expect(k.ops.day('2026-01-02')).toBe('d2v:ops:day:2026-01-02');
    expect(k.telegram.updateSeen(5)).toBe('d2v:tg:update:5');
  });
});

describe('Lua scripts', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis.disconnect());

  it('each file in src/redis/scripts states KEYS, ARGV and what it returns, and names a distinct command', async () => {
    const names = new Set<string>();
    const files = (await readdir(SCRIPTS)).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const text = await readFile(path.join(SCRIPTS, f), 'utf8');
      expect(text, f).toMatch(/KEYS\[1\]/);
      expect(text, f).toMatch(/ARGV\[1\]/);
      expect(text, f).toMatch(/Returns/);
      const mod = (await import(path.join(SCRIPTS, f))) as Record<string, RedisScript>;
      for (const s of Object.values(mod)) {
        expect(names.has(s.name), `${s.name} defined twice`).toBe(false);
        names.add(s.name);
        // Every KEYS[n] the script reads is one it declares.
        const used = Math.max(0, ...[...s.lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));
        expect(used, `${s.name} reads KEYS[${used}] of ${s.keys}`).toBeLessThanOrEqual(s.keys);
      }
    }
    // doc2video's connections define them all when made (an auto-pipelined one must).
    expect(ALL_SCRIPTS.map((s) => s.name).sort()).toEqual([...names].sort());
  });

  it('runs through one helper, defined once per connection, and refuses a wrong number of keys', async () => {
    const echo: RedisScript = { name: 'd2vTestEcho', keys: 1, lua: 'return {KEYS[1], ARGV[1]}' };
    expect(await runScript(redis, echo, ['k'], ['v'])).toEqual(['k', 'v']);
    expect(await runScript(redis, echo, ['k2'], [2])).toEqual(['k2', '2']);
    await expect(runScript(redis, echo, [], ['v'])).rejects.toThrow(/takes 1 keys, got 0/);
  });
});
