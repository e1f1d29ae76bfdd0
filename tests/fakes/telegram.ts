// A local fake of the Telegram Bot API, faithful to /work/shared/reference/telegram.md where our
// bot can tell the difference: `POST /bot<token>/<method>` with JSON, urlencoded or multipart
// bodies (attach:// references), `{ok, result}` / `{ok:false, error_code, description,
// parameters}` answers with the HTTP status equal to error_code, getFile + GET
// /file/bot<token>/<path>, 401 for a wrong token, the 20 MB download cap ("file is too big"),
// the 50 MB upload cap, "message is not modified", 403 for blocked users, programmable 429s with
// retry_after, webhooks with the secret header, and getUpdates long polling.
//
// Deliberate differences: setWebhook accepts plain http://127.0.0.1 URLs (Telegram wants https
// on 443/80/88/8443); no flood control of its own (429s are programmed by the test).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { request } from 'undici';

export const DOWNLOAD_LIMIT = 20 * 1024 * 1024;
export const UPLOAD_LIMIT = 50 * 1024 * 1024;

export interface FakeUser {
  id: number;
  is_bot: false;
  first_name: string;
  username?: string;
  language_code?: string;
}

export interface FakeChat {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
  first_name?: string;
  is_forum?: boolean;
}

type Json = Record<string, unknown>;

export interface UploadedFile {
  field: string;
  filename: string | undefined;
  contentType: string | undefined;
  bytes: Buffer;
}

export interface ApiCall {
  method: string;
  params: Json;
  files: Record<string, UploadedFile>;
  contentType: string;
  at: number;
  status: number;
  description?: string;
  /** Sent as a webhook's response body (a "webhook reply"), not as its own request. */
  viaWebhookReply?: boolean;
}

export interface StoredMessage {
  message_id: number;
  chat: FakeChat;
  from: Json;
  date: number;
  byBot: boolean;
  text?: string;
  caption?: string;
  document?: Json;
  video?: Json;
  reply_markup?: unknown;
  replyTo?: number;
  threadId?: number;
  /** Every text this message showed, with when (first entry: as sent). */
  history: { text: string; at: number }[];
  /** For videos: the uploaded bytes. */
  videoBytes?: Buffer;
  videoFileName?: string;
}

interface StoredFile {
  file_id: string;
  file_unique_id: string;
  bytes: Buffer;
  /** What Telegram reports (may be set larger than the bytes, to test limits cheaply). */
  size: number;
  path: string;
}

interface Fault {
  error_code: number;
  description: string;
  retry_after?: number;
  /** Only calls for this chat. */
  chatId?: number | string;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: Json,
  ) {
    super(description);
  }
}

const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

export interface FakeTelegramOptions {
  token?: string;
  botUsername?: string;
  /** Behave like a local Bot API server (--local): absolute file paths under this folder, no caps. */
  localDir?: string;
}

export class FakeTelegram extends EventEmitter {
  readonly token: string;
  readonly botInfo;
  apiRoot = '';
  readonly calls: ApiCall[] = [];
  readonly webhookDeliveries: { updateId: number; status: number; ms: number }[] = [];
  webhook: { url: string; secret?: string; allowedUpdates?: string[] } | undefined;

  private server: Server | undefined;
  private readonly chats = new Map<string, FakeChat>();
  private readonly messages = new Map<string, Map<number, StoredMessage>>();
  private readonly nextMessageId = new Map<string, number>();
  private readonly files = new Map<string, StoredFile>();
  private readonly filesByPath = new Map<string, StoredFile>();
  private readonly callbackQueries = new Map<string, { answered: boolean }>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly blocked = new Set<string>();
  private readonly pendingUpdates: Json[] = [];
  private pollWaiter: { wake: () => void; terminate: () => void } | undefined;
  private nextUpdateId = 100_000;
  private fileCounter = 0;
  private readonly localDir: string | undefined;

