// The Slack door's entry point (composition root), mirroring bots/telegram/index.ts: the web
// process starts the front door — a Bolt App on the web process's HTTP server at POST
// /slack/events (Bolt's HTTPReceiver checks the signature and the 5-minute timestamp window and
// answers 401), or over Socket Mode when SLACK_APP_TOKEN is set — and the worker builds the chat
// adapter. Only this file knows CoreServices; the rest of bots/slack takes narrow deps.
import { App, HTTPReceiver, SocketModeReceiver, type ReceiverEvent, type SocketModeReceiverOptions } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { CoreServices } from '../../src/app/services.js';
import type { HttpServer } from '../../src/http/server.js';
import type { Logger } from '../../src/logger.js';
import type { ChatAdapter } from '../../pipeline/ports.js';
import type { FrontDoor } from '../index.js';
import { Background } from './background.js';
import { slackClientOptions, slackErrorCode, slackLogger } from './api.js';
import { registerCommands } from './commands.js';
import { registerEvents } from './events.js';
import { SLACK_EVENTS_PATH, slackEventsRoutes } from './events-route.js';
import { SlackLocales } from './locale.js';
import { isAdmin } from '../../src/ops/usage.js';
import { createSlackAdapter } from './adapter.js';
import { createSlackWebClient } from './api.js';
import { userKeyOf, type SlackFrontDeps } from './intake.js';
import { SlackProgressMessages } from './progress.js';
import { commonDoorDeps, prefixOf } from '../../src/app/door-deps.js';

export { SLACK_EVENTS_PATH };

export interface SlackFrontDoor extends FrontDoor {
  mode: 'http' | 'socket';
  app: App;
  /** Who the app is (from auth.test). */
  bot: { userId: string; botId: string; teamId: string | undefined };
  /** Resolves when the work started after answering Slack (acks, ephemeral answers) is done. */
  idle(): Promise<void>;
}

export interface SlackFrontDoorOptions {
  /** The adapter whose acknowledge() posts the first message; default: one on Bolt's client. */
  adapter?: ChatAdapter;
}

/**
 * Who the token belongs to. Called here rather than left to Bolt: Bolt calls auth.test once and
 * keeps a failed answer forever (every later request would fail); here a failure stops start-up
 * with a clear message, and the ids are handed to Bolt so it makes no call of its own.
 */
async function whoAmI(client: WebClient): Promise<SlackFrontDoor['bot']> {
  try {
    const r = await client.auth.test();
    if (!r.user_id || !r.bot_id) throw new Error('auth.test answered without user_id/bot_id (is SLACK_BOT_TOKEN a bot token?)');
    return { userId: r.user_id, botId: r.bot_id, teamId: r.team_id };
  } catch (err) {
    const code = slackErrorCode(err);
    throw new Error(`Slack auth.test failed: ${code ?? (err as Error).message}`, { cause: err });
  }
}

/** What the SocketModeClient hands its `slack_event` listeners (one envelope). */
interface SocketModeEnvelope {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  body: ReceiverEvent['body'];
  retry_num?: number;
  retry_reason?: string;
}

/**
 * Socket Mode, answered the way the HTTP receiver answers with processBeforeResponse. Bolt's own
 * SocketModeReceiver acknowledges an event envelope before the listener runs, so a job that could
 * not be stored (Redis down) was acknowledged anyway and lost: Slack redelivers only what goes
 * unacknowledged. Here the envelope is acknowledged (with what the listener passed to ack()) once
 * Bolt has processed it, and left unacknowledged when processing failed, so Slack sends it again
 * (deduplicated). stop() resolves once the WebSocket is closed; Bolt's only starts closing it.
 */
class AckAfterProcessingReceiver extends SocketModeReceiver {
  private bolt: App | undefined;

  constructor(
    opts: SocketModeReceiverOptions,
    private readonly log: Logger,
  ) {
    super(opts);
    // Replaces the listener SocketModeReceiver's constructor added (the one that acks first).
    this.client.removeAllListeners('slack_event');
    this.client.on('slack_event', (envelope: SocketModeEnvelope) => void this.process(envelope));
  }

  override init(app: App): void {
    super.init(app);
    this.bolt = app;
  }

  private async process({ ack, body, retry_num, retry_reason }: SocketModeEnvelope): Promise<void> {
    let acked = false;
    let response: Record<string, unknown> | undefined;
    try {
      await this.bolt!.processEvent({
        body,
        ack: async (r?: unknown) => {
          if (acked) return;
          acked = true;
          response = typeof r === 'string' ? { text: r } : (r as Record<string, unknown> | undefined);
        },
        ...(retry_num !== undefined ? { retryNum: retry_num } : {}),
        ...(retry_reason !== undefined ? { retryReason: retry_reason } : {}),
      });
    } catch {
      // Logged by app.error. Unacknowledged: Slack sends the envelope again.
      this.log.warn({ event: 'slack_envelope_unacknowledged', retryNum: retry_num }, 'Slack will redeliver the envelope');
      return;
    }
    await ack(response).catch((err: unknown) => {
      // The socket closed meanwhile: Slack redelivers on the next connection (deduplicated).
      this.log.warn({ event: 'slack_ack_failed', err }, 'could not acknowledge a Slack envelope');
    });
  }

