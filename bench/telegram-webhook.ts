// The Telegram front door under load: N webhook updates (each a PDF) from M users, posted the
// way Telegram does (up to `--concurrency` connections), against the real grammY webhook on our
// HTTP server with real Redis (one admission script: record, BullMQ's add) and the fake Bot API
// receiving the acknowledgements. Reported: p50/p99 time to the HTTP 200, p50/p99 time until
// the fake received the acknowledgement (sendMessage replying to that PDF), and updates/s.
// Beside it, in the same run on the same machine and Redis: a bare node:http server that does
// one Redis write per request, the floor for "answer a webhook after a durable write", and a
// bare node:http server that calls only JobSubmitter.submit (one admission script that also adds
// the BullMQ job), to tell the submit's share of the cost from the front door's (grammY, the update
// dedupe, the user's preferences, the acknowledgement sent to the Bot API).
// No worker runs: this measures intake only.
// Run: npm run bench:telegram  [-- --n 2000 --users 50 --concurrency 32]
import { startTelegramFrontDoor } from '../bots/telegram/index.js';
import { WEBHOOK_PATH } from '../bots/telegram/webhook.js';
import { FakeTelegram, type ApiCall } from '../tests/fakes/telegram.js';
import {
  compareWithFloor,
  drive,
  type LoadRequest,
  loadSettings,
  type Run,
  startBareServer,
  startIntakeServer,
} from './lib/intake-load.js';

const SETTINGS = loadSettings();
const { n: N, users: USERS, concurrency: CONCURRENCY, warmup: WARMUP, rounds: ROUNDS } = SETTINGS;

// ---------------------------------------------------------------------------------------------
const fake = await FakeTelegram.start();
const secret = 'bench_secret_0123456789';
const intake = await startIntakeServer(
  'tg',
  { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_WEBHOOK_SECRET: secret },
  (services, server) => startTelegramFrontDoor(services, server),
);
const { redisUrl, prefix, services } = intake;

// Updates: user u sends PDFs in their private chat; the fake knows the users, chats and files.
const users = Array.from({ length: USERS }, (_, i) => fake.user(10_000 + i));
const chats = users.map((u) => fake.privateChat(u));
const pdf = Buffer.from('%PDF-1.4\n% a small PDF the worker never fetches in this benchmark\n');
function makeUpdates(count: number): LoadRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const k = i % USERS;
    const update = fake.documentUpdate({
      from: users[k]!,
      chat: chats[k]!,
      bytes: pdf,
      fileName: `doc${i}.pdf`,
      mimeType: 'application/pdf',
    });
    const msg = update.message as { message_id: number; chat: { id: number } };
    return { body: JSON.stringify(update), key: `${msg.chat.id}:${msg.message_id}` };
  });
}

async function runDoc2Video(count: number, concurrency = CONCURRENCY): Promise<Run> {
  const requests = makeUpdates(count);
  const sentAt = new Map<string, number>();
  const answers: { body: string; at: number }[] = [];
  const r = await drive(intake.origin, WEBHOOK_PATH, requests, {
    concurrency,
    onSent: (key, t0) => sentAt.set(key, t0),
    // The acknowledgement reaches Telegram with the webhook's answer: kept with its arrival time.
    onAnswer: (_key, body) => void answers.push({ body, at: performance.now() }),
    headers: { 'x-telegram-bot-api-secret-token': secret },
  });
  // Telegram's part, after the timed run (its servers, not ours, run the method call in a webhook
  // answer): the fake Bot API runs each one, and each sendMessage is matched to its update.
  const ack: number[] = [];
  let answeredAt = 0;
  const onCall = (c: ApiCall) => {
    if (c.method !== 'sendMessage') return;
    const replyTo = (c.params.reply_parameters as { message_id?: number } | undefined)?.message_id;
    const t0 = sentAt.get(`${String(c.params.chat_id)}:${replyTo}`);
    if (t0 !== undefined) ack.push(answeredAt - t0);
  };
  fake.on('call', onCall);
  for (const a of answers) {
    answeredAt = a.at;
    await fake.applyWebhookReply(a.body);
  }
  fake.off('call', onCall);
  return { ...r, ack };
}

// The submit alone: node:http + JobSubmitter.submit, then 200 (the same services and Redis).
interface BenchUpdate {
  message: { message_id: number; chat: { id: number }; from: { id: number }; document: { file_id: string } };
}
const submitOnly = await startBareServer(async (body) => {
  const { message: m } = JSON.parse(body.toString('utf8')) as BenchUpdate;
  const userKey = `tg:${m.from.id}`;
  const o = await services.submitter.submit({
    dedupeKey: `tg:${m.chat.id}:${m.message_id}`,
    requester: { platform: 'telegram', userKey, userId: String(m.from.id), chatId: String(m.chat.id) },
    file: { kind: 'telegram', fileId: m.document.file_id },
  });
  return o.status === 'accepted' ? 200 : 429;
});

const WEBHOOK = 'doc2video Telegram webhook (grammY, submit, ack as webhook reply)';
const runs = await compareWithFloor({
  redisUrl,
  settings: SETTINGS,
  title: `N=${N} updates from M=${USERS} users, ${CONCURRENCY} connections, ${ROUNDS} alternating rounds, warm-up ${WARMUP}`,
  label: 'Telegram webhook',
  contenders: [
    { name: WEBHOOK, run: (n) => runDoc2Video(n) },
    {
      name: 'bare node:http + JobSubmitter.submit (one admission script that also adds the job)',
      run: (n) => drive(submitOnly.url, '/', makeUpdates(n), { concurrency: CONCURRENCY }),
    },
  ],
  oneAtATime: (n) => runDoc2Video(n, 1),
  floorRequests: makeUpdates,
  floorKey: `${prefix}:floor`,
  withAck: true,
});
console.log(`acknowledgements received: ${runs.get(WEBHOOK)!.ack.length}/${N}`);

await submitOnly.close();
await intake.close();
await fake.close();
