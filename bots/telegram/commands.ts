// The bot's commands (/help, /status, /cancel, /avatar, /style, /usage), their buttons, and the hint for
// anything else in a private chat. PDFs go through intake.ts.
import type { Context } from 'grammy';
import { InlineKeyboard } from 'grammy';
import { AVATAR_STYLES, type AvatarStyle } from '../../src/config.js';
import { JobError, type Locale } from '../../src/errors.js';
import { VIDEO_LAYOUTS, type VideoLayout } from '../../pipeline/job.js';
import {
  avatarChosenText,
  avatarLabel,
  avatarPromptText,
  captionsLabel,
  layoutLabel,
  styleChosenText,
  stylePromptText,
  type StyleChoice,
  cancelText,
  cancelUsageText,
  helpText,
  localeOf,
  sendPdfHintText,
  statusText,
} from '../texts.js';
import { usageAnswer } from '../usage.js';
import { describeTelegramError, isNotModifiedError } from './api.js';
import { userKeyOf, type TelegramFrontDeps } from './intake.js';
import { keptLinks } from '../intake.js';
import { reply } from './replies.js';
import { telegramUserText } from './texts.js';

const userLocale = (ctx: Context): Locale => localeOf(ctx.from?.language_code);

export async function onHelp(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  await reply(ctx, deps.logger, helpText(userLocale(ctx), deps.limits));
}

export async function onStatus(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  if (!ctx.from) return;
  // The index is per user: another user's jobs cannot appear here.
  const jobs = await deps.records.listForUser(userKeyOf(ctx.from.id), 10);
  await reply(ctx, deps.logger, statusText(userLocale(ctx), jobs, telegramUserText, await keptLinks(deps, jobs)));
}

