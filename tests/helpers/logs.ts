// Capture pino's JSON lines in memory, to assert on log events.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

export interface LogCapture {
  lines: Record<string, unknown>[];
  text(): string;
  events(name: string): Record<string, unknown>[];
}

export function captureLogs(
  level = 'info',
  secrets: string[] = [],
  /** Also hand every chunk to this (e.g. src/ops LogEventTap, as src/main/boot.ts does). */
  tap?: { write(chunk: string): void },
): { logger: Logger; logs: LogCapture } {
  const lines: Record<string, unknown>[] = [];
  let raw = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      const s = chunk.toString();
      raw += s;
      tap?.write(s);
      for (const line of s.split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const logger = createLogger({ level, secrets }, sink);
  return {
    logger,
    logs: { lines, text: () => raw, events: (name) => lines.filter((l) => l.event === name) },
  };
}
