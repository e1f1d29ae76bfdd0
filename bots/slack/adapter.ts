// The Slack side of a running job: the PDF comes from url_private (with the bot token, to Slack's
// file host only), progress is one message edited in place, the MP4 goes into the thread with
// files.uploadV2, and a failure is a thread reply with its code. An archived channel or a removed
// app ends the job's chat output quietly (ChatUnavailableError).
import type { WebClient } from '@slack/web-api';
import { JobError, formatBytes, type Locale } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import {
  ChatUnavailableError,
  type AdapterContext,
  type ChatAdapter,
  type FileSource,
  type VideoFile,
} from '../../pipeline/ports.js';
import {
  acceptedText,
  captionText,
  doneText,
  failedProgressText,
  failureText,
  linkInsteadText,
  localeOf as localeOfUser,
  progressText,
  stripFormatChars,
} from '../texts.js';
import { isGoneError, slackErrorCode } from './api.js';
import { downloadSlackFile, type SlackFile } from './files.js';
import type { SlackProgressMessages, PostedMessage } from './progress.js';
import { slackUserText } from './texts.js';

/** Slack takes files up to 1 GB. */
export const SLACK_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

export interface SlackAdapterDeps {
  client: WebClient;
  botToken: string;
  /** Hosts besides files.slack.com that may receive the token (SLACK_FILE_HOSTS; none by default). */
  fileHosts: readonly string[];
  messages: SlackProgressMessages;
  logger: Logger;
}

/** What the adapter keeps in the job (VideoJobData.chat). */
interface SlackChatState {
  slackChannel?: string;
  slackTs?: string;
  slackText?: string;
  /** Set once the video is in Slack (its file id): a retried deliver step must not upload it twice. */
  slackUploadedFile?: string;
  /** Set once the video went out, as a file or as a link: a retried deliver step sends nothing. */
  slackVideoAs?: 'file' | 'link';
}

const stateOf = (ctx: AdapterContext) => ctx.data.chat as SlackChatState;
const localeOf = (ctx: AdapterContext): Locale => localeOfUser(ctx.data.requester);

