// `doc2video <file.pdf>` and `doc2video script <file.pdf>`: the file through the same queue and
// worker as the service, in this process (imported by main.ts only for these commands: `check`
// needs none of it).
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { secretValues, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { createCoreServices } from '../app/services.js';
import { startVideoWorker } from '../worker/worker.js';
import { startRedisServer } from '../redis/embedded.js';
import { createCliAdapter } from '../../bots/cli/adapter.js';
import { outcomeText, submitPdf } from '../../bots/intake.js';
import type { StepName } from '../../pipeline/job.js';
import type { CliArgs } from './args.js';
import { createTerminalReporter } from './progress.js';
import { checkTools, missingToolMessage } from '../../pipeline/providers/tools.js';

/** The offline renderer needs OS tools: say which package to install before any work starts. */
function missingTools(config: Config): string[] {
  if (config.video.provider !== 'local') return [];
  return checkTools(['ffmpeg', 'ffprobe', 'espeak-ng']).missing.map((m) => missingToolMessage(m.tool, m.debianPackage));
}

export async function runThroughQueue(
  config: Config,
  /** main.ts's list of what to end before the process exits (redis-server, the worker). */
  closers: (() => Promise<void>)[],
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
