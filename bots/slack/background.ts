// Work the front door does after Slack has its answer (Slack wants one within 3 s): posting the
// "Got it" message, answering a slash command through its response_url. Failures are logged;
// stop() waits for what is still running.
import type { Logger } from '../../src/logger.js';

export class Background {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  run(what: string, task: () => Promise<unknown>): void {
    const p: Promise<void> = task()
      .then(() => undefined)
      .catch((err: unknown) => {
        this.logger.warn({ event: 'slack_background_failed', what, err }, `slack: ${what} failed`);
      })
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
