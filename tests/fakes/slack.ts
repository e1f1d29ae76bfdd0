// A local Slack for tests, faithful to ../shared/reference/slack.md: the Web API methods the app
// calls (HTTP 200 with {ok:false, error} for most errors, 429 + Retry-After for rate limits), the
// private file host that wants the bot token (and redirects to the login page without it), the
// three-step upload, response_url, and the Slack side of the conversation: requests into the app
// (slash commands, events, view submissions) signed with the signing secret the way Slack does.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';
import { request } from 'undici';

export interface FakeSlackOptions {
  botToken: string;
  signingSecret: string;
  teamId?: string;
}

export interface FakeChannel {
  id: string;
  name: string;
  type: 'im' | 'channel' | 'group';
  /** For a DM: the user on the other side (the app is the other member). */
  user?: string;
  archived: boolean;
  botMember: boolean;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  user: string;
  bot: boolean;
  /** Every text the message had, first to last (chat.update appends). */
  history: string[];
  files?: string[];
}

export interface FakeFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  user: string;
  bytes: Buffer;
  url_private: string;
  url_private_download: string;
}

export interface FakeUpload {
  file_id: string;
  filename: string;
  length: number;
  upload_url: string;
  /** Bytes POSTed to upload_url (raw or multipart), once step 2 happened. */
  bytes?: Buffer;
  completed: boolean;
  channel_id?: string;
  thread_ts?: string;
  initial_comment?: string;
  title?: string;
}

export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  /** The Authorization header as received. */
  authorization: string | undefined;
  /** What the fake answered. */
  status: number;
  error?: string;
}

export type Failure = { status: 429; retryAfter: number } | { error: string } | { status: 500 };

export interface SignedRequestOptions {
  /** Seconds since the epoch put in X-Slack-Request-Timestamp (default: now). */
  timestamp?: number;
  /** Replace the signature (e.g. a wrong one). */
  signature?: string;
  /** Sign with another secret. */
  secret?: string;
  /** X-Slack-Retry-Num (and X-Slack-Retry-Reason http_timeout). */
  retryNum?: number;
}

