// What the bot does with each kind of update. The PDF intake answers only after the job is
// durably enqueued (JobSubmitter.submit resolved): in webhook mode an enqueue failure propagates,
// the webhook answers 500 and Telegram delivers the update again, which dedupes to one job.
import type { Context } from 'grammy';
import { InlineKeyboard } from 'grammy';
import type { Document, Message } from 'grammy/types';
import type { Redis } from 'ioredis';
import { AVATAR_STYLES, type AvatarStyle } from '../../src/config.js';
import { JobError, describeError, formatBytes, isJobError, toLocale, type Locale } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { JobRecords } from '../../src/jobs/records.js';
import type { UserPreferences } from '../../src/jobs/preferences.js';
import type { CancelOutcome } from '../../src/queue/cancel.js';
import type { JobSubmitter } from '../../src/queue/submit.js';
import type { Requester } from '../../pipeline/job.js';
import {
  acceptedText,
  avatarChosenText,
  avatarLabel,
  avatarPromptText,
  cancelText,
  cancelUsageText,
  duplicateText,
  helpText,
  rateLimitedText,
  sendPdfHintText,
  statusText,
} from '../texts.js';
import { usageAnswer, type UsageSource } from '../usage.js';
import { describeTelegramError, isNotModifiedError } from './api.js';
import { downloadLimit } from './adapter.js';
import { redisKeys } from '../../src/redis/keys.js';

export interface TelegramFrontDeps {
  submitter: JobSubmitter;
  records: JobRecords;
  preferences: UserPreferences;
  cancel(jobId: string, userKey: string): Promise<CancelOutcome>;
  redis: Redis;
  prefix: string;
  logger: Logger;
  limits: { max: number; windowSeconds: number; maxActive: number; maxPdfBytes: number };
  localApi: boolean;
  /**
   * true (webhook): an enqueue failure is thrown, so Telegram redelivers the update.
   * false (long polling): the update is already confirmed; the user is asked to send it again.
   */
  redeliverOnError: boolean;
  /** The admin usage report (/usage): where the day sums are, and who may see them (ADMIN_IDS). */
  usage: UsageSource & { isAdmin(userId: number): boolean };
}

export const userKeyOf = (userId: number) => `tg:${userId}`;
export const dedupeKeyOf = (chatId: number, messageId: number) => `tg:${chatId}:${messageId}`;

export function isPdfDocument(doc: Pick<Document, 'mime_type' | 'file_name'>): boolean {
  // Either says PDF is enough here; the %PDF- header check after download has the last word.
  return doc.mime_type?.toLowerCase() === 'application/pdf' || /\.pdf$/i.test(doc.file_name ?? '');
}

const localeOf = (ctx: Context): Locale => toLocale(ctx.from?.language_code);
const isGroup = (ctx: Context) => ctx.chat?.type === 'group' || ctx.chat?.type === 'supergroup';

/** Replies never fail the update: the job (if any) is already durable. */
async function reply(ctx: Context, deps: TelegramFrontDeps, text: string, extra: Record<string, unknown> = {}): Promise<void> {
  const msg = ctx.msg;
  try {
    await ctx.reply(text, {
      ...(msg ? { reply_parameters: { message_id: msg.message_id, allow_sending_without_reply: true } } : {}),
      ...(msg?.is_topic_message && msg.message_thread_id ? { message_thread_id: msg.message_thread_id } : {}),
      ...extra,
    });
  } catch (err) {
    deps.logger.warn(
      { event: 'telegram_reply_failed', chatId: ctx.chat?.id, err: describeTelegramError(err) },
      'could not answer in the chat',
    );
  }
}