export function createSlackAdapter(deps: SlackAdapterDeps): ChatAdapter {
  const { client, messages } = deps;

  /** Run a Slack call; a conversation that is gone becomes ChatUnavailableError. */
  async function slack<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isGoneError(err)) throw new ChatUnavailableError('slack', `${what}: ${slackErrorCode(err)}`);
      throw err;
    }
  }

  function known(ctx: AdapterContext): PostedMessage | undefined {
    const s = stateOf(ctx);
    return s.slackChannel && s.slackTs ? { channel: s.slackChannel, ts: s.slackTs } : undefined;
  }

  /** The progress message, from the job or from whoever posted it (the web process). */
  async function current(ctx: AdapterContext, waitMs = 0): Promise<PostedMessage | undefined> {
    const k = known(ctx);
    if (k) return k;
    const rec = await messages.get(ctx.jobId);
    if (rec === 'pending') return waitMs > 0 ? messages.waitFor(ctx.jobId, waitMs) : undefined;
    return rec;
  }

  /**
   * Post the first message of a job: a reply in the user's thread, or (modal flow) a message in
   * the channel the command came from. When the app may not post in that channel, the modal flow
   * falls back to the user's DM with the app (posting to a user id opens it).
   */
  async function postFirst(ctx: AdapterContext, text: string): Promise<PostedMessage> {
    const r = ctx.data.requester;
    try {
      const res = await client.chat.postMessage({
        channel: r.chatId,
        text,
        ...(r.threadId ? { thread_ts: r.threadId } : {}),
        unfurl_links: false,
      });
      return { channel: res.channel ?? r.chatId, ts: res.ts! };
    } catch (err) {
      const code = slackErrorCode(err);
      if (!r.threadId && (code === 'not_in_channel' || code === 'channel_not_found')) {
        deps.logger.info({ event: 'slack_dm_fallback', jobId: ctx.jobId, code }, 'cannot post in the channel; using the DM');
        const res = await slack('chat.postMessage', () =>
          client.chat.postMessage({ channel: r.userId, text, unfurl_links: false }),
        );
        return { channel: res.channel!, ts: res.ts! };
      }
      if (isGoneError(err)) throw new ChatUnavailableError('slack', `chat.postMessage: ${code}`);
      throw err;
    }
  }

  async function remember(ctx: AdapterContext, m: PostedMessage, text: string): Promise<void> {
    const s = stateOf(ctx);
    if (s.slackChannel === m.channel && s.slackTs === m.ts && s.slackText === text) return;
    await ctx.saveChatState({ slackChannel: m.channel, slackTs: m.ts, slackText: text });
  }

  async function edit(ctx: AdapterContext, m: PostedMessage, text: string): Promise<void> {
    // Edits are rate limited per workspace: skip those that change nothing.
    if (stateOf(ctx).slackText === text && known(ctx)) return;
    await slack('chat.update', () => client.chat.update({ channel: m.channel, ts: m.ts, text }));
    await remember(ctx, m, text);
  }

  /** Show `text` in the job's one progress message: edit it, or post it if nobody has. */
  async function show(ctx: AdapterContext, text: string): Promise<PostedMessage | undefined> {
    let m = await current(ctx, 3_000);
    if (!m) {
      if (await messages.claim(ctx.jobId)) {
        try {
          m = await postFirst(ctx, text);
        } catch (err) {
          await messages.release(ctx.jobId);
          throw err;
        }
        await messages.set(ctx.jobId, m);
        await remember(ctx, m, text);
        return m;
      }
      m = await messages.waitFor(ctx.jobId, 3_000);
      if (!m) return undefined; // the other side is still posting; the next update will find it
    }
    await edit(ctx, m, text);
    return m;
  }

  /** A reply under the job's thread: the user's message, or the progress message (modal flow). */
  async function reply(ctx: AdapterContext, text: string): Promise<void> {
    const m = await current(ctx);
    const r = ctx.data.requester;
    const channel = m?.channel ?? r.chatId;
    const thread = r.threadId ?? m?.ts;
    await slack('chat.postMessage', () =>
      client.chat.postMessage({ channel, text, ...(thread ? { thread_ts: thread } : {}), unfurl_links: false }),
    );
  }

  return {
    platform: 'slack',
    maxUploadBytes: SLACK_MAX_UPLOAD_BYTES,

    async openFile(ctx, maxBytes): Promise<FileSource> {
      const f = ctx.data.file;
      if (f.kind !== 'slack') throw new Error(`the Slack adapter cannot open ${f.kind} files`);
      const tooLarge = () => new JobError('PDF_TOO_LARGE', undefined, { vars: { limit: formatBytes(maxBytes) } });
      let { url, size, name } = f;
      if (!url || size === undefined) {
        // Events may carry a file without URLs (file_access: check_file_info) or without a size.
        let info: SlackFile | undefined;
        try {
          info = (await client.files.info({ file: f.fileId })).file as SlackFile | undefined;
        } catch (err) {
          const code = slackErrorCode(err);
          if (code === 'file_not_found' || code === 'file_deleted') {
            throw new JobError('INTERNAL', `the Slack file ${f.fileId} is gone (${code})`);
          }
          throw new JobError('INTERNAL', `files.info failed: ${code ?? (err as Error).message}`, { retryable: true, cause: err });
        }
        url = info?.url_private_download ?? info?.url_private ?? url;
        size = typeof info?.size === 'number' ? info.size : size;
        name = info?.name ?? name;
      }
      if (size !== undefined && size > maxBytes) throw tooLarge();
      if (!url) throw new JobError('INTERNAL', `Slack gave no download URL for file ${f.fileId}`);

      const dl = await downloadSlackFile(url, deps.botToken, deps.fileHosts);
      if (dl.contentLength !== undefined && dl.contentLength > maxBytes) {
        dl.body.destroy();
        throw tooLarge();
      }
      const known = size ?? dl.contentLength;
      return { stream: dl.body, ...(known !== undefined ? { size: known } : {}), ...(name ? { name } : {}) };
    },

    async acknowledge(ctx, info) {
      // Sent by the web process. When the worker got there first (claiming or posted), its
      // progress shows already: the claim, one SET NX, is the only check needed.
      if (!(await messages.claim(ctx.jobId))) return;
      let m: PostedMessage;
      try {
        m = await postFirst(ctx, acceptedText(localeOf(ctx), ctx.shortId, info.position));
      } catch (err) {
        await messages.release(ctx.jobId);
        throw err;
      }
      await messages.set(ctx.jobId, m);
    },

    async progress(ctx, update) {
      await show(ctx, progressText(localeOf(ctx), update));
    },

    async deliverVideo(ctx, video: VideoFile) {
      const state = stateOf(ctx);
      const locale = localeOf(ctx);
      // A retried deliver step after the video went out: never post it twice.
      if (state.slackVideoAs) return { as: state.slackVideoAs };
      if (state.slackUploadedFile) return { as: 'file' };
      const m = await current(ctx);
      const r = ctx.data.requester;
      const channel = m?.channel ?? r.chatId;
      const thread = r.threadId ?? m?.ts;

      let as: 'file' | 'link';
      if (video.linkUrl) {
        await reply(ctx, linkInsteadText(locale, video.linkUrl, video.bytes, SLACK_MAX_UPLOAD_BYTES));
        await ctx.saveChatState({ slackVideoAs: 'link' } satisfies SlackChatState);
        as = 'link';
      } else {
        const comment = captionText(video.title, video.durationSeconds, slackUserText);
        const res = await slack('files.uploadV2', () =>
          client.filesUploadV2({
            ...(thread ? { channel_id: channel, thread_ts: thread } : { channel_id: channel }),
            file: video.path,
            // File names and titles are shown as they are (not read as markup): only cleaned.
            filename: stripFormatChars(video.fileName),
            title: stripFormatChars(video.title),
            initial_comment: comment,
          }),
        );
        const uploaded = (res.files as Array<{ files?: Array<{ id?: string }> }> | undefined)?.[0]?.files?.[0]?.id;
        await ctx.saveChatState({ slackUploadedFile: uploaded ?? 'uploaded', slackVideoAs: 'file' } satisfies SlackChatState);
        as = 'file';
      }
      if (m) {
        try {
          await edit(ctx, m, doneText(locale, video.coverage));
        } catch (err) {
          // The video is out; a stale progress line is not worth failing the job for.
          if (err instanceof ChatUnavailableError) throw err;
          ctx.logger.warn({ event: 'progress_failed', err }, 'could not mark the progress message done');
        }
      }
      return { as };
    },

    async fail(ctx, error: JobError) {
      const locale = localeOf(ctx);
      const m = await current(ctx);
      if (m) {
        await edit(ctx, m, failedProgressText(locale, error.code)).catch((err: unknown) => {
          if (err instanceof ChatUnavailableError) throw err;
          ctx.logger.warn({ event: 'progress_failed', err }, 'could not mark the progress message failed');
        });
      }
      await reply(ctx, failureText(locale, error, slackUserText));
    },
  };
}
