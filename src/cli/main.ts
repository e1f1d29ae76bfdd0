// doc2video on the command line:
//   doc2video <file.pdf> [--out out.mp4] [--avatar STYLE] [--layout slides|presenter] [--no-captions] [--language xx]
//   doc2video check <file.pdf> [--json]      validation only, no paid call, no Redis
//   doc2video script <file.pdf> [--json]     stops after the script
// Runs the same queue and worker as the service. With REDIS_URL unset it starts an embedded
// redis-server under DATA_DIR (.data/) and stops it on exit.
//
// Only the parser pool is imported up front, and for `check` its child is started before
// anything else is loaded (the configuration's zod, the verdict's language data: about 0.2 s),
// so Node and pdf.js boot in it meanwhile. The queue, worker, providers and Redis (BullMQ,
// ioredis, the AWS SDK: about 3 s of module loading on a busy machine) are imported only by the
// commands that make a video (./video.ts).
import { ParserPool, closeSharedParserPool } from '../../pipeline/pdf/parser-pool.js';

// `doc2video check <file>`: one parse, so one child and no replacement started after it.
// (parseCliArgs below has the last word; an early child it does not need is closed.)
const early =
  process.argv.slice(2).find((a) => !a.startsWith('-')) === 'check'
    ? new ParserPool({ slots: 1, refill: false }).warm()
    : undefined;

const { existsSync } = await import('node:fs');
const { default: path } = await import('node:path');
const { ConfigError, loadConfig } = await import('../config.js');
const { JobError } = await import('../errors.js');
const { USAGE, UsageError, parseCliArgs } = await import('./args.js');
const { checkPdf } = await import('./check.js');

// Every child this process starts (parser, redis-server) is ended *and reaped* before it exits:
// process.exit() with a child still running (or killed but not yet waited for) left it behind.
const closers: (() => Promise<void>)[] = [closeSharedParserPool, ...(early ? [() => early.close()] : [])];
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
  // The child started above; `check` placed after an option gets its own here.
  let parser = command === 'check' ? early : undefined;
  if (command === 'check' && !parser) {
    const started = new ParserPool({ slots: 1, refill: false }).warm();
    closers.push(() => started.close());
    parser = started;
  }
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);

  const config = loadConfig();

  if (parser) {
    const result = await checkPdf(path.resolve(file), config, parser);
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok)
      process.stdout.write(`ok: ${result.pages} pages, ${result.chars} characters, language ${result.language}\n`);
    else process.stdout.write(`${result.message}\n`);
    return result.ok ? 0 : 1;
  }

  const { runThroughQueue } = await import('./video.js');
  return runThroughQueue(config, closers, {
    file: path.resolve(file),
    out: path.resolve(args.out ?? `${path.basename(file, path.extname(file))}.mp4`),
    stopAfter: command === 'script' ? 'script' : undefined,
    json: args.json,
    options: args.options,
  });
}

function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`doc2video: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  // RedisServerMissingError by name: its module (ioredis) is not loaded for `check`.
  if (err instanceof ConfigError || (err instanceof Error && err.name === 'RedisServerMissingError')) {
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