  constructor(opts: FakeTelegramOptions = {}) {
    super();
    this.setMaxListeners(100);
    this.token = opts.token ?? `${7_000_000_000 + Math.floor(Math.random() * 1e6)}:AA${randomBytes(24).toString('base64url')}`;
    this.localDir = opts.localDir;
    const username = opts.botUsername ?? 'doc2video_test_bot';
    this.botInfo = {
      id: Number(this.token.split(':')[0]),
      is_bot: true as const,
      first_name: 'doc2video',
      username,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
  }

  static async start(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
    const fake = new FakeTelegram(opts);
    await fake.listen();
    return fake;
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.apiRoot = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.pollWaiter?.terminate();
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------- test controls

  /** The next `times` calls of `method` fail with this error. */
  failNext(method: string, fault: Fault, times = 1): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.faults.set(method, list);
  }

  /** 429 Too Many Requests with parameters.retry_after, `times` in a row. */
  rateLimitNext(method: string, retryAfterSeconds: number, opts: { times?: number; chatId?: number | string } = {}): void {
    this.failNext(
      method,
      {
        error_code: 429,
        description: `Too Many Requests: retry after ${retryAfterSeconds}`,
        retry_after: retryAfterSeconds,
        ...(opts.chatId !== undefined ? { chatId: opts.chatId } : {}),
      },
      opts.times ?? 1,
    );
  }

  /** The user blocks the bot: every send to this private chat answers 403. */
  block(chatId: number): void {
    this.blocked.add(String(chatId));
  }

  // ---------------------------------------------------------------- users, chats, updates

  user(id: number, extra: Partial<FakeUser> = {}): FakeUser {
    return { id, is_bot: false, first_name: `User${id}`, language_code: 'en', ...extra };
  }

  privateChat(user: FakeUser): FakeChat {
    return this.registerChat({ id: user.id, type: 'private', first_name: user.first_name });
  }

  groupChat(id: number, type: 'group' | 'supergroup' = 'supergroup'): FakeChat {
    if (id >= 0) throw new Error('group chat ids are negative');
    return this.registerChat({ id, type, title: `Group ${-id}` });
  }

  private registerChat(chat: FakeChat): FakeChat {
    this.chats.set(String(chat.id), chat);
    return chat;
  }

  /** Store a file as Telegram would after a user uploaded it. `size` may claim more than the bytes. */
  addFile(bytes: Buffer, size = bytes.length): { file_id: string; file_unique_id: string; file_size: number } {
    const n = ++this.fileCounter;
    const file: StoredFile = {
      file_id: `BQACAgIAAxkBAAI${n}${randomBytes(12).toString('base64url')}`,
      file_unique_id: `AgAD${n}${randomBytes(4).toString('hex')}`,
      bytes,
      size,
      path: `documents/file_${n}.pdf`,
    };
    this.files.set(file.file_id, file);
    this.filesByPath.set(file.path, file);
    return { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: size };
  }

  private storeUserMessage(chat: FakeChat, from: FakeUser, fields: Partial<StoredMessage>): StoredMessage {
    const m: StoredMessage = {
      message_id: this.allocMessageId(chat.id),
      chat,
      from: { ...from },
      date: Math.floor(Date.now() / 1000),
      byBot: false,
      history: [],
      ...fields,
    };
    this.chatMessages(chat.id).set(m.message_id, m);
    return m;
  }

  /** A user sends a document (a PDF, or anything else). Returns the update. */
  documentUpdate(opts: {
    from: FakeUser;
    chat: FakeChat;
    bytes: Buffer;
    fileName?: string;
    mimeType?: string;
    caption?: string;
    /** Claimed file_size (default: the real size). */
    size?: number;
  }): Json {
    const f = this.addFile(opts.bytes, opts.size);
    const document: Json = {
      ...(opts.fileName !== undefined ? { file_name: opts.fileName } : {}),
      ...(opts.mimeType !== undefined ? { mime_type: opts.mimeType } : {}),
      ...f,
    };
    const m = this.storeUserMessage(opts.chat, opts.from, {
      document,
      ...(opts.caption !== undefined ? { caption: opts.caption } : {}),
    });
    return this.messageUpdate(m);
  }

  /** A user sends text (commands and @mentions get their entities, as Telegram marks them). */
  textUpdate(opts: { from: FakeUser; chat: FakeChat; text: string; replyTo?: number }): Json {
    const m = this.storeUserMessage(opts.chat, opts.from, {
      text: opts.text,
      ...(opts.replyTo !== undefined ? { replyTo: opts.replyTo } : {}),
    });
    return this.messageUpdate(m);
  }

  /** A user presses an inline keyboard button under one of the bot's messages. */
  callbackUpdate(opts: { from: FakeUser; message: StoredMessage; data: string }): Json {
    const id = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    this.callbackQueries.set(id, { answered: false });
    return {
      update_id: ++this.nextUpdateId,
      callback_query: {
        id,
        from: { ...opts.from },
        chat_instance: String(opts.message.chat.id),
        message: this.toApiMessage(opts.message),
        data: opts.data,
      },
    };
  }

  private messageUpdate(m: StoredMessage): Json {
    return { update_id: ++this.nextUpdateId, message: this.toApiMessage(m) };
  }

  /**
   * Give an update to the bot the way Telegram would: POST to the webhook when one is set (with
   * the secret header), otherwise queue it for getUpdates. Returns the webhook's answer.
   */
  async send(update: Json, opts: { secret?: string | null } = {}): Promise<{ status: number; body: string } | undefined> {
    if (!this.webhook) {
      this.pendingUpdates.push(update);
      this.pollWaiter?.wake();
      return undefined;
    }
    return this.postToWebhook(update, opts);
  }

  async postToWebhook(update: Json, opts: { secret?: string | null } = {}): Promise<{ status: number; body: string }> {
    if (!this.webhook) throw new Error('no webhook is set');
    const secret = opts.secret === undefined ? this.webhook.secret : opts.secret;
    const started = performance.now();
    const res = await request(this.webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(secret !== null && secret !== undefined ? { 'x-telegram-bot-api-secret-token': secret } : {}),
      },
      body: JSON.stringify(update),
    });
    const body = await res.body.text();
    this.webhookDeliveries.push({ updateId: Number(update.update_id), status: res.statusCode, ms: performance.now() - started });
    if (res.statusCode >= 200 && res.statusCode < 300) await this.applyWebhookReply(body);
    return { status: res.statusCode, body };
  }

  /**
   * What Telegram does with a 2xx webhook answer whose body is a method call
   * (`{"method":"sendMessage",...}`): it runs the call and tells the bot nothing, not even an
   * error (a blocked user's 403 is only recorded here). A body that is not a call is ignored.
   */
  async applyWebhookReply(body: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(body) : undefined;
    } catch {
      return;
    }
    if (!parsed || typeof parsed !== 'object' || typeof (parsed as Json).method !== 'string') return;
    const { method, ...params } = parsed as Json & { method: string };
    const call: ApiCall = {
      method,
      params,
      files: {},
      contentType: 'application/json',
      at: Date.now(),
      status: 200,
      viaWebhookReply: true,
    };
    try {
      if (method === 'getUpdates') throw new ApiError(400, 'Bad Request: getUpdates is not allowed in a webhook reply');
      const fault = this.takeFault(method, params);
      if (fault) throw new ApiError(fault.error_code, fault.description);
      await this.dispatch(method, params, {});
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(500, `Internal Server Error: ${(err as Error).message}`);
      call.status = e.code;
      call.description = e.description;
    }
    this.record(call);
  }

  // ---------------------------------------------------------------- what the bot did

  /** A getUpdates long poll is open right now (someone is polling). */
  isPolled(): boolean {
    return this.pollWaiter !== undefined;
  }

  /** Updates queued for getUpdates and not yet confirmed by a later offset. */
  pendingUpdateIds(): number[] {
    return this.pendingUpdates.map((u) => Number(u.update_id));
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Messages the bot sent to a chat (texts and videos), oldest first. */
  botMessages(chatId: number | string): StoredMessage[] {
    return [...(this.messages.get(String(chatId))?.values() ?? [])].filter((m) => m.byBot);
  }

  textsTo(chatId: number | string): string[] {
    return this.botMessages(chatId)
      .filter((m) => m.text !== undefined)
      .map((m) => m.text!);
  }

  videosTo(chatId: number | string): StoredMessage[] {
    return this.botMessages(chatId).filter((m) => m.video);
  }

  message(chatId: number | string, messageId: number): StoredMessage | undefined {
    return this.messages.get(String(chatId))?.get(messageId);
  }

  /** Resolves when `pred` holds (checked after every API call), or rejects after `timeoutMs`. */
  async waitUntil<T>(pred: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
    const now = pred();
    if (now) return now;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const v = pred();
        if (v) {
          cleanup();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake Telegram: timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('call', check);
      };
      this.on('call', check);
    });
  }

  // ---------------------------------------------------------------- HTTP

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch && req.method === 'GET') return this.serveFile(fileMatch[1]!, decodeURIComponent(fileMatch[2]!), res);
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return this.answer(res, new ApiError(404, 'Not Found'));
    const [, token, method] = m as unknown as [string, string, string];
    let parsed: { params: Json; files: Record<string, UploadedFile> };
    try {
      parsed = await parseBody(req, url);
    } catch (err) {
      return this.answer(res, new ApiError(400, `Bad Request: ${(err as Error).message}`));
    }
    const call: ApiCall = {
      method,
      params: parsed.params,
      files: parsed.files,
      contentType: String(req.headers['content-type'] ?? ''),
      at: Date.now(),
      status: 200,
    };
    try {
      if (token !== this.token) throw new ApiError(401, 'Unauthorized');
      const fault = this.takeFault(method, parsed.params);
      if (fault) {
        throw new ApiError(
          fault.error_code,
          fault.description,
          fault.retry_after !== undefined ? { retry_after: fault.retry_after } : undefined,
        );
      }
      const result = await this.dispatch(method, parsed.params, parsed.files, { req, res });
      if (result === NO_ANSWER) return; // getUpdates answered (or was terminated) on its own
      this.record(call);
      this.answerOk(res, result);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(500, `Internal Server Error: ${(err as Error).message}`);
      call.status = e.code;
      call.description = e.description;
      this.record(call);
      this.answer(res, e);
    }
  }

  private takeFault(method: string, params: Json): Fault | undefined {
    const list = this.faults.get(method);
    const i = list?.findIndex((f) => f.chatId === undefined || String(f.chatId) === String(params.chat_id)) ?? -1;
    return i >= 0 ? list!.splice(i, 1)[0] : undefined;
  }

  private record(call: ApiCall): void {
    this.calls.push(call);
    this.emit('call', call);
  }

  private answerOk(res: ServerResponse, result: unknown): void {
    const body = JSON.stringify({ ok: true, result });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private answer(res: ServerResponse, e: ApiError): void {
    const body = JSON.stringify({
      ok: false,
      error_code: e.code,
      description: e.description,
      ...(e.parameters ? { parameters: e.parameters } : {}),
    });
    if (res.headersSent || res.destroyed) return;
    res.writeHead(e.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private serveFile(token: string, filePath: string, res: ServerResponse): void {
    const fail = (code: number, description: string) => {
      const body = JSON.stringify({ ok: false, error_code: code, description });
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(body);
    };
    if (token !== this.token) return fail(401, 'Unauthorized');
    const file = this.filesByPath.get(filePath);
    if (!file) return fail(404, 'Not Found');
    this.record({
      method: 'GET /file',
      params: { file_path: filePath },
      files: {},
      contentType: '',
      at: Date.now(),
      status: 200,
    });
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
    res.end(file.bytes);
  }

  private async dispatch(
    method: string,
    p: Json,
    files: Record<string, UploadedFile>,
    /** The request being answered (getUpdates holds it open); absent for a webhook reply. */
    http?: { req: IncomingMessage; res: ServerResponse },
  ): Promise<unknown> {
    switch (method) {
      case 'getMe':
        return this.botInfo;
      case 'getFile':
        return this.getFile(p);
      case 'sendMessage':
        return this.sendMessage(p);
      case 'editMessageText':
        return this.editMessageText(p);
      case 'sendVideo':
        return this.sendVideo(p, files);
      case 'sendChatAction': {
        this.chatFor(p.chat_id, true);
        if (!CHAT_ACTIONS.has(String(p.action))) throw new ApiError(400, 'Bad Request: wrong parameter action in request');
        return true;
      }
      case 'answerCallbackQuery': {
        const q = this.callbackQueries.get(String(p.callback_query_id));
        if (!q || q.answered) {
          throw new ApiError(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
        }
        q.answered = true;
        return true;
      }
      case 'setWebhook':
        return this.setWebhook(p);
      case 'deleteWebhook':
        this.webhook = undefined;
        if (truthy(p.drop_pending_updates)) this.pendingUpdates.length = 0;
        return true;
      case 'getWebhookInfo':
        return {
          url: this.webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: this.pendingUpdates.length,
          ...(this.webhook?.allowedUpdates ? { allowed_updates: this.webhook.allowedUpdates } : {}),
        };
      case 'getUpdates':
        if (!http) throw new ApiError(400, 'Bad Request: getUpdates needs its own request');
        return this.getUpdates(p, http.req, http.res);
      case 'setMyCommands': {
        // A chat's own menu needs a chat Telegram knows: "chat not found" otherwise (e.g. a user
        // who never opened a chat with the bot).
        const scope = (typeof p.scope === 'string' ? JSON.parse(p.scope) : p.scope) as
          { type?: string; chat_id?: unknown } | undefined;
        if (scope?.type === 'chat') this.chatFor(scope.chat_id, false);
        return true;
      }
      default:
        throw new ApiError(404, 'Not Found');
    }
  }

  private chatFor(chatId: unknown, outgoing: boolean): FakeChat {
    const chat = this.chats.get(String(chatId));
    if (!chat) throw new ApiError(400, 'Bad Request: chat not found');
    if (outgoing && this.blocked.has(String(chat.id))) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
    return chat;
  }

  private chatMessages(chatId: number | string): Map<number, StoredMessage> {
    let m = this.messages.get(String(chatId));
    if (!m) {
      m = new Map();
      this.messages.set(String(chatId), m);
    }
    return m;
  }

  private allocMessageId(chatId: number | string): number {
    const next = (this.nextMessageId.get(String(chatId)) ?? 0) + 1;
    this.nextMessageId.set(String(chatId), next);
    return next;
  }

  private replyTarget(chat: FakeChat, p: Json): number | undefined {
    const rp = p.reply_parameters as { message_id?: unknown; allow_sending_without_reply?: unknown } | undefined;
    const id = rp?.message_id ?? p.reply_to_message_id;
    if (id === undefined) return undefined;
    const target = this.chatMessages(chat.id).get(Number(id));
    if (!target) {
      if (truthy(rp?.allow_sending_without_reply ?? p.allow_sending_without_reply)) return undefined;
      throw new ApiError(400, 'Bad Request: message to be replied not found');
    }
    return target.message_id;
  }

  private storeBotMessage(chat: FakeChat, p: Json, fields: Partial<StoredMessage>): StoredMessage {
    const replyTo = this.replyTarget(chat, p);
    const m: StoredMessage = {
      message_id: this.allocMessageId(chat.id),
      chat,
      from: { id: this.botInfo.id, is_bot: true, first_name: this.botInfo.first_name, username: this.botInfo.username },
      date: Math.floor(Date.now() / 1000),
      byBot: true,
      history: [],
      ...(replyTo !== undefined ? { replyTo } : {}),
      ...(p.message_thread_id !== undefined ? { threadId: Number(p.message_thread_id) } : {}),
      ...(p.reply_markup !== undefined ? { reply_markup: p.reply_markup } : {}),
      ...fields,
    };
    if (m.text !== undefined) m.history.push({ text: m.text, at: Date.now() });
    this.chatMessages(chat.id).set(m.message_id, m);
    return m;
  }

  private sendMessage(p: Json): Json {
    const chat = this.chatFor(p.chat_id, true);
    const text = typeof p.text === 'string' ? p.text : '';
    if (text.trim() === '') throw new ApiError(400, 'Bad Request: message text is empty');
    if (text.length > 4096) throw new ApiError(400, 'Bad Request: message is too long');
    return this.toApiMessage(this.storeBotMessage(chat, p, { text }));
  }

  private editMessageText(p: Json): Json {
    if (p.inline_message_id !== undefined) throw new ApiError(400, 'Bad Request: inline messages are not supported by this fake');
    const chat = this.chatFor(p.chat_id, true);
    const m = this.chatMessages(chat.id).get(Number(p.message_id));
    if (!m) throw new ApiError(400, 'Bad Request: message to edit not found');
    if (!m.byBot) throw new ApiError(400, "Bad Request: message can't be edited");
    const text = typeof p.text === 'string' ? p.text : '';
    if (text.trim() === '') throw new ApiError(400, 'Bad Request: message text is empty');
    const markup = p.reply_markup;
    if (text === m.text && JSON.stringify(markup ?? null) === JSON.stringify(m.reply_markup ?? null)) {
      throw new ApiError(
        400,
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    m.text = text;
    if (markup !== undefined) m.reply_markup = markup;
    else delete m.reply_markup;
    m.history.push({ text, at: Date.now() });
    return { ...this.toApiMessage(m), edit_date: Math.floor(Date.now() / 1000) };
  }

  private sendVideo(p: Json, files: Record<string, UploadedFile>): Json {
    const chat = this.chatFor(p.chat_id, true);
    const ref = p.video;
    let upload: UploadedFile | undefined;
    if (typeof ref === 'string' && ref.startsWith('attach://')) {
      upload = files[ref.slice('attach://'.length)];
      if (!upload) throw new ApiError(400, 'Bad Request: wrong HTTP URL specified');
    } else if (files.video) {
      upload = files.video;
    } else if (typeof ref !== 'string' || ref === '') {
      throw new ApiError(400, 'Bad Request: there is no video in the request');
    }
    if (upload && upload.bytes.length > UPLOAD_LIMIT) throw new ApiError(413, 'Request Entity Too Large');
    const caption = typeof p.caption === 'string' ? p.caption : undefined;
    if (caption && caption.length > 1024) throw new ApiError(400, 'Bad Request: message caption is too long');
    const n = ++this.fileCounter;
    const video: Json = {
      file_id: `BAACAgIAAxkBAAI${n}${randomBytes(8).toString('base64url')}`,
      file_unique_id: `AgAD${n}`,
      duration: Number(p.duration ?? 0),
      width: Number(p.width ?? 854),
      height: Number(p.height ?? 480),
      mime_type: 'video/mp4',
      ...(upload ? { file_size: upload.bytes.length, file_name: upload.filename } : {}),
    };
    const m = this.storeBotMessage(chat, p, {
      video,
      ...(caption !== undefined ? { caption } : {}),
      ...(upload ? { videoBytes: upload.bytes } : {}),
      ...(upload?.filename ? { videoFileName: upload.filename } : {}),
    });
    return this.toApiMessage(m);
  }

  private async getFile(p: Json): Promise<Json> {
    const file = this.files.get(String(p.file_id));
    if (!file) throw new ApiError(400, 'Bad Request: invalid file_id');
    if (!this.localDir && file.size > DOWNLOAD_LIMIT) throw new ApiError(400, 'Bad Request: file is too big');
    let filePath = file.path;
    if (this.localDir) {
      filePath = path.join(this.localDir, file.path);
      await mkdir(path.dirname(filePath), { recursive: true });
      await writeFile(filePath, file.bytes);
    }
    return { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.size, file_path: filePath };
  }

  private setWebhook(p: Json): boolean {
    const url = typeof p.url === 'string' ? p.url : '';
    if (url === '') {
      this.webhook = undefined;
      return true;
    }
    if (!/^https?:\/\//.test(url)) throw new ApiError(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
    const secret = p.secret_token === undefined ? undefined : String(p.secret_token);
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
      throw new ApiError(400, 'Bad Request: secret token contains unallowed characters');
    }
    const allowed = Array.isArray(p.allowed_updates) ? (p.allowed_updates as string[]) : undefined;
    this.webhook = { url, ...(secret ? { secret } : {}), ...(allowed ? { allowedUpdates: allowed } : {}) };
    if (truthy(p.drop_pending_updates)) this.pendingUpdates.length = 0;
    return true;
  }

  private getUpdates(p: Json, req: IncomingMessage, res: ServerResponse): unknown {
    if (this.webhook) {
      throw new ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const offset = Number(p.offset ?? 0);
    const limit = Math.max(1, Math.min(100, Number(p.limit ?? 100)));
    const timeout = Math.max(0, Number(p.timeout ?? 0));
    const allowed =
      Array.isArray(p.allowed_updates) && p.allowed_updates.length > 0 ? (p.allowed_updates as string[]) : undefined;
    // Updates below the offset are confirmed: Telegram forgets them.
    if (offset > 0) {
      while (this.pendingUpdates.length && Number(this.pendingUpdates[0]!.update_id) < offset) this.pendingUpdates.shift();
    }
    const take = () =>
      this.pendingUpdates
        .filter((u) => !allowed || Object.keys(u).some((k) => k !== 'update_id' && allowed.includes(k)))
        .slice(0, limit);
    const call = (status: number, description?: string): ApiCall => ({
      method: 'getUpdates',
      params: p,
      files: {},
      contentType: String(req.headers['content-type'] ?? ''),
      at: Date.now(),
      status,
      ...(description ? { description } : {}),
    });

    // A newer getUpdates terminates the one still waiting, as Telegram does.
    this.pollWaiter?.terminate();
    const ready = take();
    if (ready.length > 0 || timeout === 0) return ready;

    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (this.pollWaiter === waiter) this.pollWaiter = undefined;
      fn();
    };
    const waiter = {
      wake: () =>
        finish(() => {
          this.record(call(200));
          this.answerOk(res, take());
        }),
      terminate: () =>
        finish(() => {
          const d = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
          this.record(call(409, d));
          this.answer(res, new ApiError(409, d));
        }),
    };
    const timer = setTimeout(() => waiter.wake(), timeout * 1000);
    req.socket.once('close', () => finish(() => {}));
    res.once('close', () => finish(() => {}));
    this.pollWaiter = waiter;
    return NO_ANSWER;
  }

  private toApiMessage(m: StoredMessage): Json {
    const out: Json = {
      message_id: m.message_id,
      from: m.from,
      chat: { ...m.chat },
      date: m.date,
    };
    if (m.threadId !== undefined) {
      out.message_thread_id = m.threadId;
      out.is_topic_message = true;
    }
    if (m.text !== undefined) {
      out.text = m.text;
      const entities = entitiesOf(m.text);
      if (entities.length) out.entities = entities;
    }
    if (m.caption !== undefined) {
      out.caption = m.caption;
      const entities = entitiesOf(m.caption);
      if (entities.length) out.caption_entities = entities;
    }
    if (m.document) out.document = m.document;
    if (m.video) out.video = m.video;
    if (m.reply_markup !== undefined) out.reply_markup = m.reply_markup;
    if (m.replyTo !== undefined) {
      const target = this.chatMessages(m.chat.id).get(m.replyTo);
      // Telegram includes the replied-to message, without its own reply_to_message.
      if (target) {
        const inner = this.toApiMessage({ ...target, replyTo: undefined } as StoredMessage);
        delete inner.reply_to_message;
        out.reply_to_message = inner;
      }
    }
    return out;
  }
}

const NO_ANSWER = Symbol('no answer');

function truthy(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 1;
}

/** bot_command and mention entities, as Telegram's parser marks them (UTF-16 offsets). */
export function entitiesOf(text: string): Json[] {
  const out: Json[] = [];
  const re = /(^|[\s(])(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?|@[A-Za-z0-9_]{5,32})/g;
  for (const m of text.matchAll(re)) {
    const token = m[2]!;
    const offset = m.index + m[1]!.length;
    out.push({ type: token.startsWith('/') ? 'bot_command' : 'mention', offset, length: token.length });
  }
  return out;
}

// ------------------------------------------------------------------ request bodies

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Telegram takes JSON-serialised objects (reply_markup, reply_parameters) in form fields. */
function fieldValue(v: string): unknown {
  const t = v.trim();
  if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
    try {
      return JSON.parse(t);
    } catch {
      return v;
    }
  }
  return v;
}

async function parseBody(req: IncomingMessage, url: URL): Promise<{ params: Json; files: Record<string, UploadedFile> }> {
  const params: Json = {};
  for (const [k, v] of url.searchParams) params[k] = fieldValue(v);
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const body = await readAll(req);
  if (body.length === 0) return { params, files: {} };
  if (type.startsWith('application/json')) {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('JSON object expected');
    return { params: { ...params, ...(parsed as Json) }, files: {} };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = fieldValue(v);
    return { params, files: {} };
  }
  if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(String(req.headers['content-type']));
    if (!boundary) throw new Error('multipart body without a boundary');
    const { fields, files } = parseMultipart(body, boundary[1] ?? boundary[2]!);
    for (const [k, v] of Object.entries(fields)) params[k] = fieldValue(v);
    return { params, files };
  }
  throw new Error(`unsupported content type ${type || '(none)'}`);
}

/**
 * multipart/form-data per RFC 7578. Written here rather than taken from undici's FormData
 * parser because that one rejects what grammY sends and Telegram accepts: lowercase headers
 * without a space after the colon and an unquoted `filename=` parameter that may hold spaces
 * and non-ASCII letters (the video's title).
 */
export function parseMultipart(
  body: Buffer,
  boundary: string,
): { fields: Record<string, string>; files: Record<string, UploadedFile> } {
  const fields: Record<string, string> = {};
  const files: Record<string, UploadedFile> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('multipart boundary not found');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break; // closing delimiter
    if (body.subarray(pos, pos + 2).toString() !== '\r\n') throw new Error('malformed multipart delimiter');
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw new Error('multipart part without headers');
    const headers: Record<string, string> = {};
    for (const line of body.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error('multipart part without a closing delimiter');
    const content = body.subarray(headerEnd + 4, next);
    pos = next + 2;

    const disposition = headers['content-disposition'] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? /\bname=([^;]*)/i.exec(disposition)?.[1]?.trim();
    if (!name) throw new Error('multipart part without a name');
    const star = /\bfilename\*=(?:UTF-8|utf-8)''([^;]*)/.exec(disposition)?.[1];
    const filename = star
      ? decodeURIComponent(star)
      : (/\bfilename="([^"]*)"/i.exec(disposition)?.[1] ?? /\bfilename=(.*)$/i.exec(disposition)?.[1]?.trim());
    if (filename !== undefined) {
      files[name] = { field: name, filename, contentType: headers['content-type'], bytes: Buffer.from(content) };
    } else {
      fields[name] = content.toString('utf8');
    }
  }
  return { fields, files };
}