/** Does this group message's caption address us (/video, /video@us, @us)? */
export function captionAddressesBot(msg: Message, me: { id: number; username: string }): boolean {
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
export async function intakePdf(ctx: Context, deps: TelegramFrontDeps, pdfMessage: Message & { document: Document }): Promise<void> {
  const from = ctx.from;
  const chat = ctx.chat;
  if (!from || !chat) return;
  const locale = localeOf(ctx);
  const doc = pdfMessage.document;
  const log = deps.logger.child({ chatId: chat.id, messageId: pdfMessage.message_id });

  if (!isPdfDocument(doc)) {
    log.info({ event: 'telegram_not_a_pdf', mime: doc.mime_type }, 'document refused: not a PDF');
    await reply(ctx, deps, describeError('NOT_A_PDF', locale));
    return;
  }
  const limit = downloadLimit(deps.limits.maxPdfBytes, deps.localApi);
  if (doc.file_size !== undefined && doc.file_size > limit) {
    // Refused from the message's metadata alone: no getFile, no job.
    log.info({ event: 'telegram_pdf_too_large', bytes: doc.file_size, limit }, 'document refused: too large');
    await reply(ctx, deps, describeError('PDF_TOO_LARGE', locale, { limit: formatBytes(limit) }));
    return;
  }

  const requester: Requester = {
    platform: 'telegram',
    userKey: userKeyOf(from.id),
    userId: String(from.id),
    chatId: String(chat.id),
    replyToMessageId: String(pdfMessage.message_id),
    ...(pdfMessage.is_topic_message && pdfMessage.message_thread_id ? { threadId: String(pdfMessage.message_thread_id) } : {}),
    ...(from.language_code ? { locale: from.language_code } : {}),
  };
  const avatar = await deps.preferences.getAvatar(requester.userKey);
  const title = (doc.file_name ?? '').replace(/\.pdf$/i, '').trim();

  let outcome;
  try {
    outcome = await deps.submitter.submit({
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
      options: avatar ? { avatarStyle: avatar } : {},
      ...(title ? { title } : {}),
    });
  } catch (err) {
    if (isJobError(err)) {
      // A refusal with a code (today: BUDGET_EXCEEDED from an admission guard).
      await reply(ctx, deps, err.userMessage(locale));
      return;
    }
    log.error({ event: 'telegram_enqueue_failed', err }, 'could not enqueue the job');
    if (deps.redeliverOnError) throw err;
    await reply(ctx, deps, new JobError('INTERNAL').userMessage(locale));
    return;
  }

  switch (outcome.status) {
    case 'accepted':
      await reply(ctx, deps, acceptedText(locale, outcome.jobId, outcome.position));
      break;
    case 'duplicate':
      await reply(ctx, deps, duplicateText(locale, outcome.jobId));
      break;
    case 'limited':
      await reply(ctx, deps, rateLimitedText(locale, { max: deps.limits.max, windowSeconds: deps.limits.windowSeconds }, outcome.retryAfterMs));
      break;
    case 'busy':
    case 'refused':
      // SERVICE_BUSY, BUDGET_EXCEEDED, NOT_ALLOWED: nothing was stored.
      await reply(ctx, deps, outcome.error.userMessage(locale));
      break;
  }
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

/** /video as a reply to a PDF (groups, and private chats too). */
export async function onVideoCommand(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  const target = ctx.message?.reply_to_message;
  if (target?.document) {
    await intakePdf(ctx, deps, target as Message & { document: Document });
    return;
  }
  await reply(ctx, deps, sendPdfHintText(localeOf(ctx), isGroup(ctx) ? 'group' : 'private'));
}

export async function onHelp(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  await reply(ctx, deps, helpText(localeOf(ctx), deps.limits));
}

export async function onStatus(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  if (!ctx.from) return;
  // The index is per user: another user's jobs cannot appear here.
  const jobs = await deps.records.listForUser(userKeyOf(ctx.from.id), 10);
  await reply(ctx, deps, statusText(localeOf(ctx), jobs));
}

export async function onCancel(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  if (!ctx.from) return;
  const locale = localeOf(ctx);
  const arg = (typeof ctx.match === 'string' ? ctx.match : '').trim().split(/\s+/)[0]?.replace(/^#/, '').toLowerCase() ?? '';
  if (!/^[a-z0-9]{4,40}$/.test(arg)) {
    await reply(ctx, deps, cancelUsageText(locale));
    return;
  }
  const outcome = await deps.cancel(arg, userKeyOf(ctx.from.id));
  deps.logger.info({ event: 'telegram_cancel', jobId: arg, outcome }, 'cancel requested');
  await reply(ctx, deps, cancelText(locale, outcome, arg));
}

/**
 * /usage [YYYY-MM-DD]: the admin usage report, in an admin's private chat only. Anyone else, and
 * an admin in a group (the report names users and costs: not for the whole group to read), gets
 * what an unknown command gets: the update goes on down the middleware, to the private-chat hint
 * or, in a group, to nothing. So nothing tells a non-admin that the command exists.
 */
export async function onUsage(ctx: Context, deps: TelegramFrontDeps, next: () => Promise<void>): Promise<void> {
  const from = ctx.from;
  if (!from || ctx.chat?.type !== 'private' || !deps.usage.isAdmin(from.id)) {
    if (from) deps.logger.info({ event: 'usage_refused', userId: from.id, chatType: ctx.chat?.type }, '/usage from a non-admin or outside a private chat');
    await next();
    return;
  }
  const locale = localeOf(ctx);
  const arg = typeof ctx.match === 'string' ? ctx.match : '';
  let text: string;
  try {
    text = await usageAnswer(deps.usage, arg, locale, '/usage');
  } catch (err) {
    deps.logger.error({ event: 'usage_report_failed', err }, 'could not read the usage report');
    text = new JobError('INTERNAL').userMessage(locale);
  }
  deps.logger.info({ event: 'usage_report_shown', platform: 'telegram', userId: from.id, arg: arg.trim().slice(0, 20) }, 'usage report shown');
  await reply(ctx, deps, text);
}

const AVATAR_DATA = /^avatar:([a-z-]+)$/;

function avatarKeyboard(locale: Locale, current: AvatarStyle): InlineKeyboard {
  const kb = new InlineKeyboard();
  for (const style of AVATAR_STYLES) kb.text(`${style === current ? '✓ ' : ''}${avatarLabel(locale, style)}`, `avatar:${style}`);
  return kb;
}

export async function onAvatar(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  if (!ctx.from) return;
  const locale = localeOf(ctx);
  const current = (await deps.preferences.getAvatar(userKeyOf(ctx.from.id))) ?? 'professional';
  await reply(ctx, deps, avatarPromptText(locale, current), { reply_markup: avatarKeyboard(locale, current) });
}

export async function onCallbackQuery(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  const q = ctx.callbackQuery;
  if (!q) return;
  const locale = localeOf(ctx);
  const style = AVATAR_DATA.exec(q.data ?? '')?.[1] as AvatarStyle | undefined;
  if (!style || !AVATAR_STYLES.includes(style)) {
    // Unknown or stale button: answer anyway, or the client shows a spinner until it times out.
    await ctx.answerCallbackQuery().catch(() => {});
    return;
  }
  // The clicking user's preference, whoever sent /avatar in a group.
  await deps.preferences.setAvatar(userKeyOf(q.from.id), style);
  deps.logger.info({ event: 'telegram_avatar_chosen', userId: q.from.id, style }, 'avatar preference saved');
  await ctx.answerCallbackQuery({ text: avatarChosenText(locale, style) }).catch((err: unknown) => {
    deps.logger.warn({ event: 'telegram_callback_answer_failed', err: describeTelegramError(err) }, 'answerCallbackQuery failed');
  });
  if (q.message) {
    await ctx
      .editMessageText(avatarChosenText(locale, style), { reply_markup: avatarKeyboard(locale, style) })
      .catch((err: unknown) => {
        if (!isNotModifiedError(err)) {
          deps.logger.warn({ event: 'telegram_edit_failed', err: describeTelegramError(err) }, 'could not update the avatar message');
        }
      });
  }
}

/** Anything else in a private chat: say what the bot expects. Groups are left alone. */
export async function onOtherPrivateMessage(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  await reply(ctx, deps, sendPdfHintText(localeOf(ctx), 'private'));
}

/** Remember handled update_ids, so a redelivered update is answered 200 without any effect. */
export function updateSeenKey(prefix: string, updateId: number): string {
  return redisKeys(prefix).telegram.updateSeen(updateId);
}
