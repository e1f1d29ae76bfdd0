// A local Slack for tests, faithful to ../shared/reference/slack.md: the Web API methods the app
// calls (HTTP 200 with {ok:false, error} for most errors, 429 + Retry-After for rate limits), the
// private file host that wants the bot token (and redirects to the login page without it), the
// three-step upload, response_url, and the Slack side of the conversation: requests into the app
// (slash commands, events, view submissions) signed with the signing secret the way Slack does.
// Socket Mode too: apps.connections.open (app-level token) hands out a WebSocket URL on this
// server; on connect the app gets `hello`, then envelopes (events_api, slash_commands,
// interactive) it acknowledges with `{"envelope_id", "payload"?}`. An events_api envelope not
// acknowledged in time is sent again with retry_attempt + 1 (retry_reason "timeout"), up to 3
// retries, as Slack does.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';
import { request } from 'undici';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeSlackOptions {
  botToken: string;
  signingSecret: string;
  teamId?: string;
  /** The app-level token (xapp-...) apps.connections.open accepts; without it, it accepts none. */
  appToken?: string;
  /** How long an events_api envelope may go unacknowledged before it is sent again (default 3000 ms). */
  ackTimeoutMs?: number;
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

/** A Socket Mode envelope the fake sent to the app (the hello message is not recorded). */
export interface SocketEnvelope {
  envelope_id: string;
  type: 'events_api' | 'slash_commands' | 'interactive';
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
  /** The connection it went out on (index into socketConnections). */
  connection: number;
  /** Set when the app acknowledged it. */
  ack?: SocketAck;
}

/** What the app sent back for an envelope: `{"envelope_id", "payload"?}`. */
export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface SocketConnection {
  ticket: string;
  open: boolean;
  /** The close code once closed (1000: the app closed it normally). */
  closeCode?: number;
  /** Who closed it: the app (close frame) or the fake (close() cuts it off). */
  closedBy?: 'app' | 'fake';
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
  /** Socket Mode: every WebSocket the app opened, and every envelope sent on them. */
  socketConnections: SocketConnection[] = [];
  envelopes: SocketEnvelope[] = [];
  /** Acknowledgements as received, including ones for unknown envelopes. */
  acks: SocketAck[] = [];

  private server: Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Map<WebSocket, number>();
  private readonly tickets = new Set<string>();
  private readonly redeliveries = new Set<NodeJS.Timeout>();
  private readonly ackWaiters = new Map<string, Array<(ack: SocketAck) => void>>();
  private readonly closeWaiters = new Map<number, Array<(c: SocketConnection) => void>>();
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
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    for (const t of this.redeliveries) clearTimeout(t);
    this.redeliveries.clear();
    // An app still connected is cut off (no close handshake): close() must not wait for it.
    for (const [ws, index] of this.sockets) {
      this.socketConnections[index]!.closedBy = 'fake';
      ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
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

  addFile(f: {
    name: string;
    bytes: Buffer;
    user: string;
    mimetype?: string;
    filetype?: string;
    title?: string;
    size?: number;
  }): FakeFile {
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

  eventBody(event: Record<string, unknown>, eventId?: string): string {
    return JSON.stringify(this.eventPayload(event, eventId));
  }

  /** The event_callback Slack sends (as the HTTP body, or as an events_api envelope's payload). */
  eventPayload(
    event: Record<string, unknown>,
    eventId = `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
  ): Record<string, unknown> {
    return {
      token: 'legacy-verification-token',
      team_id: this.teamId,
      api_app_id: this.appId,
      event: { event_ts: event.ts, ...event },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        { enterprise_id: null, team_id: this.teamId, user_id: this.botUserId, is_bot: true, is_enterprise_install: false },
      ],
      is_ext_shared_channel: false,
    };
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

  sendEvent(
    appUrl: string,
    event: Record<string, unknown>,
    o: SignedRequestOptions & { eventId?: string } = {},
  ): Promise<AppResponse> {
    return this.post(appUrl, this.eventBody(event, o.eventId), 'application/json', o);
  }

  commandBody(c: { user: string; channel: string; text?: string; command?: string }): {
    body: string;
    trigger_id: string;
    response_url: string;
  } {
    const { fields, trigger_id, response_url } = this.commandFields(c);
    return { body: stringifyQuery(fields), trigger_id, response_url };
  }

  /** A slash command's fields (form-encoded over HTTP, a slash_commands envelope's payload in Socket Mode). */
  commandFields(c: { user: string; channel: string; text?: string; command?: string }): {
    fields: Record<string, string>;
    trigger_id: string;
    response_url: string;
  } {
    const trigger_id = this.issueTrigger();
    const response_url = this.responseUrl();
    const ch = this.channels.get(c.channel);
    const fields = {
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
    };
    return { fields, trigger_id, response_url };
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
    const body = stringifyQuery({ payload: JSON.stringify(this.viewSubmissionPayload(user, opened, values)) });
    return this.post(appUrl, body, 'application/x-www-form-urlencoded', o);
  }

  /** A view_submission (the form field `payload` over HTTP, an interactive envelope's payload in Socket Mode). */
  viewSubmissionPayload(
    user: string,
    opened: { id: string; view: Record<string, unknown> },
    values: Record<string, Record<string, unknown>>,
  ): Record<string, unknown> {
    return {
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
  }

  // ---------------------------------------------------------------- Socket Mode: Slack's side

  /**
   * Where connection `index` stands right now: 'closing' once the app's close frame has arrived
   * (the fake answers it at once) until the TCP connection is gone.
   */
  socketState(index: number): 'open' | 'closing' | 'closed' {
    const ws = [...this.sockets].find(([, i]) => i === index)?.[0];
    if (!ws) return 'closed';
    return ws.readyState === ws.OPEN ? 'open' : ws.readyState === ws.CLOSED ? 'closed' : 'closing';
  }

  /** Resolves once Socket Mode connection `index` (into socketConnections) is closed. */
  socketClosed(index: number): Promise<SocketConnection> {
    const conn = this.socketConnections[index];
    if (!conn) return Promise.reject(new Error(`FakeSlack: no Socket Mode connection ${index}`));
    if (!conn.open) return Promise.resolve(conn);
    return new Promise((resolve) => this.closeWaiters.set(index, [...(this.closeWaiters.get(index) ?? []), resolve]));
  }

  /**
   * Send an event to the app as an events_api envelope. Not acknowledged within ackTimeoutMs, it is
   * sent again (a new envelope, the same payload and event_id) with retry_attempt + 1, up to 3
   * retries. A redelivery can also be sent by hand: the same eventId with retryAttempt >= 1.
   */
  pushEvent(
    event: Record<string, unknown>,
    o: { eventId?: string; retryAttempt?: number; retryReason?: string } = {},
  ): SocketEnvelope {
    const payload = this.eventPayload(event, o.eventId);
    return this.sendEventsApi(payload, o.retryAttempt ?? 0, o.retryReason ?? (o.retryAttempt ? 'timeout' : ''));
  }

  /** Send a slash command as a slash_commands envelope (Slack does not redeliver those). */
  pushCommand(c: {
    user: string;
    channel: string;
    text?: string;
    command?: string;
  }): SocketEnvelope & { trigger_id: string; response_url: string } {
    const { fields, trigger_id, response_url } = this.commandFields(c);
    const envelope = this.sendEnvelope({ type: 'slash_commands', payload: fields, accepts_response_payload: true });
    return Object.assign(envelope, { trigger_id, response_url });
  }

  /** Submit a view opened by views.open as an interactive envelope (the ack may carry response_action). */
  pushViewSubmission(
    user: string,
    opened: { id: string; view: Record<string, unknown> },
    values: Record<string, Record<string, unknown>>,
  ): SocketEnvelope {
    return this.sendEnvelope({
      type: 'interactive',
      payload: this.viewSubmissionPayload(user, opened, values),
      accepts_response_payload: true,
    });
  }

  /** Resolves with the app's acknowledgement of an envelope (at once if it already came). */
  acked(envelopeId: string): Promise<SocketAck> {
    const env = this.envelopes.find((e) => e.envelope_id === envelopeId);
    if (env?.ack) return Promise.resolve(env.ack);
    return new Promise((resolve) => {
      const list = this.ackWaiters.get(envelopeId) ?? [];
      list.push(resolve);
      this.ackWaiters.set(envelopeId, list);
    });
  }

  /** Every envelope that carried this event (the first delivery and its redeliveries). */
  deliveriesOf(eventId: string): SocketEnvelope[] {
    return this.envelopes.filter((e) => e.type === 'events_api' && e.payload.event_id === eventId);
  }

  private sendEventsApi(payload: Record<string, unknown>, attempt: number, reason: string): SocketEnvelope {
    const envelope = this.sendEnvelope({
      type: 'events_api',
      payload,
      accepts_response_payload: false,
      retry_attempt: attempt,
      retry_reason: reason,
    });
    if (attempt < 3) {
      const timer = setTimeout(() => {
        this.redeliveries.delete(timer);
        // Acknowledged, or the app is gone (it would get the event on its next connection: not modelled).
        if (envelope.ack || this.sockets.size === 0) return;
        this.sendEventsApi(payload, attempt + 1, 'timeout');
      }, this.opts.ackTimeoutMs ?? 3_000);
      this.redeliveries.add(timer);
    }
    return envelope;
  }

  private sendEnvelope(e: Omit<SocketEnvelope, 'envelope_id' | 'connection'>): SocketEnvelope {
    // Slack sends each envelope on one of the app's connections: the newest here.
    const open = [...this.sockets.entries()];
    const target = open[open.length - 1];
    if (!target) throw new Error('FakeSlack: no Socket Mode connection to send on');
    const [ws, connection] = target;
    const envelope: SocketEnvelope = { envelope_id: randomBytes(16).toString('hex'), ...e, connection };
    this.envelopes.push(envelope);
    // On the wire: envelope_id, payload, type, accepts_response_payload (+ retry fields for events).
    const { connection: _c, ack: _a, ...wire } = envelope;
    ws.send(JSON.stringify(wire));
    return envelope;
  }

  private receiveSocketMessage(data: string): void {
    let msg: { envelope_id?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(data) as typeof msg;
    } catch {
      return; // Slack ignores what it cannot parse
    }
    if (typeof msg.envelope_id !== 'string') return;
    const ack: SocketAck = {
      envelope_id: msg.envelope_id,
      ...(msg.payload && typeof msg.payload === 'object' ? { payload: msg.payload as Record<string, unknown> } : {}),
    };
    this.acks.push(ack);
    const env = this.envelopes.find((e) => e.envelope_id === ack.envelope_id);
    if (!env || env.ack) return;
    env.ack = ack;
    for (const resolve of this.ackWaiters.get(ack.envelope_id) ?? []) resolve(ack);
    this.ackWaiters.delete(ack.envelope_id);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.base);
    const ticket = url.searchParams.get('ticket') ?? '';
    // A ticket from apps.connections.open is good for one connection.
    if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const index = this.socketConnections.push({ ticket, open: true }) - 1;
      const conn = this.socketConnections[index]!;
      this.sockets.set(ws, index);
      ws.on('message', (data, isBinary) => {
        if (!isBinary) this.receiveSocketMessage(data.toString());
      });
      ws.on('close', (code) => {
        this.sockets.delete(ws);
        conn.open = false;
        conn.closeCode = code;
        conn.closedBy ??= 'app';
        for (const resolve of this.closeWaiters.get(index) ?? []) resolve(conn);
        this.closeWaiters.delete(index);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.sockets.size,
          debug_info: { host: 'applink-fake-0', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: this.appId },
        }),
      );
    });
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
    let params: Record<string, unknown>;
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
      if ('retryAfter' in failure)
        return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) });
      if ('error' in failure) return send(200, { ok: false, error: failure.error });
      return send(500, { ok: false, error: 'internal_error' });
    }

    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : (params.token as string | undefined);
    if (!token) return send(200, { ok: false, error: 'not_authed' });
    // apps.connections.open takes the app-level token and only it; the other methods the bot token.
    if (method === 'apps.connections.open') {
      if (token === this.opts.botToken) return send(200, { ok: false, error: 'not_allowed_token_type' });
      if (!this.opts.appToken || token !== this.opts.appToken) return send(200, { ok: false, error: 'invalid_auth' });
      const ticket = randomBytes(16).toString('hex');
      this.tickets.add(ticket);
      return send(200, { ok: true, url: `${this.base.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${this.appId}` });
    }
    if (this.opts.appToken && token === this.opts.appToken) return send(200, { ok: false, error: 'not_allowed_token_type' });
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
        return {
          ok: true,
          view: { id, team_id: this.teamId, ...view, state: { values: {} }, hash: randomBytes(6).toString('hex') },
        };
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
        return {
          ok: true,
          files: list.map((f, i) => ({ id: f.id, title: f.title ?? uploads[i]!.filename, name: uploads[i]!.filename })),
        };
      }

      case 'users.info': {
        const u = this.users.get(str('user') ?? '');
        if (!u) return { ok: false, error: 'user_not_found' };
        const withLocale = p.include_locale === 'true' || p.include_locale === true;
        return {
          ok: true,
          user: {
            id: u.id,
            team_id: this.teamId,
            name: u.id.toLowerCase(),
            ...(withLocale && u.locale ? { locale: u.locale } : {}),
          },
        };
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
