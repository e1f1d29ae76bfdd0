// How our messages are addressed in a chat: as a reply to the user's PDF message (in the same
// forum topic when there is one), falling back to a plain message when the PDF was deleted.
import type { Context } from 'grammy';
import type { Logger } from '../../src/logger.js';
import type { Requester } from '../../pipeline/job.js';
import { describeTelegramError } from './api.js';

export interface ReplyOptions {
  reply_parameters?: { message_id: number; allow_sending_without_reply: boolean };
  message_thread_id?: number;
}

export function replyParams(requester: Pick<Requester, 'replyToMessageId' | 'threadId'>): ReplyOptions {
  const out: ReplyOptions = {};
  if (requester.replyToMessageId) {
    out.reply_parameters = { message_id: Number(requester.replyToMessageId), allow_sending_without_reply: true };
  }
  if (requester.threadId) out.message_thread_id = Number(requester.threadId);
  return out;
}

export const isGroup = (ctx: Context): boolean => ctx.chat?.type === 'group' || ctx.chat?.type === 'supergroup';

/**
 * The front door's answer to an update, as a reply to it. Plain text (no parse_mode: see
 * texts.ts). Never fails the update: the job (if any) is already durable.
 */
export async function reply(ctx: Context, logger: Logger, text: string, extra: Record<string, unknown> = {}): Promise<void> {
  const msg = ctx.msg;
  try {
    await ctx.reply(text, {
      ...(msg ? { reply_parameters: { message_id: msg.message_id, allow_sending_without_reply: true } } : {}),
      ...(msg?.is_topic_message && msg.message_thread_id ? { message_thread_id: msg.message_thread_id } : {}),
      ...extra,
    });
  } catch (err) {
    logger.warn(
      { event: 'telegram_reply_failed', chatId: ctx.chat?.id, err: describeTelegramError(err) },
      'could not answer in the chat',
    );
  }
}
