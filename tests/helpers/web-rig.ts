// The web process with every route it can serve mounted at once: health, the D-ID webhook,
// /metrics (token), the dashboard (basic auth), the Telegram webhook and Slack's events endpoint,
// each front door talking to its fake platform. For tests of the HTTP layer as a whole.
import { startHarness, type Harness } from './harness.js';
import { FakeTelegram } from '../fakes/telegram.js';
import { FakeSlack } from '../fakes/slack.js';
import { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET } from './slack-testbed.js';
import { startTelegramFrontDoor } from '../../bots/telegram/index.js';
import { startSlackFrontDoor } from '../../bots/slack/index.js';
import { startWebFrontDoor } from '../../bots/web/index.js';
import { keptFileRoutes } from '../../src/http/files-route.js';

export const WEB_SECRETS = {
  telegram: 'wh_secret-Web_0123456789',
  did: 'did-webhook-secret-for-web-tests',
  metrics: 'metrics-token-for-web-tests',
  adminUser: 'ops',
  adminPassword: 'correct-horse-battery-web',
  slack: SLACK_SIGNING_SECRET,
  apiKey: 'web-api-key-for-web-tests-0123',
  link: 'link-secret-for-web-tests',
} as const;

export interface WebRig {
  h: Harness;
  port: number;
  telegram: FakeTelegram;
  slack: FakeSlack;
  close(): Promise<void>;
}

export async function startWebRig(opts: { redisUrl: string; env?: Record<string, string> }): Promise<WebRig> {
  const telegram = await FakeTelegram.start();
  const slack = new FakeSlack({ botToken: SLACK_BOT_TOKEN, signingSecret: SLACK_SIGNING_SECRET });
  await slack.start();
  const stops: (() => Promise<void>)[] = [];
  const h = await startHarness({
    redisUrl: opts.redisUrl,
    publicUrl: true,
    worker: false,
    ops: { role: 'web' },
    env: {
      SCRIPT_PROVIDER: 'local',
      VIDEO_PROVIDER: 'local',
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: WEB_SECRETS.telegram,
      SLACK_BOT_TOKEN,
      SLACK_SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      DID_WEBHOOK_SECRET: WEB_SECRETS.did,
      METRICS_TOKEN: WEB_SECRETS.metrics,
      ADMIN_USER: WEB_SECRETS.adminUser,
      ADMIN_PASSWORD: WEB_SECRETS.adminPassword,
      API_KEYS: `rig:${WEB_SECRETS.apiKey}`,
      WEB_UPLOADS: 'keys',
      LINK_SECRET: WEB_SECRETS.link,
      ...opts.env,
    },
    mount: async (services, http) => {
      const tg = await startTelegramFrontDoor(services, http);
      if (tg) stops.push(() => tg.stop());
      const sl = await startSlackFrontDoor(services, http);
      stops.push(() => sl.stop());
      void http.app.register(keptFileRoutes({ store: services.store, linkSecret: services.config.storage.linkSecret }));
      startWebFrontDoor(services, http, { role: 'web' });
    },
  });
  return {
    h,
    port: Number(new URL(h.baseUrl).port),
    telegram,
    slack,
    async close() {
      for (const stop of stops) await stop();
      await h.close();
      await slack.close();
      await telegram.close();
    },
  };
}
