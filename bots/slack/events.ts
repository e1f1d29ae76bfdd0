// PDFs shared with the app: a `message` event with subtype `file_share`, in a DM with the app or
// in a channel where the message mentions it. One job per PDF file; Slack's redeliveries
// (X-Slack-Retry-Num) find the same dedupe key and make no second job, and the notices below are
// sent once per file whatever Slack redelivers.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { duplicateText, localeOf, notPdfText } from '../texts.js';
import type { SlackFile } from './files.js';
import { firstNotice, problemText, submitSlackFile, type SlackFrontDeps } from './intake.js';
import { slackUserText } from './texts.js';

const fileSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().nullish(),
    title: z.string().nullish(),
    mimetype: z.string().optional(),
    filetype: z.string().optional(),
    size: z.number().optional(),
    url_private: z.string().optional(),
    url_private_download: z.string().optional(),
    file_access: z.string().optional(),
  })
  .loose();

const fileShareSchema = z
  .object({
    type: z.literal('message'),
    subtype: z.literal('file_share'),
    user: z.string().min(1),
    channel: z.string().min(1),
    channel_type: z.string().optional(),
    ts: z.string().min(1),
    thread_ts: z.string().optional(),
    text: z.string().optional(),
    bot_id: z.string().optional(),
    files: z.array(fileSchema).default([]),
  })
  .loose();

export type FileShareEvent = z.infer<typeof fileShareSchema>;

function parseFileShare(event: unknown): FileShareEvent | undefined {
  const r = fileShareSchema.safeParse(event);
  return r.success ? r.data : undefined;
}

/** In a DM with the app always; elsewhere only when the message mentions the app. */
function addressedToApp(e: FileShareEvent, botUserId: string | undefined): boolean {
  if (e.channel_type === 'im') return true;
  return botUserId !== undefined && (e.text ?? '').includes(`<@${botUserId}>`);
}

export function registerEvents(app: App, deps: SlackFrontDeps): void {
  const log = deps.logger;

  app.event('message', async ({ event, body, context, client }) => {
    const e = parseFileShare(event);
    // Other bots' uploads are not requests (our own are dropped by Bolt's ignoreSelf).
    if (!e || e.bot_id || e.files.length === 0) return;
    if (!addressedToApp(e, context.botUserId)) return;
    const teamId = (body as { team_id?: string }).team_id ?? context.teamId ?? '';
    const retry = context.retryNum !== undefined;

    const rawLocale = await deps.locales.get(teamId, e.user);
    const locale = localeOf(rawLocale);
    const threadTs = e.thread_ts ?? e.ts;
    const origin = {
      teamId,
      userId: e.user,
      channelId: e.channel,
      threadTs,
      messageTs: e.ts,
      ...(rawLocale ? { locale: rawLocale } : {}),
    };

    const replies: string[] = [];
    const privately: string[] = [];
    const notPdf: SlackFile[] = [];
    // Sequential: each file is its own job, and a failure to store one makes Slack retry them all
    // (the ones already stored are then duplicates).
    for (const file of e.files as SlackFile[]) {
      const outcome = await submitSlackFile(deps, origin, file);
      log.info(
        { event: 'slack_file_share', teamId, fileId: file.id, outcome: outcome.status, retryNum: context.retryNum },
        'PDF shared with the app',
      );
      if (outcome.status === 'accepted') continue;
      if (outcome.status === 'duplicate') {
        // A redelivery says nothing; the same file shared again in a new message gets a word.
        if (!retry && (await firstNotice(deps, `dup:${teamId}:${file.id}:${e.ts}`))) {
          replies.push(duplicateText(locale, outcome.jobId));
        }
        continue;
      }
      if (!(await firstNotice(deps, `${teamId}:${file.id}:${e.ts}`))) continue;
      if (outcome.status === 'refused' && outcome.error.code === 'NOT_A_PDF') {
        notPdf.push(file);
        continue;
      }
      const text = problemText(deps, outcome, locale)!;
      // Someone's quota is their business: in a channel only they see it.
      if (outcome.status === 'limited' && e.channel_type !== 'im') privately.push(text);
      else replies.push(text);
    }
    if (notPdf.length > 0) {
      replies.unshift(
        notPdfText(
          locale,
          notPdf.map((f) => f.name ?? f.id),
          slackUserText,
        ),
      );
    }

    if (replies.length > 0) {
      deps.background.run('reply', () =>
        client.chat.postMessage({ channel: e.channel, thread_ts: threadTs, text: replies.join('\n'), unfurl_links: false }),
      );
    }
    if (privately.length > 0) {
      deps.background.run('ephemeral', () =>
        client.chat.postEphemeral({ channel: e.channel, user: e.user, thread_ts: threadTs, text: privately.join('\n') }),
      );
    }
  });
}
