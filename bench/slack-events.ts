// The Slack events endpoint under load: N signed event_callback requests (a user shares a PDF
// with the app in a DM: `message` / `file_share`) from M users, posted the way Slack does (up to
// `--concurrency` connections) to the real Bolt HTTP receiver on our HTTP server (signature
// check, the user's locale, JobSubmitter.submit on a real redis-server); the "Got it" message
// goes to the fake Slack Web API in the background, as in production. Beside it, in the same
// run, machine and Redis, alternating in rounds: a bare node:http server that answers after one
// Redis LPUSH (the floor, bench/lib/intake-load.ts). Also reported: the Redis commands one event
// costs (MONITOR over 20 events sent one at a time). No worker runs: intake only.
// Run: npm run bench:slack  [-- --n 2000 --users 50 --concurrency 32 --rounds 4]
import { startSlackFrontDoor } from '../bots/slack/index.js';
import { SLACK_EVENTS_PATH } from '../bots/slack/events-route.js';
import { FakeSlack } from '../tests/fakes/slack.js';
import { compareWithFloor, drive, type LoadRequest, loadSettings, startIntakeServer } from './lib/intake-load.js';

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

await compareWithFloor({
  redisUrl: intake.redisUrl,
  settings: SETTINGS,
  title: `N=${N} file_share events from M=${USERS} users, ${CONCURRENCY} connections, ${ROUNDS} alternating rounds, warm-up ${WARMUP}`,
  label: 'Slack events',
  contenders: [{ name: 'doc2video Slack events endpoint (Bolt, signature, submit)', run: (n) => runEvents(n) }],
  oneAtATime: (n) => runEvents(n, 1),
  floorRequests: makeEvents,
  floorKey: `${intake.prefix}:floor`,
});

await intake.close();
await slack.close();
