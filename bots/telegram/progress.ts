// The one progress message per job, edited in place. Telegram allows about 20 edits a minute in a
// group, so edits in a chat are at least EDIT_INTERVAL_MS apart across every worker process (a
// Redis key per chat, SET NX PX), and an edit never repeats the text the message already shows
// (Telegram answers "message is not modified" to that).
//
// A step that starts while the chat's window is closed is not dropped: its text is kept and
// shown when the window opens (a trailing edit), unless a newer step replaced it first. So a fast
// run of steps costs one edit, and the message never stays on a step that is long over.
// The last text shown lives in Redis (not the BullMQ job), because a trailing edit can fire while
// the job is parked or held by another worker, where writing job data would race.
import type { Api } from 'grammy';
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/logger.js';
import { cancelFlagKey } from '../../src/queue/cancel.js';
import { ChatUnavailableError, type AdapterContext } from '../../pipeline/ports.js';
import { describeTelegramError, isBlockedError, isNotModifiedError } from './api.js';
import { replyParams } from './replies.js';
import { redisKeys } from '../../src/redis/keys.js';

const EDIT_INTERVAL_MS = 3_000;
/** How long a final edit (done / failed) waits for the chat's window before giving up on it. */
const FINAL_WAIT_MS = 4 * EDIT_INTERVAL_MS;
const STATE_TTL_SECONDS = 2 * 86_400;

/** The chat's edit window: while this key lives, an edit in that chat waits. */
export const editSlotKey = (prefix: string, chatId: string | number): string => redisKeys(prefix).telegram.editSlot(chatId);

/** Adapter-owned job state (VideoJobData.chat) for Telegram. */
export interface TelegramChatState {
  progressMessageId?: number;
  /** Set once the video (or its link) went out, so a retried deliver step does not send twice. */
  videoMessageId?: number;
  videoAs?: 'file' | 'link';
}

interface Pending {
  text: string;
  chatId: string;
  messageId: number;
  timer: NodeJS.Timeout | undefined;
}

export interface TelegramProgressMessagesOptions {
  api: Api;
  redis: Redis;
  prefix: string;
  logger: Logger;
  intervalMs?: number;
}

export class TelegramProgressMessages {
  private readonly pending = new Map<string, Pending>();
  private readonly intervalMs: number;

  constructor(private readonly o: TelegramProgressMessagesOptions) {
    this.intervalMs = o.intervalMs ?? EDIT_INTERVAL_MS;
  }

  private slotKey(chatId: string) {
    return editSlotKey(this.o.prefix, chatId);
  }
  private stateKey(jobId: string) {
    return redisKeys(this.o.prefix).telegram.progress(jobId);
  }

  /** Show a step. Sends the message the first time, edits it afterwards (throttled). */
  async step(ctx: AdapterContext, text: string): Promise<void> {
    const { chatId } = ctx.data.requester;
    const chat = ctx.data.chat as TelegramChatState;
    const saved = await this.o.redis.hgetall(this.stateKey(ctx.jobId));
    if (saved.final) return;
    if (saved.text === text) {
      // Back on the step already shown (e.g. after waiting for a slot): a queued older text must not follow.
      this.dropPending(ctx.jobId);
      return;
    }
    const messageId = chat.progressMessageId ?? (saved.mid ? Number(saved.mid) : undefined);

    if (messageId === undefined) {
      const msg = await this.send(() => this.o.api.sendMessage(chatId, text, replyParams(ctx.data.requester)));
      // A new message opens the chat's edit window as an edit would.
      await this.o.redis.set(this.slotKey(chatId), '1', 'PX', this.intervalMs);
      await this.remember(ctx.jobId, { mid: String(msg.message_id), text });
      await ctx.saveChatState({ progressMessageId: msg.message_id });
      return;
    }

    if (await this.takeSlot(chatId)) {
      this.dropPending(ctx.jobId);
      await this.edit(ctx.jobId, chatId, messageId, text, true);
      return;
    }
    await this.schedule(ctx.jobId, chatId, messageId, text);
  }