export interface AppResponse {
  status: number;
  text: string;
  json(): unknown;
}

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export class FakeSlack {
  readonly teamId: string;
  readonly botUserId = 'U0BOT00001';
  readonly botId = 'B0BOT00001';
  readonly appId = 'A0APP00001';
  base = '';
  calls: ApiCall[] = [];
  messages: FakeMessage[] = [];
  ephemerals: Array<{ channel: string; user: string; text: string; thread_ts?: string }> = [];
  views: Array<{ id: string; trigger_id: string; view: Record<string, unknown> }> = [];
  uploads: FakeUpload[] = [];
  downloads: Array<{ path: string; authorization: string | undefined; status: number }> = [];
  responses: Array<{ id: string; body: Record<string, unknown> }> = [];
  readonly channels = new Map<string, FakeChannel>();
  readonly files = new Map<string, FakeFile>();
  readonly users = new Map<string, { id: string; locale?: string }>();

  private server: Server | undefined;
  private seq = 0;
  private readonly triggers = new Map<string, { issuedAt: number; used: boolean }>();
  private readonly responseUrls = new Map<string, number>();
  private readonly failures = new Map<string, Failure[]>();

  constructor(private readonly opts: FakeSlackOptions) {
    this.teamId = opts.teamId ?? 'T0TEAM0001';
  }

  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => {
      this.server!.close(() => resolve());
      this.server!.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------- workspace set-up

  private id(prefix: string): string {
    return `${prefix}${String(++this.seq).padStart(9, '0')}`.toUpperCase();
  }

  private nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, '0')}`;
  }

  addUser(id: string, locale?: string): string {
    this.users.set(id, { id, ...(locale ? { locale } : {}) });
    return id;
  }

  /** The DM channel between the app and a user (created on first use, as Slack does). */
  im(userId: string): string {
    for (const c of this.channels.values()) if (c.type === 'im' && c.user === userId) return c.id;
    const id = this.id('D');
    this.channels.set(id, { id, name: userId, type: 'im', user: userId, archived: false, botMember: true });
    return id;
  }

  addChannel(name: string, opts: { botMember?: boolean; type?: 'channel' | 'group' } = {}): string {
    const id = this.id(opts.type === 'group' ? 'G' : 'C');
    this.channels.set(id, { id, name, type: opts.type ?? 'channel', archived: false, botMember: opts.botMember ?? true });
    return id;
  }

  archive(channelId: string): void {
    this.channels.get(channelId)!.archived = true;
  }

  addFile(f: { name: string; bytes: Buffer; user: string; mimetype?: string; filetype?: string; title?: string; size?: number }): FakeFile {
    const id = this.id('F');
    const pdf = /\.pdf$/i.test(f.name);
    const file: FakeFile = {
      id,
      name: f.name,
      title: f.title ?? f.name,
      mimetype: f.mimetype ?? (pdf ? 'application/pdf' : 'application/octet-stream'),
      filetype: f.filetype ?? (pdf ? 'pdf' : (f.name.split('.').pop() ?? 'binary')),
      size: f.size ?? f.bytes.length,
      user: f.user,
      bytes: f.bytes,
      url_private: `${this.base}/files-pri/${this.teamId}-${id}/${encodeURIComponent(f.name)}`,
      url_private_download: `${this.base}/files-pri/${this.teamId}-${id}/download/${encodeURIComponent(f.name)}`,
    };
    this.files.set(id, file);
    return file;
  }

  /** A file object as Slack puts it in events, files.info and file_input submissions. */
  fileObject(f: FakeFile, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      id: f.id,
      created: Math.floor(Date.now() / 1000),
      timestamp: Math.floor(Date.now() / 1000),
      name: f.name,
      title: f.title,
      mimetype: f.mimetype,
      filetype: f.filetype,
      pretty_type: f.filetype.toUpperCase(),
      user: f.user,
      user_team: this.teamId,
      editable: false,
      size: f.size,
      mode: 'hosted',
      is_external: false,
      external_type: '',
      is_public: false,
      public_url_shared: false,
      display_as_bot: false,
      username: '',
      url_private: f.url_private,
      url_private_download: f.url_private_download,
      permalink: `${this.base}/files/${f.user}/${f.id}/${encodeURIComponent(f.name)}`,
      ...overrides,
    };
  }

  /** A message a user posts (the one an event then reports). */
  userMessage(channel: string, user: string, text: string, opts: { thread_ts?: string; files?: string[] } = {}): FakeMessage {
    const m: FakeMessage = {
      channel,
      ts: this.nextTs(),
      text,
      user,
      bot: false,
      history: [text],
      ...(opts.thread_ts ? { thread_ts: opts.thread_ts } : {}),
      ...(opts.files ? { files: opts.files } : {}),
    };
    this.messages.push(m);
    return m;
  }

  issueTrigger(): string {
    const id = `${this.seq++}.${Date.now()}.${randomBytes(8).toString('hex')}`;
    this.triggers.set(id, { issuedAt: Date.now(), used: false });
    return id;
  }

  responseUrl(): string {
    const id = randomBytes(8).toString('hex');
    this.responseUrls.set(id, 0);
    return `${this.base}/commands/${this.teamId}/${id}`;
  }

  /** The next `times` calls of `method` fail this way (method "upload" = POST to upload_url). */
  failNext(method: string, failure: Failure, times = 1): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.failures.set(method, list);
  }

  /** Forget failures programmed with failNext that have not happened yet. */
  clearFailures(): void {
    this.failures.clear();
  }

  // ---------------------------------------------------------------- what tests look at

  botMessages(channel?: string): FakeMessage[] {
    return this.messages.filter((m) => m.bot && (channel === undefined || m.channel === channel));
  }

  thread(channel: string, ts: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === ts);
  }

  completedUploads(): FakeUpload[] {
    return this.uploads.filter((u) => u.completed);
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  // ---------------------------------------------------------------- requests into the app

  signedHeaders(body: string, contentType: string, o: SignedRequestOptions = {}): Record<string, string> {
    const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
    return {
      'content-type': contentType,
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': o.signature ?? slackSignature(o.secret ?? this.opts.signingSecret, ts, body),
      ...(o.retryNum !== undefined ? { 'x-slack-retry-num': String(o.retryNum), 'x-slack-retry-reason': 'http_timeout' } : {}),
    };
  }

  async post(url: string, body: string, contentType: string, o: SignedRequestOptions = {}): Promise<AppResponse> {
    const res = await request(url, { method: 'POST', body, headers: this.signedHeaders(body, contentType, o) });
    const text = await res.body.text();
    return { status: res.statusCode, text, json: () => JSON.parse(text) as unknown };
  }

  eventBody(event: Record<string, unknown>, eventId = `Ev${randomBytes(5).toString('hex').toUpperCase()}`): string {
    return JSON.stringify({
      token: 'legacy-verification-token',
      team_id: this.teamId,
      api_app_id: this.appId,
      event: { event_ts: event.ts, ...event },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: this.teamId, user_id: this.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    });
  }

  /** The `message` / `file_share` event Slack sends for a user's message with files. */
  fileShareEvent(m: FakeMessage, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const ch = this.channels.get(m.channel)!;
    return {
      type: 'message',
      subtype: 'file_share',
      text: m.text,
      files: (m.files ?? []).map((id) => this.fileObject(this.files.get(id)!)),
      upload: true,
      user: m.user,
      display_as_bot: false,
      ts: m.ts,
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
      channel: m.channel,
      channel_type: ch.type === 'group' ? 'group' : ch.type,
      ...extra,
    };
  }

  sendEvent(appUrl: string, event: Record<string, unknown>, o: SignedRequestOptions & { eventId?: string } = {}): Promise<AppResponse> {
    return this.post(appUrl, this.eventBody(event, o.eventId), 'application/json', o);
  }

  commandBody(c: { user: string; channel: string; text?: string; command?: string }): {
    body: string;
    trigger_id: string;
    response_url: string;
  } {
    const trigger_id = this.issueTrigger();
    const response_url = this.responseUrl();
    const ch = this.channels.get(c.channel);
    const body = stringifyQuery({
      token: 'legacy-verification-token',
      team_id: this.teamId,
      team_domain: 'fake',
      channel_id: c.channel,
      channel_name: ch?.type === 'im' ? 'directmessage' : (ch?.name ?? 'unknown'),
      user_id: c.user,
      user_name: c.user.toLowerCase(),
      command: c.command ?? '/doc2video',
      text: c.text ?? '',
      api_app_id: this.appId,
      is_enterprise_install: 'false',
      response_url,
      trigger_id,
    });
    return { body, trigger_id, response_url };
  }

  async sendCommand(
    appUrl: string,
    c: { user: string; channel: string; text?: string; command?: string },
    o: SignedRequestOptions = {},
  ): Promise<AppResponse & { trigger_id: string; response_url: string }> {
    const { body, trigger_id, response_url } = this.commandBody(c);
    const res = await this.post(appUrl, body, 'application/x-www-form-urlencoded', o);
    return { ...res, trigger_id, response_url };
  }

  /** Submit a view opened by views.open, with `values` as view.state.values. */
  async submitView(
    appUrl: string,
    user: string,
    opened: { id: string; view: Record<string, unknown> },
    values: Record<string, Record<string, unknown>>,
    o: SignedRequestOptions = {},
  ): Promise<AppResponse> {
    const payload = {
      type: 'view_submission',
      team: { id: this.teamId, domain: 'fake' },
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.teamId },
      api_app_id: this.appId,
      token: 'legacy-verification-token',
      trigger_id: this.issueTrigger(),
      view: {
        id: opened.id,
        team_id: this.teamId,
        type: 'modal',
        blocks: opened.view.blocks,
        private_metadata: opened.view.private_metadata ?? '',
        callback_id: opened.view.callback_id ?? '',
        state: { values },
        hash: randomBytes(6).toString('hex'),
        title: opened.view.title,
        clear_on_close: false,
        notify_on_close: false,
        close: opened.view.close ?? null,
        submit: opened.view.submit ?? null,
        previous_view_id: null,
        root_view_id: opened.id,
        app_id: this.appId,
        external_id: '',
        app_installed_team_id: this.teamId,
        bot_id: this.botId,
      },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    const body = stringifyQuery({ payload: JSON.stringify(payload) });
    return this.post(appUrl, body, 'application/x-www-form-urlencoded', o);
  }

  // ---------------------------------------------------------------- the fake's HTTP side

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const path = url.pathname;
    if (req.method === 'POST' && path.startsWith('/api/')) return this.api(path.slice(5), req, res);
    if (req.method === 'POST' && path.startsWith('/upload/v1/')) return this.receiveUpload(path.slice(11), req, res);
    if (req.method === 'POST' && path.startsWith('/commands/')) return this.receiveResponse(path, req, res);
    if (req.method === 'GET' && path.startsWith('/files-pri/')) return this.download(path, req, res);
    if (req.method === 'GET' && path === '/') {
      // Where an unauthenticated file download ends up: the sign-in page.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><body>Sign in to Slack</body></html>');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  private async api(method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readAll(req);
    const type = String(req.headers['content-type'] ?? '');
    let params: Record<string, unknown> = {};
    if (type.startsWith('application/json')) params = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    else if (type.startsWith('multipart/form-data')) params = Object.fromEntries(await formFields(raw, type));
    else params = parseQuery(raw.toString('utf8')) as Record<string, unknown>;
    const authorization = req.headers.authorization;
    const call: ApiCall = { method, params, authorization, status: 200 };
    this.calls.push(call);

    const send = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      call.status = status;
      if (body.ok === false) call.error = String(body.error);
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(text);
    };

    const failure = this.failures.get(method)?.shift();
    if (failure) {
      if ('retryAfter' in failure) return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) });
      if ('error' in failure) return send(200, { ok: false, error: failure.error });
      return send(500, { ok: false, error: 'internal_error' });
    }

    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : (params.token as string | undefined);
    if (!token) return send(200, { ok: false, error: 'not_authed' });
    if (token !== this.opts.botToken) return send(200, { ok: false, error: 'invalid_auth' });

    const result = this.method(method, params);
    send(200, result);
  }

  private channelFor(id: unknown): FakeChannel | { error: string } {
    if (typeof id !== 'string' || id === '') return { error: 'channel_not_found' };
    // A user id as channel: the app's DM with that user (Slack opens it).
    const cid = /^[UW]/.test(id) && this.users.has(id) ? this.im(id) : id;
    const ch = this.channels.get(cid);
    if (!ch) return { error: 'channel_not_found' };
    if (ch.archived) return { error: 'is_archived' };
    if (!ch.botMember) return { error: 'not_in_channel' };
    return ch;
  }

  private method(method: string, p: Record<string, unknown>): Record<string, unknown> {
    const str = (k: string) => (typeof p[k] === 'string' && p[k] !== '' ? (p[k] as string) : undefined);
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: 'doc2video',
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
          is_enterprise_install: false,
        };

      case 'chat.postMessage': {
        const ch = this.channelFor(p.channel);
        if ('error' in ch) return { ok: false, error: ch.error };
        const text = str('text');
        if (!text && !str('blocks') && !str('attachments')) return { ok: false, error: 'no_text' };
        const m: FakeMessage = {
          channel: ch.id,
          ts: this.nextTs(),
          text: text ?? '',
          user: this.botUserId,
          bot: true,
          history: [text ?? ''],
          ...(str('thread_ts') ? { thread_ts: str('thread_ts')! } : {}),
        };
        this.messages.push(m);
        return {
          ok: true,
          channel: ch.id,
          ts: m.ts,
          message: { type: 'message', text: m.text, user: this.botUserId, bot_id: this.botId, ts: m.ts, thread_ts: m.thread_ts },
        };
      }

      case 'chat.update': {
        const ch = this.channelFor(p.channel);
        if ('error' in ch) return { ok: false, error: ch.error };
        const m = this.messages.find((x) => x.channel === ch.id && x.ts === str('ts'));
        if (!m) return { ok: false, error: 'message_not_found' };
        if (!m.bot) return { ok: false, error: 'cant_update_message' };
        const text = str('text');
        if (!text && !str('blocks')) return { ok: false, error: 'no_text' };
        m.text = text ?? '';
        m.history.push(m.text);
        return { ok: true, channel: ch.id, ts: m.ts, text: m.text };
      }

      case 'chat.postEphemeral': {
        const ch = this.channelFor(p.channel);
        if ('error' in ch) return { ok: false, error: ch.error };
        const user = str('user');
        if (!user) return { ok: false, error: 'user_not_found' };
        const text = str('text');
        if (!text) return { ok: false, error: 'no_text' };
        this.ephemerals.push({ channel: ch.id, user, text, ...(str('thread_ts') ? { thread_ts: str('thread_ts')! } : {}) });
        return { ok: true, message_ts: this.nextTs() };
      }

      case 'views.open': {
        const trigger = str('trigger_id');
        if (!trigger) return { ok: false, error: 'invalid_arguments' };
        const t = this.triggers.get(trigger);
        if (!t) return { ok: false, error: 'invalid_trigger_id' };
        if (t.used) return { ok: false, error: 'exchanged_trigger_id' };
        if (Date.now() - t.issuedAt > 3_000) return { ok: false, error: 'expired_trigger_id' };
        let view: Record<string, unknown>;
        try {
          view = (typeof p.view === 'string' ? JSON.parse(p.view) : p.view) as Record<string, unknown>;
        } catch {
          return { ok: false, error: 'invalid_arguments' };
        }
        if (!view || view.type !== 'modal' || !Array.isArray(view.blocks)) return { ok: false, error: 'invalid_arguments' };
        t.used = true;
        const id = this.id('V');
        this.views.push({ id, trigger_id: trigger, view });
        return { ok: true, view: { id, team_id: this.teamId, ...view, state: { values: {} }, hash: randomBytes(6).toString('hex') } };
      }

      case 'files.info': {
        const f = this.files.get(str('file') ?? '');
        if (!f) return { ok: false, error: 'file_not_found' };
        return { ok: true, file: this.fileObject(f) };
      }

      case 'files.getUploadURLExternal': {
        const filename = str('filename');
        const length = Number(p.length);
        if (!filename || !Number.isInteger(length) || length <= 0) return { ok: false, error: 'invalid_arguments' };
        const file_id = this.id('F');
        const key = randomBytes(10).toString('hex');
        const upload_url = `${this.base}/upload/v1/${key}`;
        this.uploads.push({ file_id, filename, length, upload_url, completed: false });
        return { ok: true, upload_url, file_id };
      }

      case 'files.completeUploadExternal': {
        let list: Array<{ id: string; title?: string }>;
        try {
          list = (typeof p.files === 'string' ? JSON.parse(p.files) : p.files) as Array<{ id: string; title?: string }>;
        } catch {
          return { ok: false, error: 'invalid_arguments' };
        }
        if (!Array.isArray(list) || list.length === 0) return { ok: false, error: 'invalid_arguments' };
        const uploads = list.map((f) => this.uploads.find((u) => u.file_id === f.id));
        if (uploads.some((u) => !u || !u.bytes)) return { ok: false, error: 'file_not_found' };
        const channelId = str('channel_id');
        let ch: FakeChannel | undefined;
        if (channelId) {
          const c = this.channelFor(channelId);
          if ('error' in c) return { ok: false, error: c.error };
          ch = c;
        }
        const thread = str('thread_ts');
        list.forEach((f, i) => {
          const u = uploads[i]!;
          Object.assign(u, {
            completed: true,
            ...(ch ? { channel_id: ch.id } : {}),
            ...(thread ? { thread_ts: thread } : {}),
            ...(str('initial_comment') ? { initial_comment: str('initial_comment') } : {}),
            ...(f.title ? { title: f.title } : {}),
          });
        });
        if (ch) {
          const text = str('initial_comment') ?? '';
          this.messages.push({
            channel: ch.id,
            ts: this.nextTs(),
            text,
            user: this.botUserId,
            bot: true,
            history: [text],
            files: list.map((f) => f.id),
            ...(thread ? { thread_ts: thread } : {}),
          });
        }
        return { ok: true, files: list.map((f, i) => ({ id: f.id, title: f.title ?? uploads[i]!.filename, name: uploads[i]!.filename })) };
      }

      case 'users.info': {
        const u = this.users.get(str('user') ?? '');
        if (!u) return { ok: false, error: 'user_not_found' };
        const withLocale = p.include_locale === 'true' || p.include_locale === true;
        return { ok: true, user: { id: u.id, team_id: this.teamId, name: u.id.toLowerCase(), ...(withLocale && u.locale ? { locale: u.locale } : {}) } };
      }

      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private async receiveUpload(key: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readAll(req);
    const failure = this.failures.get('upload')?.shift();
    if (failure) {
      res.writeHead('status' in failure ? failure.status : 500).end('error');
      return;
    }
    const u = this.uploads.find((x) => x.upload_url.endsWith(`/upload/v1/${key}`));
    if (!u) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const type = String(req.headers['content-type'] ?? '');
    if (type.startsWith('multipart/form-data')) {
      // The WebClient posts the bytes as a multipart field; take the first file part.
      const form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData();
      const part = [...form.values()].find((v): v is File => typeof v !== 'string');
      u.bytes = part ? Buffer.from(await part.arrayBuffer()) : Buffer.alloc(0);
    } else {
      u.bytes = raw;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${u.bytes.length}`);
  }

  private async receiveResponse(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readAll(req);
    const id = path.split('/').pop() ?? '';
    const used = this.responseUrls.get(id);
    if (used === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('expired_url');
      return;
    }
    if (used >= 5) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('used_url');
      return;
    }
    this.responseUrls.set(id, used + 1);
    this.responses.push({ id, body: JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown> });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  }

  private download(path: string, req: IncomingMessage, res: ServerResponse): void {
    const authorization = req.headers.authorization;
    const entry = { path, authorization, status: 0 };
    this.downloads.push(entry);
    const failure = this.failures.get('download')?.shift();
    if (failure) {
      entry.status = 'status' in failure ? failure.status : 500;
      if ('retryAfter' in failure) res.setHeader('retry-after', String(failure.retryAfter));
      res.writeHead(entry.status).end();
      return;
    }
    if (authorization !== `Bearer ${this.opts.botToken}`) {
      // What files.slack.com does without a valid token: off to the sign-in page.
      entry.status = 302;
      res.writeHead(302, { location: `${this.base}/?redir=${encodeURIComponent(path)}`, 'content-type': 'text/html' });
      res.end('<html><body>Redirecting to sign in</body></html>');
      return;
    }
    const m = /^\/files-pri\/[^/]+-([A-Z0-9]+)\//.exec(path);
    const f = m ? this.files.get(m[1]!) : undefined;
    if (!f) {
      entry.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('file not found');
      return;
    }
    entry.status = 200;
    res.writeHead(200, { 'content-type': f.mimetype, 'content-length': f.bytes.length });
    res.end(f.bytes);
  }
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function formFields(raw: Buffer, type: string): Promise<Array<[string, unknown]>> {
  const form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData();
  return [...form.entries()].map(([k, v]) => [k, typeof v === 'string' ? v : '[file]']);
}
