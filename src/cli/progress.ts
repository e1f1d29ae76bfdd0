// What the CLI shows while a job runs: a progress bar on a terminal, plain lines otherwise.
import cliProgress from 'cli-progress';
import type { JobError } from '../errors.js';
import type { CliReporter } from '../../bots/cli/adapter.js';
import type { ProgressUpdate } from '../../pipeline/ports.js';
import { progressText } from '../../bots/texts.js';

export interface TerminalReporter extends CliReporter {
  started(jobId: string, scriptProvider: string, videoProvider: string): void;
}

export function createTerminalReporter(opts: { json: boolean; stream: NodeJS.WriteStream }): TerminalReporter {
  const tty = Boolean(opts.stream.isTTY) && !opts.json;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: ' {bar} {step}', stream: opts.stream, hideCursor: true, barsize: 24, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const line = (s: string) => opts.stream.write(`${s}\n`);

  return {
    started(jobId, scriptProvider, videoProvider) {
      line(`doc2video: job ${jobId} (script: ${scriptProvider}, video: ${videoProvider})`);
      bar?.start(6, 0, { step: 'Queued…' });
    },
    progress(u: ProgressUpdate) {
      const text = progressText('en', u);
      if (bar) bar.update(u.index - 1, { step: text.replace(/^[▰▱]+ /, '') });
      else line(text);
    },
    delivered(info) {
      bar?.update(6, { step: 'Done' });
      bar?.stop();
      const d = info.durationSeconds ? `, ${Math.round(info.durationSeconds)} s` : '';
      line(`✅ Video written to ${info.path} (${Math.round(info.bytes / 1024)} KiB${d})`);
    },
    failed(error: JobError) {
      bar?.stop();
      line(`❌ ${error.userMessage()}`);
    },
  };
}
