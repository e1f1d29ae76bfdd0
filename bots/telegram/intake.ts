// From a Telegram document to a job: who asked, where the answer goes (a reply to the PDF, in its
// forum topic), the dedupe key (one job per message), and the shared submitPdf. The answer is sent
// only after the job is durably enqueued. When the enqueue fails (Redis blinked):
// - webhook mode throws, the webhook answers 500 and Telegram delivers the update again (deduped);
// - long polling has already confirmed the update to Telegram, so nobody would deliver it again:
//   the submit is retried here until it is stored (README: an update is never answered "please
//   send it again" because Redis blinked). Only shutting down ends the retries.
import type { Context } from 'grammy';
import type { Document, Message } from 'grammy/types';
import type { Requester } from '../../pipeline/job.js';
import { localeOf, sendPdfHintText } from '../texts.js';
import { outcomeText, submitPdf, type FrontDoorDeps, type IntakeOutcome, type PdfRequest } from '../intake.js';
import { downloadLimit } from './adapter.js';
import { isGroup, reply } from './replies.js';

export interface TelegramFrontDeps extends FrontDoorDeps {
  localApi: boolean;
  /**
   * true (webhook): an enqueue failure is thrown, so Telegram redelivers the update.
   * false (long polling): the update is already confirmed; the enqueue is retried until stored.
   */
  redeliverOnError: boolean;
  /** Long polling: first wait between enqueue attempts (doubles, at most 10 s). Default 500 ms. */
  enqueueRetryMs?: number;
  /** Aborted when the front door stops: ends the enqueue retries. */
  stopping?: AbortSignal;
  /** ADMIN_IDS, as Telegram names a user. */
  isAdmin(userId: number): boolean;
}

export const userKeyOf = (userId: number) => `tg:${userId}`;
export const dedupeKeyOf = (chatId: number, messageId: number) => `tg:${chatId}:${messageId}`;
const updateRequestId = (updateId: number) => `tg-update:${updateId}`;

/** Does this group message's caption address us (/video, /video@us, @us)? */
function captionAddressesBot(msg: Message, me: { id: number; username: string }): boolean {
  const caption = msg.caption ?? '';
  const uname = me.username.toLowerCase();
  return (msg.caption_entities ?? []).some((e) => {
    const t = caption.substring(e.offset, e.offset + e.length).toLowerCase();
    if (e.type === 'bot_command') return t === '/video' || t === `/video@${uname}`;
    if (e.type === 'mention') return t === `@${uname}`;
    if (e.type === 'text_mention') return e.user.id === me.id;
    return false;
  });
}

/**
 * Turn a PDF message into a job. `pdfMessage` carries the document (the user's own message, or
 * the one a /video command replies to); the job answers as a reply to it.
 */
async function intakePdf(ctx: Context, deps: TelegramFrontDeps, pdfMessage: Message & { document: Document }): Promise<void> {
  const from = ctx.from;
  const chat = ctx.chat;
  if (!from || !chat) return;
  const locale = localeOf(from.language_code);
  const doc = pdfMessage.document;
  const requester: Requester = {
    platform: 'telegram',
    userKey: userKeyOf(from.id),
    userId: String(from.id),
    chatId: String(chat.id),
    replyToMessageId: String(pdfMessage.message_id),
    ...(pdfMessage.is_topic_message && pdfMessage.message_thread_id ? { threadId: String(pdfMessage.message_thread_id) } : {}),
    ...(from.language_code ? { locale: from.language_code } : {}),
  };
  const request: PdfRequest = {
    dedupeKey: dedupeKeyOf(chat.id, pdfMessage.message_id),
    requester,
    file: {
      kind: 'telegram',
      fileId: doc.file_id,
      fileUniqueId: doc.file_unique_id,
      ...(doc.file_name ? { name: doc.file_name } : {}),
      ...(doc.file_size !== undefined ? { size: doc.file_size } : {}),
      ...(doc.mime_type ? { mimeType: doc.mime_type } : {}),
    },
    facts: { name: doc.file_name, mimeType: doc.mime_type, ...(doc.file_size !== undefined ? { size: doc.file_size } : {}) },
    // The message's metadata is enough to refuse: no getFile, no job.
    maxBytes: downloadLimit(deps.limits.maxPdfBytes, deps.localApi),
    // A redelivered update is recognised by admission (bot.ts leaves documents to it).
    requestId: updateRequestId(ctx.update.update_id),
  };
  // Made only when there is something to log: the usual update logs nothing here.
  const log = () => deps.logger.child({ chatId: chat.id, messageId: pdfMessage.message_id });
  const outcome = await submitUntilStored(deps, request, log);
  if (outcome.status === 'duplicate' && outcome.repeated) {
    // This update was handled before (Telegram redelivered it): answered once, not twice.
    log().info({ event: 'telegram_update_repeated', updateId: ctx.update.update_id }, 'update already handled');
    return;
  }
  await reply(ctx, deps.logger, outcomeText(locale, outcome, deps.limits));
}

async function submitUntilStored(
  deps: TelegramFrontDeps,
  request: PdfRequest,
  log: () => TelegramFrontDeps['logger'],
): Promise<IntakeOutcome> {
  const firstWait = deps.enqueueRetryMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await submitPdf(deps, request);
    } catch (err) {
      log().error({ event: 'telegram_enqueue_failed', attempt, err }, 'could not enqueue the job');
      if (deps.redeliverOnError || deps.stopping?.aborted) throw err;
      await pause(Math.min(firstWait * 2 ** (attempt - 1), 10_000), deps.stopping);
    }
  }
}

/** Wait, or stop waiting as soon as the front door stops. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A document message: always in private chats; in groups only when the caption addresses us. */
export async function onDocument(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  const msg = ctx.message;
  if (!msg?.document) return;
  if (isGroup(ctx)) {
    if (!captionAddressesBot(msg, { id: ctx.me.id, username: ctx.me.username })) return;
  } else if (ctx.chat?.type !== 'private') {
    return;
  }
  await intakePdf(ctx, deps, msg as Message & { document: Document });
}

/** /video as a reply to a PDF (groups, and private chats too); the hint otherwise. */
export async function onVideoCommand(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  const target = ctx.message?.reply_to_message;
  if (target?.document) {
    await intakePdf(ctx, deps, target as Message & { document: Document });
    return;
  }
  await reply(ctx, deps.logger, sendPdfHintText(localeOf(ctx.from?.language_code), isGroup(ctx) ? 'group' : 'private'));
}
