// The worker's side of Telegram: fetch the user's PDF, keep one progress message up to date,
// upload the finished video as a reply to the PDF, or say what went wrong. A chat that is gone
// (403: blocked, kicked) ends the job quietly through ChatUnavailableError.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { GrammyError, InputFile, type Api } from 'grammy';
import type { Redis } from 'ioredis';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { JobError, formatBytes } from '../../src/errors.js';
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
  localeOf,
  progressText,
  stripFormatChars,
} from '../texts.js';
import { CLOUD_DOWNLOAD_LIMIT, CLOUD_UPLOAD_LIMIT, LOCAL_UPLOAD_LIMIT, describeTelegramError, isBlockedError } from './api.js';
import { TelegramProgressMessages, type TelegramChatState } from './progress.js';
import { replyParams } from './replies.js';
import { telegramUserText } from './texts.js';

export interface TelegramAdapterOptions {
  api: Api;
  redis: Redis;
  /** The Redis key prefix of this deployment (cancel flags, edit windows). */
  prefix: string;
  logger: Logger;
  token: string;
  apiRoot: string;
  /** A local Bot API server: absolute file paths, no 20 MB download cap, 2000 MB uploads. */
  localApi?: boolean;
  /** The local server's file folder: the only place an absolute getFile path may point to. */
  localFilesDir?: string | undefined;
  /** Override the upload limit (default: 50 MB cloud, 2000 MB local). */
  maxUploadBytes?: number;
  editIntervalMs?: number;
  /** `upload_video` lasts 5 s on the client; repeat it this often while uploading. */
  chatActionEveryMs?: number;
  /** For file downloads; default: keep-alive agent with timeouts and bounded retries. */
  dispatcher?: Dispatcher;
}

export type TelegramAdapter = ChatAdapter & { close(): Promise<void> };

/** The largest PDF we can fetch through this Bot API server. */
export function downloadLimit(maxPdfBytes: number, localApi: boolean | undefined): number {
  return localApi ? maxPdfBytes : Math.min(maxPdfBytes, CLOUD_DOWNLOAD_LIMIT);
}

