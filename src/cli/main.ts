// doc2video on the command line:
//   doc2video <file.pdf> [--out out.mp4] [--avatar STYLE] [--layout slides|presenter] [--no-captions] [--language xx]
//   doc2video check <file.pdf> [--json]      validation only, no paid call, no Redis
//   doc2video script <file.pdf> [--json]     stops after the script
// Runs the same queue and worker as the service. With REDIS_URL unset it starts an embedded
// redis-server under DATA_DIR (.data/) and stops it on exit.
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadConfig, secretValues, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { JobError } from '../errors.js';
import { createCoreServices } from '../app/services.js';
import { startVideoWorker } from '../worker/worker.js';
import { RedisServerMissingError, startRedisServer } from '../redis/embedded.js';
import { createCliAdapter } from '../../bots/cli/adapter.js';
import { outcomeText, submitPdf } from '../../bots/intake.js';
import type { StepName } from '../../pipeline/job.js';
import { USAGE, UsageError, parseCliArgs, type CliArgs } from './args.js';
import { checkPdf } from './check.js';
import { createTerminalReporter } from './progress.js';
import { checkTools, missingToolMessage } from '../../pipeline/providers/tools.js';
import { ParserPool, closeSharedParserPool } from '../../pipeline/pdf/parser-pool.js';

// Every child this process starts (parser, redis-server) is ended *and reaped* before it exits:
// process.exit() with a child still running (or killed but not yet waited for) left it behind.
const closers: (() => Promise<void>)[] = [closeSharedParserPool];
async function closeAll(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
}
async function exit(code: number): Promise<never> {
  await closeAll();
  process.exit(code);
}
// A terminal's Ctrl-C, a closed terminal, `kill`: stop the same way as a normal end.
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  process.once(sig, () => void exit(code));
}

async function main(argv: string[]): Promise<number> {
  const args = parseCliArgs(argv);
  if (args.help || !args.file) {
    process.stdout.write(`${USAGE}\n`);
    return args.help ? 0 : 2;
  }
  const { command, file } = args;
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);

  const config = loadConfig();

  if (command === 'check') {
    // One parse: one child, no replacement started after it.
    const parser = new ParserPool({ slots: 1, refill: false }).warm();
    closers.push(() => parser.close());
    const result = await checkPdf(path.resolve(file), config, parser);
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok)
      process.stdout.write(`ok: ${result.pages} pages, ${result.chars} characters, language ${result.language}\n`);
    else process.stdout.write(`${result.message}\n`);
    return result.ok ? 0 : 1;
  }

  return runThroughQueue(config, {
    file: path.resolve(file),
    out: path.resolve(args.out ?? `${path.basename(file, path.extname(file))}.mp4`),
    stopAfter: command === 'script' ? 'script' : undefined,
    json: args.json,
    options: args.options,
  });
}

/** The offline renderer needs OS tools: say which package to install before any work starts. */
function missingTools(config: Config): string[] {
  if (config.video.provider !== 'local') return [];
  return checkTools(['ffmpeg', 'ffprobe', 'espeak-ng']).missing.map((m) => missingToolMessage(m.tool, m.debianPackage));
}

