// The script cache (pipeline/ports.ts ScriptCache) in Redis: the same PDF with the same options never pays the LLM twice (a user
// resending a file, a job retried after the render failed, the CLI run twice).
//
// No lock: two jobs for the same PDF that reach the script step at the same moment both pay
// once and the later SET wins. That race is rare (same file, same options, same second) and
// costs a fraction of a cent, while a SET NX lock would need a holder timeout and a waiting loop
// in the step, and a crashed holder would stall every other job for that PDF.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ScriptResult } from '../../pipeline/job.js';
import type { NotesCache, ScriptCache, ScriptCacheKey } from '../../pipeline/ports.js';
import { isSceneList } from '../../pipeline/script/scenes.js';
import { redisKeys } from '../redis/keys.js';

const SCRIPT_CACHE_TTL_SECONDS = 30 * 86_400;

export function scriptCacheKey(prefix: string, pdfSha256: string, key: ScriptCacheKey): string {
  // Fixed property order so the same options always hash the same.
  const opts = JSON.stringify({ language: key.language, provider: key.provider, model: key.model });
  const digest = createHash('sha256')
    .update(pdfSha256 + opts)
    .digest('hex');
  return redisKeys(prefix).scriptCache(digest);
}

function isScriptResult(v: unknown): v is ScriptResult {
  const r = v as Partial<ScriptResult> | null;
  return (
    !!r &&
    typeof r === 'object' &&
    typeof r.text === 'string' &&
    r.text.length > 0 &&
    // Entries from before scenes existed are a miss: one more paid script beats a video without pages.
    isSceneList(r.scenes) &&
    typeof r.language === 'string' &&
    typeof r.words === 'number' &&
    typeof r.estimatedSeconds === 'number' &&
    (r.provider === 'openrouter' || r.provider === 'local')
  );
}

export function createScriptCache(redis: Redis, prefix: string, ttlSeconds = SCRIPT_CACHE_TTL_SECONDS): ScriptCache {
  return {
    async get(pdfSha256, key) {
      const raw = await redis.get(scriptCacheKey(prefix, pdfSha256, key));
      if (raw === null) return undefined;
      try {
        const value: unknown = JSON.parse(raw);
        // An entry written by an older shape is a miss, not a crash.
        // costUsd 0: this job paid nothing (budgets add up costUsd per job).
        return isScriptResult(value) ? { ...value, cached: true, costUsd: 0 } : undefined;
      } catch {
        return undefined;
      }
    },
    async set(pdfSha256, key, result) {
      await redis.set(scriptCacheKey(prefix, pdfSha256, key), JSON.stringify({ ...result, cached: false }), 'EX', ttlSeconds);
    },
  };
}

/**
 * Section notes of long documents (pipeline/ports.ts NotesCache), by the hash of the notes request
 * (section text, length, language, notes model): the same chapter in another upload, or a job
 * retried after its script call failed, pays for no note twice. Same TTL and no-lock reasoning
 * as the script cache.
 */
export function createNotesCache(redis: Redis, prefix: string, ttlSeconds = SCRIPT_CACHE_TTL_SECONDS): NotesCache {
  const key = (hash: string) => redisKeys(prefix).notesCache(hash);
  return {
    async get(hash) {
      const raw = await redis.get(key(hash));
      return raw && raw.trim() ? raw : undefined;
    },
    async set(hash, notes) {
      if (notes.trim()) await redis.set(key(hash), notes, 'EX', ttlSeconds);
    },
  };
}
