// How our messages are addressed in a chat: as a reply to the user's PDF message (in the same
// forum topic when there is one), falling back to a plain message when the PDF was deleted.
import type { Requester } from '../../pipeline/job.js';
import { toLocale, type Locale } from '../../src/errors.js';

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

export function localeOf(requester: Pick<Requester, 'locale'>): Locale {
  return toLocale(requester.locale);
}
