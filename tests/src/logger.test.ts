import { describe, expect, it } from 'vitest';
import { captureLogs } from '../helpers/logs.js';

describe('logger', () => {
  it('removes configured secrets and bot tokens from messages, fields and errors', () => {
    const { logger, logs } = captureLogs('info', ['sk-or-abcdef123456']);
    const token = '123456789:AAHfake_token_with_enough_length_1234567';
    logger.info(
      { event: 'x', url: `https://api.telegram.org/bot${token}/getMe`, authorization: 'Bearer zzz' },
      `key sk-or-abcdef123456`,
    );
    logger.error({ event: 'y', err: new Error(`failed with sk-or-abcdef123456 and xoxb-1234567890-abcdef`) }, 'boom');
    const text = logs.text();
    expect(text).not.toContain('sk-or-abcdef123456');
    expect(text).not.toContain(token);
    expect(text).not.toContain('xoxb-1234567890-abcdef');
    expect(text).not.toContain('Bearer zzz');
    expect(logs.events('x')[0]!.url).toBe('https://api.telegram.org/bot[redacted]/getMe');
    expect(logs.events('y')).toHaveLength(1);
  });
});

describe('logged errors', () => {
  it('have one shape, {type, message}, whether an Error or a description was logged', async () => {
    const { captureLogs } = await import('../helpers/logs.js');
    const { logger, logs } = captureLogs('info');
    logger.warn({ event: 'a', err: new TypeError('bad thing') });
    logger.warn({ event: 'b', err: 'sendMessage: 403 Forbidden' });
    const [a, b] = [logs.events('a')[0]!, logs.events('b')[0]!];
    expect(a.err).toMatchObject({ type: 'TypeError', message: 'bad thing' });
    expect(b.err).toEqual({ type: 'Error', message: 'sendMessage: 403 Forbidden' });
  });
});