export async function onCancel(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  if (!ctx.from) return;
  const locale = userLocale(ctx);
  const arg = (typeof ctx.match === 'string' ? ctx.match : '').trim().split(/\s+/)[0]?.replace(/^#/, '').toLowerCase() ?? '';
  if (!/^[a-z0-9]{4,40}$/.test(arg)) {
    await reply(ctx, deps.logger, cancelUsageText(locale));
    return;
  }
  const outcome = await deps.cancel(arg, userKeyOf(ctx.from.id));
  deps.logger.info({ event: 'telegram_cancel', jobId: arg, outcome }, 'cancel requested');
  await reply(ctx, deps.logger, cancelText(locale, outcome, arg));
}

/**
 * /usage [YYYY-MM-DD]: the admin usage report, in an admin's private chat only. Anyone else, and
 * an admin in a group (the report names users and costs: not for the whole group to read), gets
 * what an unknown command gets: the update goes on down the middleware, to the private-chat hint
 * or, in a group, to nothing. So nothing tells a non-admin that the command exists.
 */
export async function onUsage(ctx: Context, deps: TelegramFrontDeps, next: () => Promise<void>): Promise<void> {
  const from = ctx.from;
  if (!from || ctx.chat?.type !== 'private' || !deps.isAdmin(from.id)) {
    if (from)
      deps.logger.info(
        { event: 'usage_refused', userId: from.id, chatType: ctx.chat?.type },
        '/usage from a non-admin or outside a private chat',
      );
    await next();
    return;
  }
  const locale = userLocale(ctx);
  const arg = typeof ctx.match === 'string' ? ctx.match : '';
  let text: string;
  try {
    text = await usageAnswer(deps.usage, arg, locale, '/usage');
  } catch (err) {
    deps.logger.error({ event: 'usage_report_failed', err }, 'could not read the usage report');
    text = new JobError('INTERNAL').userMessage(locale);
  }
  deps.logger.info(
    { event: 'usage_report_shown', platform: 'telegram', userId: from.id, arg: arg.trim().slice(0, 20) },
    'usage report shown',
  );
  await reply(ctx, deps.logger, text);
}

const AVATAR_DATA = /^avatar:([a-z-]+)$/;

function avatarKeyboard(locale: Locale, current: AvatarStyle): InlineKeyboard {
  const kb = new InlineKeyboard();
  for (const style of AVATAR_STYLES) kb.text(`${style === current ? '✓ ' : ''}${avatarLabel(locale, style)}`, `avatar:${style}`);
  return kb;
}

export async function onAvatar(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  if (!ctx.from) return;
  const locale = userLocale(ctx);
  const current = (await deps.preferences.getAvatar(userKeyOf(ctx.from.id))) ?? 'professional';
  await reply(ctx, deps.logger, avatarPromptText(locale, current), { reply_markup: avatarKeyboard(locale, current) });
}

// /style: the layout (the document's pages with the presenter in a corner, or the presenter
// alone) and burned-in captions, remembered per user like /avatar. One button per value; the
// current ones carry a check mark.
const STYLE_DATA = /^style:(layout:(?:slides|presenter)|captions:(?:on|off))$/;

async function styleOf(deps: TelegramFrontDeps, userId: number): Promise<StyleChoice> {
  const o = await deps.preferences.getOptions(userKeyOf(userId));
  return { layout: o.layout ?? deps.videoDefaults.layout, captions: o.captions ?? deps.videoDefaults.captions };
}

function styleKeyboard(locale: Locale, current: StyleChoice): InlineKeyboard {
  const kb = new InlineKeyboard();
  const mark = (on: boolean) => (on ? '✓ ' : '');
  for (const layout of VIDEO_LAYOUTS)
    kb.text(`${mark(layout === current.layout)}${layoutLabel(locale, layout)}`, `style:layout:${layout}`);
  kb.row();
  for (const on of [true, false])
    kb.text(`${mark(on === current.captions)}${captionsLabel(locale, on)}`, `style:captions:${on ? 'on' : 'off'}`);
  return kb;
}

export async function onStyle(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  if (!ctx.from) return;
  const locale = userLocale(ctx);
  const current = await styleOf(deps, ctx.from.id);
  await reply(ctx, deps.logger, stylePromptText(locale, current), { reply_markup: styleKeyboard(locale, current) });
}

async function onStyleButton(ctx: Context, deps: TelegramFrontDeps, choice: string): Promise<void> {
  const q = ctx.callbackQuery!;
  const userKey = userKeyOf(q.from.id);
  const [what, value] = choice.split(':') as ['layout' | 'captions', string];
  if (what === 'layout') await deps.preferences.setLayout(userKey, value as VideoLayout);
  else await deps.preferences.setCaptions(userKey, value === 'on');
  deps.logger.info({ event: 'telegram_style_chosen', userId: q.from.id, [what]: value }, 'style preference saved');
  const locale = userLocale(ctx);
  const now = await styleOf(deps, q.from.id);
  await answerAndShow(ctx, deps, styleChosenText(locale, now), styleKeyboard(locale, now));
}

/** A button was pressed: answer it, save the clicking user's choice, and show it on the message. */
export async function onCallbackQuery(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  const q = ctx.callbackQuery;
  if (!q) return;
  const locale = userLocale(ctx);
  const styleChoice = STYLE_DATA.exec(q.data ?? '')?.[1];
  // The clicking user's preference, whoever sent /style in a group.
  if (styleChoice) return onStyleButton(ctx, deps, styleChoice);
  const style = AVATAR_DATA.exec(q.data ?? '')?.[1] as AvatarStyle | undefined;
  if (!style || !AVATAR_STYLES.includes(style)) {
    // Unknown or stale button: answer anyway, or the client shows a spinner until it times out.
    await ctx.answerCallbackQuery().catch(() => {});
    return;
  }
  // The clicking user's preference, whoever sent /avatar in a group.
  await deps.preferences.setAvatar(userKeyOf(q.from.id), style);
  deps.logger.info({ event: 'telegram_avatar_chosen', userId: q.from.id, style }, 'avatar preference saved');
  await answerAndShow(ctx, deps, avatarChosenText(locale, style), avatarKeyboard(locale, style));
}

async function answerAndShow(ctx: Context, deps: TelegramFrontDeps, text: string, keyboard: InlineKeyboard): Promise<void> {
  await ctx.answerCallbackQuery({ text }).catch((err: unknown) => {
    deps.logger.warn({ event: 'telegram_callback_answer_failed', err: describeTelegramError(err) }, 'answerCallbackQuery failed');
  });
  if (ctx.callbackQuery?.message) {
    await ctx.editMessageText(text, { reply_markup: keyboard }).catch((err: unknown) => {
      if (!isNotModifiedError(err)) {
        deps.logger.warn(
          { event: 'telegram_edit_failed', err: describeTelegramError(err) },
          'could not update the choice message',
        );
      }
    });
  }
}

/** Anything else in a private chat: say what the bot expects. Groups are left alone. */
export async function onOtherPrivateMessage(ctx: Context, deps: TelegramFrontDeps): Promise<void> {
  await reply(ctx, deps.logger, sendPdfHintText(userLocale(ctx), 'private'));
}
