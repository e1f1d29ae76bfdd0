// The fake's Socket Mode side answers like Slack: apps.connections.open wants the app-level token
// (driven with the WebClient, as @slack/socket-mode does), the link URL is good for one
// connection, the first message is `hello`, and an envelope left unacknowledged comes again with
// retry_attempt + 1 until it is acknowledged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient, type WebAPIPlatformError } from '@slack/web-api';
import { WebSocket } from 'undici';
import { FakeSlack } from './slack.js';

const BOT = 'xoxb-1-2-fakebottoken';
const APP = 'xapp-1-A0APP00001-3-fakeapptoken';

let slack: FakeSlack;
beforeAll(async () => {
  slack = new FakeSlack({ botToken: BOT, signingSecret: 'secret', appToken: APP, ackTimeoutMs: 50 });
  await slack.start();
});
afterAll(async () => slack.close());

/** apps.connections.open the way SocketModeClient calls it: no token, an Authorization header. */
const open = (token: string) =>
  new WebClient('', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  }).apps.connections.open();
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => (e as WebAPIPlatformError).data?.error,
  );

/** A client socket that keeps every message it gets. */
async function connect(
  url: string,
): Promise<{ ws: WebSocket; messages: Array<Record<string, unknown>>; next(): Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(url);
  const messages: Array<Record<string, unknown>> = [];
  const waiting: Array<(m: Record<string, unknown>) => void> = [];
  let read = 0;
  ws.addEventListener('message', (e) => {
    messages.push(JSON.parse(String(e.data)) as Record<string, unknown>);
    while (waiting.length && read < messages.length) waiting.shift()!(messages[read++]!);
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new Error('refused')));
  });
  return {
    ws,
    messages,
    next: () => (read < messages.length ? Promise.resolve(messages[read++]!) : new Promise((resolve) => waiting.push(resolve))),
  };
}

describe('fake Slack: Socket Mode', () => {
  it('apps.connections.open: the app token gets a ws:// URL; no token, the bot token or a wrong one do not', async () => {
    const ok = await open(APP);
    expect(ok.ok).toBe(true);
    expect(ok.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f]+/);
    expect(await errorOf(open(''))).toBe('not_authed');
    expect(await errorOf(open(BOT))).toBe('not_allowed_token_type');
    expect(await errorOf(open('xapp-1-A0APP00001-3-wrong'))).toBe('invalid_auth');
    // And the app token is no good for the bot's methods.
    const asApp = new WebClient(APP, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    expect(await errorOf(asApp.auth.test())).toBe('not_allowed_token_type');
  });

  it('says hello on connect; the link is good for one connection; an unacknowledged event comes again until acked', async () => {
    const { url } = await open(APP);
    const c = await connect(url!);
    expect(await c.next()).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: slack.appId } });
    await expect(connect(url!)).rejects.toThrow('refused');

    const env = slack.pushEvent(
      { type: 'message', text: 'hi', user: 'U1', channel: 'D1', ts: '1.000001' },
      { eventId: 'Ev0FAKE001' },
    );
    const first = await c.next();
    expect(first).toEqual({
      envelope_id: env.envelope_id,
      payload: expect.objectContaining({
        type: 'event_callback',
        event_id: 'Ev0FAKE001',
        event: expect.objectContaining({ text: 'hi' }),
      }),
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: 0,
      retry_reason: '',
    });
    const second = await c.next();
    expect(second).toMatchObject({
      type: 'events_api',
      retry_attempt: 1,
      retry_reason: 'timeout',
      payload: { event_id: 'Ev0FAKE001' },
    });
    expect(second.envelope_id).not.toBe(env.envelope_id);
    c.ws.send(JSON.stringify({ envelope_id: second.envelope_id, payload: {} }));
    expect(await slack.acked(String(second.envelope_id))).toEqual({ envelope_id: second.envelope_id, payload: {} });
    // (A third delivery may be on its way if the ack took longer than the 50 ms timeout.)
    expect(
      slack
        .deliveriesOf('Ev0FAKE001')
        .slice(0, 2)
        .map((e) => [e.retry_attempt, e.ack !== undefined]),
    ).toEqual([
      [0, false],
      [1, true],
    ]);

    c.ws.close(1000);
    expect(await slack.socketClosed(0)).toMatchObject({ open: false, closeCode: 1000, closedBy: 'app' });
  });
});
