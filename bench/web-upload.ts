// The web API's upload under load: N `POST /api/v1/videos` (multipart, a small real PDF,
// `Authorization: Bearer <key>`) over up to `--concurrency` connections, against the real web
// front door on our HTTP server: the key check, the rate window, the upload streamed into the
// video store (local disk) with its %PDF- check, JobSubmitter.submit on a real redis-server,
// answered 202. Beside it, in the same run, machine and Redis, alternating in rounds: a bare
// node:http server that reads the same bodies and answers after one Redis LPUSH (the floor,
// bench/lib/intake-load.ts). Also reported: the Redis commands one upload costs (MONITOR over
// 20 uploads sent one at a time). No worker runs: intake only.
// Run: npm run bench:web  [-- --n 2000 --concurrency 32 --rounds 4]
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebFrontDoor } from '../bots/web/index.js';
import { compareWithFloor, drive, type LoadRequest, loadSettings, startIntakeServer } from './lib/intake-load.js';

const SETTINGS = loadSettings();
const { n: N, concurrency: CONCURRENCY, warmup: WARMUP, rounds: ROUNDS } = SETTINGS;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pdf = await readFile(path.join(repoRoot, 'examples/the-water-cycle.pdf'));
const apiKey = `bench-${randomBytes(12).toString('hex')}`;
const intake = await startIntakeServer(
  'web',
  {
    API_KEYS: `bench:${apiKey}`,
    WEB_UPLOADS: 'keys',
    // One API key is one user: a 1 s window of 10,000 keeps the rate limit out of the way.
    RATE_LIMIT_WINDOW_SECONDS: '1',
  },
  (services, server) => void startWebFrontDoor(services, server, { role: 'web' }),
);

/** One multipart body (the same PDF each time; every upload is its own job). */
function upload(i: number): LoadRequest {
  const boundary = `----d2vbench${i.toString(36)}${randomBytes(6).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="water-${i}.pdf"\r\n` +
        'Content-Type: application/pdf\r\n\r\n',
    ),
    pdf,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return {
    body,
    key: String(i),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${apiKey}` },
  };
}
const makeUploads = (count: number) => Array.from({ length: count }, (_, i) => upload(i));

const runUploads = (n: number, concurrency = CONCURRENCY) =>
  drive(intake.origin, '/api/v1/videos', makeUploads(n), { concurrency });

await compareWithFloor({
  redisUrl: intake.redisUrl,
  settings: SETTINGS,
  title: `N=${N} uploads of a ${pdf.length}-byte PDF, ${CONCURRENCY} connections, ${ROUNDS} alternating rounds, warm-up ${WARMUP}`,
  label: 'Web upload',
  contenders: [{ name: 'doc2video POST /api/v1/videos (key, upload stored, submit)', run: (n) => runUploads(n) }],
  oneAtATime: (n) => runUploads(n, 1),
  floorRequests: makeUploads,
  floorKey: `${intake.prefix}:floor`,
});

await intake.close();
