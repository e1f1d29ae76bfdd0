// What /status shows: a small record per job, indexed per user. BullMQ's own job hash is not
// enough: it is removed lazily and cannot be listed by user. Records of finished jobs expire
// after JOB_TTL_SECONDS and a scheduled sweep removes them from the per-user index.
// A record is created by admission (src/limits/admission.ts, in the same atomic step); its
// changes keep the intake counts right: a started job is no longer waiting (queue position),
// a finished one no longer counts against MAX_QUEUED_JOBS.
import type { Redis } from 'ioredis';
import type { Platform, StepName } from '../../pipeline/job.js';
import type { ErrorCode } from '../errors.js';
import { redisKeys, type RedisKeys } from '../redis/keys.js';

export type JobState = 'queued' | 'active' | 'waiting-slot' | 'rendering' | 'completed' | 'failed' | 'cancelled';

export const FINISHED_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

export interface JobRecord {
  jobId: string;
  userKey: string;
  platform: Platform;
  state: JobState;
  step?: StepName;
  code?: ErrorCode;
  title?: string;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  /** What the job cost in USD (LLM + video), set by the cost ledger when it ends. */
  costUsd?: number;
  /** The delivered video, while the store keeps it (VIDEO_RETENTION_DAYS). */
  video?: KeptVideo;
}

/** A delivered video kept in the video store (src/storage); links are made from it when asked. */
export interface KeptVideo {
  bytes: number;
  seconds?: number;
  /** Epoch ms when the store's clean-up removes it; the record lives as long. */
  expiresAt: number;
  /** A WebVTT captions file is kept beside it. */
  captions: boolean;
}

export class JobRecords {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlSeconds: number,
  ) {
    this.keys = redisKeys(prefix);
  }

  private recKey(jobId: string) {
    return this.keys.record(jobId);
  }
  private userKey(userKey: string) {
    return this.keys.userJobs(userKey);
  }
  private get finishedKey() {
    return this.keys.finishedJobs;
  }

  async update(jobId: string, patch: Partial<Pick<JobRecord, 'state' | 'step' | 'title' | 'code' | 'costUsd'>>): Promise<void> {
    const fields: Record<string, string> = { updatedAt: String(Date.now()) };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) fields[k] = String(v);
    // Only touch records that exist (a swept record must not come back half-empty).
    const exists = await this.redis.exists(this.recKey(jobId));
    const m = this.redis.multi();
    if (exists) m.hset(this.recKey(jobId), fields);
    // A worker took the job: it no longer waits (admission counts waiting jobs for positions).
    if (patch.state && patch.state !== 'queued') m.zrem(this.keys.intakeWaiting, jobId);
    await m.exec();
  }

  /**
   * The job's video is kept until video.expiresAt: its record lives as long (finish() and the
   * sweep honour it), so /status and the API still answer after JOB_TTL_SECONDS.
   */
  async keep(jobId: string, video: KeptVideo): Promise<void> {
    if (!(await this.redis.exists(this.recKey(jobId)))) return;
    await this.redis.hset(this.recKey(jobId), { video: JSON.stringify(video), keptUntil: String(video.expiresAt) });
  }

  /** Mark finished; the record lives ttlSeconds more (or as long as its kept video), then the sweep removes it. */
  async finish(jobId: string, state: Extract<JobState, 'completed' | 'failed' | 'cancelled'>, code?: ErrorCode): Promise<void> {
    const now = Date.now();
    const fields: Record<string, string> = { state, updatedAt: String(now), finishedAt: String(now) };
    if (code) fields.code = code;
    // The job no longer counts against MAX_QUEUED_JOBS, whether or not its record still exists.
    const intake = this.redis.multi().zrem(this.keys.intake, jobId).zrem(this.keys.intakeWaiting, jobId);
    if (!(await this.redis.exists(this.recKey(jobId)))) {
      await intake.exec();
      return;
    }
    // A kept video holds the record until it goes: the sweep's score is then "finished" as if
    // the job had ended ttlSeconds before the video expires.
    const keptUntil = Number(await this.redis.hget(this.recKey(jobId), 'keptUntil')) || 0;
    const removeAt = Math.max(now + this.ttlSeconds * 1000, keptUntil);
    await intake
      .hset(this.recKey(jobId), fields)
      .expire(this.recKey(jobId), Math.ceil((removeAt - now) / 1000) + 3600) // a safety net; the sweep removes it first
      .zadd(this.finishedKey, removeAt - this.ttlSeconds * 1000, jobId)
      .exec();
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const h = await this.redis.hgetall(this.recKey(jobId));
    return h.jobId ? parse(h) : undefined;
  }

  /** The user's jobs, newest first. Never anyone else's: the index is per user. */
  async listForUser(userKey: string, limit = 10): Promise<JobRecord[]> {
    const ids = await this.redis.zrevrange(this.userKey(userKey), 0, limit - 1);
    const out: JobRecord[] = [];
    for (const id of ids) {
      const rec = await this.get(id);
      const until = Math.max((rec?.finishedAt ?? 0) + this.ttlSeconds * 1000, rec?.video?.expiresAt ?? 0);
      const expired = rec?.finishedAt !== undefined && Date.now() > until;
      if (rec && rec.userKey === userKey && !expired) out.push(rec);
      else await this.redis.zrem(this.userKey(userKey), id);
    }
    return out;
  }

  /** Remove records of jobs finished more than ttlSeconds ago. Returns how many were removed. */
  async sweep(now = Date.now()): Promise<number> {
    const cutoff = now - this.ttlSeconds * 1000;
    const ids = await this.redis.zrangebyscore(this.finishedKey, '-inf', cutoff, 'LIMIT', 0, 1000);
    for (const id of ids) {
      const userKey = await this.redis.hget(this.recKey(id), 'userKey');
      const m = this.redis.multi().del(this.recKey(id)).zrem(this.finishedKey, id);
      if (userKey) m.zrem(this.userKey(userKey), id);
      await m.exec();
    }
    return ids.length;
  }
}

function parse(h: Record<string, string>): JobRecord {
  return {
    jobId: h.jobId!,
    userKey: h.userKey!,
    platform: h.platform as Platform,
    state: h.state as JobState,
    ...(h.step ? { step: h.step as StepName } : {}),
    ...(h.code ? { code: h.code as ErrorCode } : {}),
    ...(h.title ? { title: h.title } : {}),
    createdAt: Number(h.createdAt),
    updatedAt: Number(h.updatedAt),
    ...(h.finishedAt ? { finishedAt: Number(h.finishedAt) } : {}),
    ...(h.costUsd ? { costUsd: Number(h.costUsd) } : {}),
    ...(h.video ? { video: JSON.parse(h.video) as KeptVideo } : {}),
  };
}