  /**
   * The last word of the progress message (done, or stopped with a code). Waits for the chat's
   * window, bounded; afterwards no step or trailing edit touches the message again.
   */
  async final(ctx: AdapterContext, text: string): Promise<void> {
    const { chatId } = ctx.data.requester;
    this.dropPending(ctx.jobId);
    const key = this.stateKey(ctx.jobId);
    // Marked first, so a trailing edit in any process that fires from now on stands down.
    await this.o.redis.multi().hset(key, 'final', '1').expire(key, STATE_TTL_SECONDS).exec();
    const saved = await this.o.redis.hgetall(key);
    const chat = ctx.data.chat as TelegramChatState;
    const messageId = chat.progressMessageId ?? (saved.mid ? Number(saved.mid) : undefined);
    if (messageId === undefined || saved.text === text) return;

    const deadline = Date.now() + FINAL_WAIT_MS;
    while (!(await this.takeSlot(chatId))) {
      if (Date.now() > deadline) {
        ctx.logger.warn({ event: 'telegram_final_edit_skipped', chatId }, 'edit window stayed closed; final edit skipped');
        return;
      }
      const ttl = await this.o.redis.pttl(this.slotKey(chatId));
      await sleep(Math.min(Math.max(ttl, 20), this.intervalMs));
    }
    await this.edit(ctx.jobId, chatId, messageId, text, true);
  }

  /** Forget timers (tests and shutdown). */
  close(): void {
    for (const p of this.pending.values()) if (p.timer) clearTimeout(p.timer);
    this.pending.clear();
  }

  private async takeSlot(chatId: string): Promise<boolean> {
    return (await this.o.redis.set(this.slotKey(chatId), '1', 'PX', this.intervalMs, 'NX')) === 'OK';
  }

  private async remember(jobId: string, fields: Record<string, string>): Promise<void> {
    const key = this.stateKey(jobId);
    await this.o.redis
      .multi()
      .hset(key, { ...fields, at: String(Date.now()) })
      .expire(key, STATE_TTL_SECONDS)
      .exec();
  }

  private async edit(jobId: string, chatId: string, messageId: number, text: string, throwIfGone: boolean): Promise<void> {
    try {
      await this.o.api.editMessageText(chatId, messageId, text);
    } catch (err) {
      if (isNotModifiedError(err)) {
        // Harmless: the message already says this (e.g. an edit whose answer was lost).
      } else if (isBlockedError(err)) {
        if (throwIfGone) throw new ChatUnavailableError('telegram', describeTelegramError(err));
        return;
      } else {
        this.o.logger.warn({ event: 'telegram_edit_failed', jobId, err: describeTelegramError(err) }, 'progress edit failed');
        return;
      }
    }
    await this.remember(jobId, { text });
  }

  private async send<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isBlockedError(err)) throw new ChatUnavailableError('telegram', describeTelegramError(err));
      throw err;
    }
  }

  private async schedule(jobId: string, chatId: string, messageId: number, text: string): Promise<void> {
    const existing = this.pending.get(jobId);
    if (existing) {
      existing.text = text; // the newest step wins; one trailing edit shows it
      return;
    }
    const p: Pending = { text, chatId, messageId, timer: undefined };
    this.pending.set(jobId, p);
    await this.arm(jobId, p);
  }

  private async arm(jobId: string, p: Pending): Promise<void> {
    const ttl = await this.o.redis.pttl(this.slotKey(p.chatId)).catch(() => this.intervalMs);
    if (this.pending.get(jobId) !== p) return;
    p.timer = setTimeout(() => void this.flush(jobId, p), Math.max(ttl, 0) + 10);
    p.timer.unref();
  }

  private async flush(jobId: string, p: Pending): Promise<void> {
    if (this.pending.get(jobId) !== p) return;
    try {
      const [saved, cancelled] = await Promise.all([
        this.o.redis.hgetall(this.stateKey(jobId)),
        this.o.redis.exists(cancelFlagKey(this.o.prefix, jobId)),
      ]);
      // Cancelled jobs say nothing more; a final text is never overwritten by a late step.
      if (cancelled || saved.final || saved.text === p.text) {
        this.pending.delete(jobId);
        return;
      }
      if (!(await this.takeSlot(p.chatId))) {
        await this.arm(jobId, p);
        return;
      }
      this.pending.delete(jobId);
      await this.edit(jobId, p.chatId, p.messageId, p.text, false);
    } catch (err) {
      this.pending.delete(jobId);
      this.o.logger.warn(
        { event: 'telegram_edit_failed', jobId, err: describeTelegramError(err) },
        'trailing progress edit failed',
      );
    }
  }

  private dropPending(jobId: string): void {
    const p = this.pending.get(jobId);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(jobId);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
