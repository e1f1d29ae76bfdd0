// A tap on the JSON log stream: every line a logger writes passes through here on its way to
// stdout, and listeners learn its `event`. Metrics count provider calls and errors this way
// (llm_request, did_error...), and Sentry picks up the failures worth a report, without the
// providers or the pipeline knowing about either. The lines are already scrubbed of secrets
// by the logger (src/logger.ts) before they reach the tap.
import type { DestinationStream } from 'pino';

export type LogLine = Record<string, unknown>;
export type LogEventListener = (event: string, line: () => LogLine | undefined) => void;

// pino writes `"event":"..."` as a top-level key; nested objects come after it.
const EVENT_RE = /"event":"([A-Za-z0-9_.:-]{1,80})"/;

export class LogEventTap {
  private readonly listeners = new Set<LogEventListener>();

  /** Listen to events; returns the function that stops listening. */
  subscribe(listener: LogEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Feed one or more newline-separated JSON log lines. Never throws. */
  write(chunk: string): void {
    if (this.listeners.size === 0) return;
    for (const raw of chunk.split('\n')) {
      const m = EVENT_RE.exec(raw);
      if (!m) continue;
      // Parsed only when a listener asks for more than the event name.
      let parsed: LogLine | undefined | null = null;
      const line = () => {
        if (parsed === null) {
          try {
            parsed = JSON.parse(raw) as LogLine;
          } catch {
            parsed = undefined;
          }
        }
        return parsed;
      };
      for (const l of this.listeners) {
        try {
          l(m[1]!, line);
        } catch {
          // A broken listener must never break logging.
        }
      }
    }
  }

  /** A pino destination that writes to `inner` and feeds the tap. */
  destination(inner: DestinationStream): DestinationStream {
    const feed = (msg: string) => this.write(msg);
    const wrapped = {
      write(msg: string) {
        inner.write(msg);
        feed(msg);
      },
    } as DestinationStream & { flushSync?: () => void; flush?: (cb?: (err?: Error) => void) => void; end?: () => void };
    // pino.final / logger.flush() reach for these on the real stream.
    const real = inner as typeof wrapped;
    if (typeof real.flushSync === 'function') wrapped.flushSync = () => real.flushSync!();
    if (typeof real.flush === 'function') wrapped.flush = (cb) => real.flush!(cb);
    if (typeof real.end === 'function') wrapped.end = () => real.end!();
    return wrapped;
  }
}
