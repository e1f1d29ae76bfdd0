// The one way doc2video runs its Lua scripts (src/redis/scripts/*.ts): each script is an ioredis
// custom command, so ioredis sends EVALSHA and falls back to EVAL by itself after a SCRIPT FLUSH
// or a Redis restart. doc2video's connections define them all when made (all-scripts.ts); other
// connections (tests, tools) get each one defined the first time it is used there.
import type { Redis } from 'ioredis';

export interface RedisScript {
  /** The ioredis command name (unique per script, `d2v` + what it does). */
  name: string;
  /** How many KEYS the script takes; the rest of the arguments are ARGV. */
  keys: number;
  lua: string;
}

export type ScriptArg = string | number | Buffer;

type Commands = Record<string, ((...args: ScriptArg[]) => Promise<unknown>) | undefined>;

/** Run `script` with `keys` and `args` on `redis`. The caller states the reply's shape. */
export function runScript<T>(redis: Redis, script: RedisScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<T> {
  if (keys.length !== script.keys) {
    return Promise.reject(new Error(`${script.name} takes ${script.keys} keys, got ${keys.length}`));
  }
  const commands = redis as unknown as Commands;
  if (typeof commands[script.name] !== 'function') {
    // An auto-pipelined connection may already hold this tick's batch, made without this script.
    if (redis.options.enableAutoPipelining) {
      return Promise.reject(new Error(`${script.name} must be in ALL_SCRIPTS (src/redis/all-scripts.ts) to run here`));
    }
    redis.defineCommand(script.name, { numberOfKeys: script.keys, lua: script.lua });
  }
  return commands[script.name]!(...keys, ...args) as Promise<T>;
}