  override async stop(): Promise<void> {
    await this.client.disconnect();
  }
}

export async function startSlackFrontDoor(
  services: CoreServices,
  http: HttpServer,
  opts: SlackFrontDoorOptions = {},
): Promise<SlackFrontDoor> {
  const { config } = services;
  const token = config.slack.botToken;
  if (!token) throw new Error('SLACK_BOT_TOKEN is not set');
  const logger = services.logger.child({ platform: 'slack' });
  const boltLogger = slackLogger(logger);

  const bot = await whoAmI(new WebClient(token, slackClientOptions(config, logger)));
  const common = {
    token,
    botId: bot.botId,
    botUserId: bot.userId,
    // Bolt mutates this object (adds its logger): a fresh one each time.
    clientOptions: slackClientOptions(config, logger),
    logger: boltLogger,
    // Our state lives in Redis; Bolt's in-memory conversation store would only add a lookup (and
    // an unbounded map) to every event.
    convoStore: false as const,
  };

  let app: App;
  let mode: SlackFrontDoor['mode'];
  if (config.slack.appToken) {
    mode = 'socket';
    const receiver = new AckAfterProcessingReceiver(
      // apps.connections.open goes to SLACK_API_URL with the app-level token.
      {
        appToken: config.slack.appToken,
        logger: boltLogger,
        installerOptions: { clientOptions: slackClientOptions(config, logger) },
      },
      logger,
    );
    app = new App({ ...common, receiver, socketMode: true });
  } else {
    if (!config.slack.signingSecret) throw new Error('SLACK_SIGNING_SECRET is not set');
    mode = 'http';
    const receiver = new HTTPReceiver({
      signingSecret: config.slack.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      // Events are answered only after the job is stored, so a failure makes Slack redeliver
      // (deduplicated). Slow work after the answer runs in the background.
      processBeforeResponse: true,
      logger: boltLogger,
      // A signed request that no listener acknowledged (a payload we have no handler for) is
      // answered 404 as Bolt does, but logged as a warning: Bolt logs it as an error.
      unhandledRequestHandler: ({ response }) => {
        logger.warn({ event: 'slack_unhandled_request' }, 'a signed Slack request was not acknowledged by any listener');
        if (!response.headersSent) {
          response.writeHead(404);
          response.end();
        }
      },
    });
    app = new App({ ...common, receiver });
    void http.app.register(slackEventsRoutes(receiver, logger));
  }

  const background = new Background(logger);
  const deps = slackFrontDepsFrom(services, {
    adapter: opts.adapter ?? slackAdapterFor(services, app.client),
    client: app.client,
    locales: new SlackLocales(app.client),
    background,
  });
  registerCommands(app, deps);
  registerEvents(app, deps);
  app.error(async (err) => {
    logger.error({ event: 'slack_handler_failed', err }, 'a Slack request could not be handled');
    // Rethrown: HTTP mode answers 500, Socket Mode leaves the envelope unacknowledged, and Slack
    // retries the request.
    throw err;
  });

  if (mode === 'socket') await app.start();
  logger.info({ event: 'slack_started', mode, botUserId: bot.userId, teamId: bot.teamId }, 'Slack front door started');

  return {
    mode,
    app,
    bot,
    idle: () => background.drain(),
    async stop() {
      // Socket Mode: resolves once the WebSocket is closed (see AckAfterProcessingReceiver).
      if (mode === 'socket') await app.stop().catch(() => {});
      await background.drain();
    },
  };
}

// --- Wiring from CoreServices (the composition root's part; bots/slack/index.ts is the entry
// point). It stays beside startSlackFrontDoor until the HTTP mount above settles (Fastify), then
// both move into index.ts together.

/** The Redis prefix jobs, cancel flags and limits of this deployment live under. */
export { prefixOf };

/** The worker's Slack adapter: a WebClient of its own unless one is given (Bolt's, in the web process). */
export function slackAdapterFor(services: CoreServices, client?: WebClient): ChatAdapter {
  const { config, logger } = services;
  if (!config.slack.botToken) throw new Error('SLACK_BOT_TOKEN is not set');
  return createSlackAdapter({
    client: client ?? createSlackWebClient(config, logger),
    botToken: config.slack.botToken,
    fileHosts: config.slack.fileHosts,
    // Outlives the job: a job may wait in the queue and then render for a while.
    messages: new SlackProgressMessages(services.redis, prefixOf(services), config.limits.jobTtlSeconds + 2 * 86_400),
    logger: logger.child({ platform: 'slack' }),
  });
}

function slackFrontDepsFrom(
  services: CoreServices,
  parts: { adapter: ChatAdapter; client: WebClient; locales: SlackLocales; background: Background },
): SlackFrontDeps {
  const { config } = services;
  return {
    ...commonDoorDeps(services, 'slack'),
    ...parts,
    // ADMIN_IDS may name a Slack user by id ("U0123ABC"), as team:user ("T0123:U0123ABC"), or by
    // the user key the usage report shows ("slack:T0123:U0123ABC").
    isAdmin: (who) => isAdmin(config, [who.userId, `${who.teamId}:${who.userId}`, userKeyOf(who.teamId, who.userId)]),
  };
}
