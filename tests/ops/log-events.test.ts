// The tap on the log stream that metrics and Sentry listen to.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { LogEventTap } from '../../src/ops/log-events.js';

describe('LogEventTap', () => {
  it("passes every line on to the real destination and tells listeners each line's event", () => {
    const tap = new LogEventTap();
    const written: string[] = [];
    const seen: [string, unknown][] = [];
    tap.subscribe((event, line) => seen.push([event, line()?.jobId]));
    const logger = createLogger(
      { level: 'info', secrets: ['super-secret-value'] },
      tap.destination({ write: (s: string) => void written.push(s) }),
    );
    logger.info({ event: 'llm_request', jobId: 'j1', nested: { event: 'not_this_one' } }, 'asking');
    logger.info('a line without an event');
    logger.warn({ event: 'llm_error', jobId: 'j2', err: 'key super-secret-value refused' });
    expect(written).toHaveLength(3);
    expect(seen).toEqual([
      ['llm_request', 'j1'],
      ['llm_error', 'j2'],
    ]);
    // Listeners see what the logger wrote: already scrubbed.
    expect(written.join('')).not.toContain('super-secret-value');
  });

  it('survives a broken listener and text that is not JSON, and parses only on demand', () => {
    const tap = new LogEventTap();
    const names: string[] = [];
    let parsed = 0;
    tap.subscribe(() => {
      throw new Error('broken');
    });
    tap.subscribe((event, line) => {
      names.push(event);
      if (event === 'want_details' && line()) parsed++;
    });
    tap.write('{"event":"a"}\n{"event":"want_details","x":1}\nnot json "event":"b" at all\n');
    expect(names).toEqual(['a', 'want_details', 'b']);
    expect(parsed).toBe(1);
    const off = tap.subscribe(() => names.push('late'));
    off();
    tap.write('{"event":"c"}\n');
    expect(names.at(-1)).toBe('c');
  });
});