async function runThroughQueue(
  config: Config,
  o: { file: string; out: string; stopAfter: StepName | undefined; json: boolean; options: CliArgs['options'] },
): Promise<number> {
  const missing = o.stopAfter === 'script' ? [] : missingTools(config);
  if (missing.length > 0) {
    for (const m of missing) process.stderr.write(`doc2video: ${m}\n`);
    process.stderr.write('doc2video: (no DID_API_KEY is set, so videos are rendered offline with these tools)\n');
    return 2;
  }
  // Logs go to a file so the terminal shows progress, not JSON.
  const logFile = path.resolve(config.dataDir, 'doc2video.log');
  const logger = createLogger(
    { level: config.logLevel, secrets: secretValues(config), name: 'cli' },
    (await import('pino')).pino.destination({ dest: logFile, mkdir: true, sync: false }),
  );

  let embedded: Awaited<ReturnType<typeof startRedisServer>> | undefined;
  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    embedded = await startRedisServer({ dir: path.join(config.dataDir, 'redis'), persistence: true });
    redisUrl = embedded.url;
  }

  // The CLI's jobs stay in this process: its own queue prefix keeps a shared Redis's workers
  // (which cannot write to this terminal) from taking them.
  const services = createCoreServices(config, logger, { role: 'all', redisUrl, prefix: `${config.redisPrefix}-cli` });
  const reporter = createTerminalReporter({ json: o.json, stream: process.stderr });
  const adapter = createCliAdapter({ outPath: o.out, reporter });

  let settle!: (v: { outcome: string; code?: string }) => void;
  const finished = new Promise<{ outcome: string; code?: string }>((r) => (settle = r));
  const running = startVideoWorker(
    services,
    { cli: adapter },
    {
      concurrency: 1,
      onFinished: (_job, outcome, code) => settle({ outcome, ...(code ? { code } : {}) }),
    },
  );

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await running.close(5_000);
      await services.close();
      await embedded?.stop();
    })());
  closers.push(stop);

  try {
    const userKey = `cli:${process.env.USER ?? 'local'}`;
    // The same intake as the chat doors; the CLI knows the file's first bytes instead of a MIME type.
    const submitted = await submitPdf(
      { submitter: services.submitter, logger },
      {
        dedupeKey: `cli:${o.file}:${process.pid}:${Date.now()}`,
        requester: { platform: 'cli', userKey, userId: userKey, chatId: 'terminal' },
        file: { kind: 'path', path: o.file, name: path.basename(o.file) },
        facts: {
          name: path.basename(o.file),
          size: (await stat(o.file)).size,
          ...((await startsWithPdfHeader(o.file)) ? { fileType: 'pdf' } : {}),
        },
        maxBytes: config.limits.maxPdfBytes,
        options: { ...o.options, ...(o.stopAfter ? { stopAfter: o.stopAfter } : {}) },
      },
    );
    if (submitted.status !== 'accepted') {
      const limits = { max: config.limits.rateMax, windowSeconds: config.limits.rateWindowSeconds };
      process.stderr.write(`doc2video: ${outcomeText('en', submitted, limits)}\n`);
      return 1;
    }
    reporter.started(submitted.jobId, services.writer.name, services.renderer.name);
    const result = await finished;
    if (result.outcome !== 'completed') {
      if (result.outcome === 'cancelled') process.stderr.write('doc2video: CANCELLED\n');
      return 1;
    }
    if (o.stopAfter === 'script') {
      const job = await services.queue.getJob(submitted.jobId);
      const script = job?.data.checkpoint.script;
      if (!script) throw new Error('the job finished without a script');
      process.stdout.write(o.json ? `${JSON.stringify(script)}\n` : `${script.text}\n`);
    }
    return 0;
  } finally {
    await stop();
  }
}

/** "%PDF-" at the start: what the pipeline checks after the download, checked here before submitting. */
async function startsWithPdfHeader(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(5), 0, 5, 0);
    return buffer.subarray(0, bytesRead).toString('latin1') === '%PDF-';
  } finally {
    await fh.close();
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`doc2video: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (err instanceof ConfigError || err instanceof RedisServerMissingError) {
    process.stderr.write(`doc2video: ${err.message}\n`);
    return 2;
  }
  if (err instanceof JobError) {
    process.stderr.write(`doc2video: ${err.userMessage()}\n`);
    return 1;
  }
  if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    process.stderr.write(`doc2video: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  process.stderr.write(`doc2video: unexpected error: ${(err as Error).stack ?? err}\n`);
  return 1;
}

void main(process.argv.slice(2)).then(exit, (err: unknown) => exit(exitCodeFor(err)));
