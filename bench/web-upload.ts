// The web API's upload under load: N `POST /api/v1/videos` (multipart, a small real PDF,
// `Authorization: Bearer <key>`) over up to `--concurrency` connections, against the real web
// front door on our HTTP server: the key check, the rate window, the upload streamed into the
// video store (local disk) with its %PDF- check, JobSubmitter.submit on a real redis-server,
// answered 202. Beside it, in the same run, machine and Redis, alternating in rounds: a bare
// node:http server that reads the same bodies and answers after one Redis LPUSH (the floor,
// bench/lib/intake-load.ts), and a bare node:http server that does only what any upload must
// (the API key compared, the body streamed to a file under a temporary name and renamed,
// JobSubmitter.submit): the share of the gap that is storing the file rather than Fastify,
// multipart and our door. Also reported: the Redis commands one upload costs (MONITOR over
// 20 uploads sent one at a time). No worker runs: intake only.
// Run: npm run bench:web  [-- --n 2000 --concurrency 32 --rounds 4]
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
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

// What any upload must do, with no framework: the key, the bytes on disk (temporary name, then
// rename: a reader never sees half a file), the submit, 202.
const uploadsDir = path.join(intake.dataDir, 'bare-uploads');
await mkdir(uploadsDir, { recursive: true });
const bearer = Buffer.from(`Bearer ${apiKey}`);
let bareN = 0;
const storeOnly = createServer((req, res) => {
  const auth = Buffer.from(req.headers.authorization ?? '');
  if (auth.length !== bearer.length || !timingSafeEqual(auth, bearer))
    return void req.resume().on('end', () => res.writeHead(401).end());
  const jobId = `bare-${++bareN}`;
  const dest = path.join(uploadsDir, `${jobId}.pdf`);
  const tmp = `${dest}.part`;
  pipeline(req, createWriteStream(tmp))
    .then(() => rename(tmp, dest))
    .then(() =>
      intake.services.submitter.submit({
        dedupeKey: `web:${jobId}`,
        requester: { platform: 'web', userKey: 'key:bench', userId: 'bench', chatId: jobId },
        file: { kind: 'upload', key: `uploads/${jobId}.pdf` },
      }),
    )
    .then(
      (o) => res.writeHead(o.status === 'accepted' ? 202 : 429, { 'content-length': 0 }).end(),
      () => res.writeHead(500).end(),
    );
});
await new Promise<void>((r) => storeOnly.listen(0, '127.0.0.1', r));
const storeOrigin = `http://127.0.0.1:${(storeOnly.address() as AddressInfo).port}`;

await compareWithFloor({
  redisUrl: intake.redisUrl,
  settings: SETTINGS,
  title: `N=${N} uploads of a ${pdf.length}-byte PDF, ${CONCURRENCY} connections, ${ROUNDS} alternating rounds, warm-up ${WARMUP}`,
  label: 'Web upload',
  contenders: [
    { name: 'doc2video POST /api/v1/videos (key, upload stored, submit)', run: (n) => runUploads(n) },
    {
      name: 'bare node:http + the upload only (key, body to a file and renamed, JobSubmitter.submit)',
      run: (n) => drive(storeOrigin, '/', makeUploads(n), { concurrency: CONCURRENCY }),
    },
  ],
  oneAtATime: (n) => runUploads(n, 1),
  floorRequests: makeUploads,
  floorKey: `${intake.prefix}:floor`,
});

await new Promise<void>((r) => storeOnly.close(() => r()));
await intake.close();
