// doc2video with its Slack front door and the real worker, talking to a fake Slack: the harness
// (real Redis, HTTP server, BullMQ worker) plus tests/fakes/slack.ts. Script: the offline writer;
// video: a provider that answers at once (tests/fakes/instant-renderer.ts).
import { readFileSync } from 'node:fs';
import { startHarness, type Harness, type HarnessOptions } from './harness.js';
import { FakeSlack } from '../fakes/slack.js';
import { corpusPath } from './corpus.js';
import { createInstantRenderer, type InstantRenderer } from '../fakes/instant-renderer.js';
import { slackAdapterFor, startSlackFrontDoor, type SlackFrontDoor } from '../../bots/slack/index.js';
import type { WorkerOptions } from '../../src/worker/worker.js';
import type { AdmissionGuard } from '../../src/queue/submit.js';
import type { VideoRenderer } from '../../pipeline/ports.js';

export const SLACK_BOT_TOKEN = 'xoxb-1111111111-2222222222-testtokenvalue0001';
export const SLACK_SIGNING_SECRET = 'signing-secret-for-tests-0123456789';
export const SLACK_APP_TOKEN = 'xapp-1-A0APP00001-3333333333-testapptokenvalue0001';

export const SMALL_PDF = corpusPath('py-pdf/crazyones-pdfa.pdf');
export const smallPdf = (): Buffer => readFileSync(SMALL_PDF);

export interface SlackTestbed {
  h: Harness;
  slack: FakeSlack;
  door: SlackFrontDoor;
  renderer: InstantRenderer;
  /** POST target for Slack's requests. */
  url: string;
  close(): Promise<void>;
}

export async function startSlackTestbed(opts: {
  redisUrl: string;
  env?: Record<string, string>;
  worker?: boolean | WorkerOptions;
  guards?: AdmissionGuard[];
  /** Operations wired in (cost ledger, budgets, metrics): see HarnessOptions.ops. */
  ops?: HarnessOptions['ops'];
  /** Wraps the instant renderer (e.g. to name it 'd-id', whose renders cost money). */
  renderer?: (instant: InstantRenderer) => VideoRenderer;
  /**
   * Socket Mode: SLACK_APP_TOKEN set and no SLACK_SIGNING_SECRET; the front door connects to the
   * fake's WebSocket (events are sent with slack.pushEvent). ackTimeoutMs: see FakeSlackOptions.
   */
  socketMode?: boolean | { ackTimeoutMs?: number };
}): Promise<SlackTestbed> {
  const socket = opts.socketMode ? (opts.socketMode === true ? {} : opts.socketMode) : undefined;
  const slack = new FakeSlack({
    botToken: SLACK_BOT_TOKEN,
    signingSecret: SLACK_SIGNING_SECRET,
    ...(socket ? { appToken: SLACK_APP_TOKEN, ...socket } : {}),
  });
  await slack.start();
  const renderer = createInstantRenderer();
  let door: SlackFrontDoor | undefined;
  const h = await startHarness({
    redisUrl: opts.redisUrl,
    env: {
      SLACK_BOT_TOKEN,
      ...(socket ? { SLACK_APP_TOKEN } : { SLACK_SIGNING_SECRET }),
      SLACK_API_URL: slack.apiUrl,
      // The fake serves url_private too: trusted with the token here, never by default.
      SLACK_FILE_HOSTS: new URL(slack.apiUrl).host,
      SCRIPT_PROVIDER: 'local',
      VIDEO_PROVIDER: 'local',
      ...opts.env,
    },
    services: { renderer: opts.renderer ? opts.renderer(renderer) : renderer, ...(opts.guards ? { guards: opts.guards } : {}) },
    // The worker's adapter has its own WebClient, as in the worker process.
    adapters: (services) => ({ slack: slackAdapterFor(services) }),
    mount: async (services, http) => {
      door = await startSlackFrontDoor(services, http);
    },
    ...(opts.worker !== undefined ? { worker: opts.worker } : {}),
    ...(opts.ops ? { ops: opts.ops } : {}),
  });
  return {
    h,
    slack,
    door: door!,
    renderer,
    url: `${h.baseUrl}/slack/events`,
    async close() {
      await door?.stop();
      await h.close();
      await slack.close();
    },
  };
}
