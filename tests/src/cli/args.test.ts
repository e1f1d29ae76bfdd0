// The CLI's flags as job options (issue 12): --layout and --no-captions next to --avatar.
import { describe, expect, it } from 'vitest';
import { UsageError, parseCliArgs } from '../../../src/cli/args.js';

describe('parseCliArgs', () => {
  it('sets only the options the flags ask for (the rest come from the configuration)', () => {
    expect(parseCliArgs(['a.pdf']).options).toEqual({});
    expect(
      parseCliArgs(['a.pdf', '--layout', 'presenter', '--no-captions', '--avatar', 'friendly', '--language', 'ar']),
    ).toMatchObject({
      command: 'run',
      file: 'a.pdf',
      options: { layout: 'presenter', captions: false, avatarStyle: 'friendly', language: 'ar' },
    });
    expect(parseCliArgs(['a.pdf', '--layout=slides', '--captions']).options).toEqual({ layout: 'slides', captions: true });
  });

  it('keeps the check and script commands', () => {
    expect(parseCliArgs(['script', 'a.pdf', '--json'])).toMatchObject({ command: 'script', file: 'a.pdf', json: true });
    expect(parseCliArgs(['check', 'a.pdf'])).toMatchObject({ command: 'check', file: 'a.pdf' });
  });

  it('refuses a layout or avatar that does not exist, with what is allowed', () => {
    expect(() => parseCliArgs(['a.pdf', '--layout', 'cinema'])).toThrow(
      new UsageError('--layout must be one of slides, presenter'),
    );
    expect(() => parseCliArgs(['a.pdf', '--avatar', 'pirate'])).toThrow(UsageError);
    expect(() => parseCliArgs(['a.pdf', '--colour', 'red'])).toThrow(/Unknown option/);
  });
});