export function createTelegramAdapter(o: TelegramAdapterOptions): TelegramAdapter {
  const apiRoot = o.apiRoot.replace(/\/+$/, '');
  const apiOrigin = new URL(apiRoot).origin;
  const ownDispatcher = o.dispatcher
    ? undefined
    : new Agent({ connectTimeout: 10_000, headersTimeout: 30_000, bodyTimeout: 60_000 }).compose(
        // Idempotent GETs only; a few tries cover a blip, the job's own attempts cover the rest.
        interceptors.retry({ maxRetries: 2, minTimeout: 500, maxTimeout: 4_000, statusCodes: [429, 500, 502, 503, 504] }),
      );
  const dispatcher = o.dispatcher ?? ownDispatcher!;
  const progress = new TelegramProgressMessages({
    api: o.api,
    redis: o.redis,
    prefix: o.prefix,
    logger: o.logger,
    ...(o.editIntervalMs ? { intervalMs: o.editIntervalMs } : {}),
  });
  const maxUploadBytes = o.maxUploadBytes ?? (o.localApi ? LOCAL_UPLOAD_LIMIT : CLOUD_UPLOAD_LIMIT);

  /** Sends; a 403 means the conversation is over. */
  async function send<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isBlockedError(err)) throw new ChatUnavailableError('telegram', describeTelegramError(err));
      throw err;
    }
  }

  function chatActionLoop(ctx: AdapterContext): () => void {
    const { chatId, threadId } = ctx.data.requester;
    const other = threadId ? { message_thread_id: Number(threadId) } : {};
    const tick = () =>
      void o.api.sendChatAction(chatId, 'upload_video', other).catch((err: unknown) => {
        ctx.logger.debug({ event: 'telegram_chat_action_failed', err: describeTelegramError(err) }, 'chat action failed');
      });
    tick();
    const timer = setInterval(tick, o.chatActionEveryMs ?? 4_500);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * An absolute path is read only from a local Bot API server, and only inside its file folder
   * (symlinks resolved): otherwise whoever answers getFile could make the worker read any file
   * on its disk. The path is never put in the error: local servers keep files under the token.
   */
  async function localFile(filePath: string): Promise<string> {
    const refuse = (why: string) => new JobError('INTERNAL', `refusing the file path getFile answered: ${why}`);
    if (!o.localApi) throw refuse('an absolute path, but the local Bot API mode is off');
    if (!o.localFilesDir) throw refuse('an absolute path, but no TELEGRAM_LOCAL_FILES_DIR is set');
    let root: string;
    let real: string;
    try {
      [root, real] = await Promise.all([realpath(o.localFilesDir), realpath(filePath)]);
    } catch (err) {
      throw refuse(`not readable (${(err as { code?: string }).code ?? 'error'})`);
    }
    const rel = path.relative(root, real);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw refuse('outside TELEGRAM_LOCAL_FILES_DIR');
    }
    return real;
  }

  async function openTelegramFile(ctx: AdapterContext, maxBytes: number): Promise<FileSource> {
    const f = ctx.data.file;
    if (f.kind !== 'telegram') throw new Error(`the Telegram adapter cannot open ${f.kind} files`);
    const limit = downloadLimit(maxBytes, o.localApi);
    const tooLarge = () => new JobError('PDF_TOO_LARGE', undefined, { vars: { limit: formatBytes(limit) } });
    // The metadata came with the message: refuse before asking Telegram for anything.
    if (f.size !== undefined && f.size > limit) throw tooLarge();

    let file;
    try {
      file = await o.api.getFile(f.fileId);
    } catch (err) {
      if (err instanceof GrammyError && /file is too big/i.test(err.description)) throw tooLarge();
      if (err instanceof GrammyError && err.error_code < 500 && err.error_code !== 429) {
        throw new JobError('INTERNAL', `getFile: ${err.error_code} ${err.description}`, { cause: err });
      }
      throw new JobError('INTERNAL', `getFile failed: ${describeTelegramError(err)}`, { retryable: true });
    }
    if (file.file_size !== undefined && file.file_size > limit) throw tooLarge();
    if (!file.file_path) throw new JobError('INTERNAL', 'getFile answered without a file_path', { retryable: true });
    const name = f.name ?? path.basename(file.file_path);

    // A local Bot API server (--local) answers the absolute path of the file on its disk.
    if (path.isAbsolute(file.file_path)) {
      const local = await localFile(file.file_path);
      const size = (await stat(local)).size;
      if (size > limit) throw tooLarge();
      return { stream: createReadStream(local), size, name };
    }

    const url = new URL(`${apiRoot}/file/bot${o.token}/${file.file_path.split('/').map(encodeURIComponent).join('/')}`);
    // The token is in this URL: it may only ever go to the configured Bot API host.
    if (url.origin !== apiOrigin) throw new JobError('INTERNAL', 'refusing a file path outside the Bot API root');
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: 'GET', dispatcher, signal: AbortSignal.timeout(5 * 60_000) });
    } catch (err) {
      // Never pass the undici error on as is: its details may carry the URL.
      const code = (err as { code?: string }).code ?? (err as Error).name;
      throw new JobError('INTERNAL', `Telegram file download failed (${code})`, { retryable: true });
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      throw new JobError('INTERNAL', `Telegram file download answered ${res.statusCode}`, { retryable: true });
    }
    const header = Number(res.headers['content-length']);
    const size = Number.isFinite(header) && header > 0 ? header : file.file_size;
    if (size !== undefined && size > limit) {
      await res.body.dump().catch(() => {});
      throw tooLarge();
    }
    return { stream: res.body, ...(size !== undefined ? { size } : {}), name };
  }

  return {
    platform: 'telegram',
    maxUploadBytes,

    openFile: openTelegramFile,

    async acknowledge(ctx, info) {
      const locale = localeOf(ctx.data.requester);
      await send(() =>
        o.api.sendMessage(
          ctx.data.requester.chatId,
          acceptedText(locale, ctx.shortId, info.position),
          replyParams(ctx.data.requester),
        ),
      );
    },

    async progress(ctx, update) {
      await progress.step(ctx, progressText(localeOf(ctx.data.requester), update));
    },

    async deliverVideo(ctx, video: VideoFile) {
      const { requester } = ctx.data;
      const chat = ctx.data.chat as TelegramChatState;
      const locale = localeOf(requester);
      if (chat.videoMessageId !== undefined) {
        // A retried deliver step after the upload went through: never send the video twice.
        await progress.final(ctx, doneText(locale, video.coverage));
        return { as: chat.videoAs ?? 'file' };
      }

      if (video.bytes > maxUploadBytes) {
        if (!video.linkUrl) {
          throw new JobError('VIDEO_TOO_LARGE', `${video.bytes} bytes, Telegram takes ${maxUploadBytes}`);
        }
        const msg = await send(() =>
          o.api.sendMessage(requester.chatId, linkInsteadText(locale, video.linkUrl!, video.bytes, maxUploadBytes), {
            ...replyParams(requester),
            link_preview_options: { is_disabled: true },
          }),
        );
        await ctx.saveChatState({ videoMessageId: msg.message_id, videoAs: 'link' } satisfies TelegramChatState);
        await progress.final(ctx, doneText(locale, video.coverage));
        return { as: 'link' };
      }

      const stopChatAction = chatActionLoop(ctx);
      let msg;
      try {
        msg = await send(() =>
          o.api.sendVideo(
            requester.chatId,
            // A path, not a stream: auto-retry may send the request again after a 429.
            new InputFile(video.path, stripFormatChars(video.fileName)),
            {
              caption: captionText(video.title.slice(0, 200), video.durationSeconds, telegramUserText),
              supports_streaming: true,
              ...(video.durationSeconds ? { duration: Math.round(video.durationSeconds) } : {}),
              ...replyParams(requester),
            },
          ),
        );
      } catch (err) {
        if (err instanceof GrammyError && err.error_code === 413) {
          throw new JobError('VIDEO_TOO_LARGE', `sendVideo: ${err.description}`);
        }
        if (err instanceof GrammyError && err.error_code === 400) {
          throw new JobError('INTERNAL', `sendVideo: ${err.description}`);
        }
        throw err;
      } finally {
        stopChatAction();
      }
      await ctx.saveChatState({ videoMessageId: msg.message_id, videoAs: 'file' } satisfies TelegramChatState);
      await progress.final(ctx, doneText(locale, video.coverage)).catch((err: unknown) => {
        ctx.logger.warn({ event: 'telegram_done_edit_failed', err: describeTelegramError(err) }, 'could not mark progress done');
      });
      return { as: 'file' };
    },

    async fail(ctx, error) {
      const { requester } = ctx.data;
      const locale = localeOf(requester);
      await send(() => o.api.sendMessage(requester.chatId, failureText(locale, error, telegramUserText), replyParams(requester)));
      await progress.final(ctx, failedProgressText(locale, error.code)).catch((err: unknown) => {
        ctx.logger.warn(
          { event: 'telegram_fail_edit_failed', err: describeTelegramError(err) },
          'could not mark progress stopped',
        );
      });
    },

    async close() {
      progress.close();
      await ownDispatcher?.close().catch(() => {});
    },
  };
}
