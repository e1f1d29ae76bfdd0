// The Slack events endpoint under load: N signed event_callback requests (a user shares a PDF
// with the app in a DM: `message` / `file_share`) from M users, posted the way Slack does (up to
// `--concurrency` connections) to the real Bolt HTTP receiver on our HTTP server (signature
// check, the user's locale, JobSubmitter.submit on a real redis-server); the "Got it" message
// goes to the fake Slack Web API in the background, as in production. Beside it, in the same
// run, machine and Redis, alternating in rounds: a bare node:http server that answers after one
// Redis LPUSH (the floor, bench/lib/intake-load.ts), and a bare node:http server that does only
// what Slack's protocol asks of any app (check the signature, JobSubmitter.submit, answer, then
// the "Got it" as one chat.postMessage through undici): the share of the gap that is the protocol's
// own work rather than Bolt's and @slack/web-api's. Also reported: the Redis commands one event
// costs (MONITOR over 20 events sent one at a time). No worker runs: intake only.
// Run: npm run bench:slack  [-- --n 2000 --users 50 --concurrency 32 --rounds 4]
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request } from 'undici';
import { startSlackFrontDoor } from '../bots/slack/index.js';
import { SLACK_EVENTS_PATH } from '../bots/slack/events-route.js';
import { FakeSlack } from '../tests/fakes/slack.js';
import {
  compareWithFloor,
  drive,
  type LoadRequest,
  loadSettings,
  startBareServer,
  startIntakeServer,
} from './lib/intake-load.js';

const SETTINGS = loadSettings();
const { n: N, users: USERS, concurrency: CONCURRENCY, warmup: WARMUP, rounds: ROUNDS } = SETTINGS;

const botToken = 'xoxb-1111111111-2222222222-benchtokenvalue0001';
const signingSecret = 'bench-signing-secret-0123456789';
const slack = new FakeSlack({ botToken, signingSecret });
await slack.start();
const intake = await startIntakeServer(
  'slack',
  { SLACK_BOT_TOKEN: botToken, SLACK_SIGNING_SECRET: signingSecret, SLACK_API_URL: slack.apiUrl },
  (services, server) => startSlackFrontDoor(services, server),
);

const users = Array.from({ length: USERS }, (_, i) => slack.addUser(`U0BENCH${String(i).padStart(5, '0')}`, 'en-US'));
const dms = users.map((u) => slack.im(u));
const pdf = Buffer.from('%PDF-1.4\n% a small PDF the worker never fetches in this benchmark\n');
/** Signed now: Slack's signature is valid for 5 minutes, so each round makes its own. */
function makeEvents(count: number): LoadRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const k = i % USERS;
    const file = slack.addFile({ name: `doc${i}.pdf`, bytes: pdf, user: users[k]! });
    const message = slack.userMessage(dms[k]!, users[k]!, '', { files: [file.id] });
    const body = slack.eventBody(slack.fileShareEvent(message));
    return { body, key: file.id, headers: slack.signedHeaders(body, 'application/json') };
  });
}

const runEvents = (n: number, concurrency = CONCURRENCY) =>
  drive(intake.origin, SLACK_EVENTS_PATH, makeEvents(n), { concurrency });

// The protocol's own work, with no framework: the v0 signature (HMAC-SHA256 over
// `v0:<timestamp>:<body>`, at most 5 minutes old), the submit, 200, then the "Got it" posted in
// the background as ours is.
interface BenchEvent {
  team_id: string;
  event: { user: string; channel: string; ts: string; files: { id: string; name: string; size: number }[] };
}
function signatureOk(body: string, ts: string | undefined, sig: string | undefined): boolean {
  if (!ts || !sig || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const want = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`);
  const got = Buffer.from(sig);
  return got.length === want.length && timingSafeEqual(got, want);
}
/** The bare server's acknowledgements: sent, and answered ok by the fake Slack. */
const bareAcks = { sent: 0, ok: 0 };
const protocolOnly = await startBareServer(async (raw, headers) => {
  const body = raw.toString('utf8');
  const h = (name: string) => headers[name] as string | undefined;
  if (!signatureOk(body, h('x-slack-request-timestamp'), h('x-slack-signature'))) return 401;
  const { team_id: team, event: e } = JSON.parse(body) as BenchEvent;
  const file = e.files[0]!;
  const o = await intake.services.submitter.submit({
    dedupeKey: `slack:${team}:${file.id}`,
    requester: { platform: 'slack', userKey: `${team}:${e.user}`, userId: e.user, chatId: e.channel, teamId: team },
    file: { kind: 'slack', fileId: file.id, name: file.name, size: file.size },
  });
  if (o.status === 'accepted') {
    // In the background, as ours: the answer does not wait for it.
    const ack = JSON.stringify({ channel: e.channel, thread_ts: e.ts, text: `Got it: ${file.name}` });
    void request(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json; charset=utf-8' },
      body: ack,
    }).then(
      async (r) => {
        if (((await r.body.json()) as { ok?: boolean }).ok) bareAcks.ok++;
      },
      () => undefined,
    );
    bareAcks.sent++;
  }
  return 200;
});

await compareWithFloor({
  redisUrl: intake.redisUrl,
  settings: SETTINGS,
  title: `N=${N} file_share events from M=${USERS} users, ${CONCURRENCY} connections, ${ROUNDS} alternating rounds, warm-up ${WARMUP}`,
  label: 'Slack events',
  contenders: [
    { name: 'doc2video Slack events endpoint (Bolt, signature, submit)', run: (n) => runEvents(n) },
    {
      name: 'bare node:http + the protocol only (signature, JobSubmitter.submit, "Got it" through undici)',
      run: (n) => drive(protocolOnly.url, '/', makeEvents(n), { concurrency: CONCURRENCY }),
    },
  ],
  oneAtATime: (n) => runEvents(n, 1),
  floorRequests: makeEvents,
  floorKey: `${intake.prefix}:floor`,
});

console.log(`the protocol-only server's "Got it": ${bareAcks.ok} of ${bareAcks.sent} answered ok by the fake Slack`);
await protocolOnly.close();
await intake.close();
await slack.close();
