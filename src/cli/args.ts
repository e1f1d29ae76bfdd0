// The command line's words: which command, which file, and the job options the flags ask for
// (the CLI's side of the choices every front door offers: avatar, layout, captions, language).
import { parseArgs } from 'node:util';
import { AVATAR_STYLES, type AvatarStyle } from '../config.js';
import { VIDEO_LAYOUTS, type JobOptions, type VideoLayout } from '../../pipeline/job.js';

export const USAGE = `Usage:
  doc2video <file.pdf> [--out out.mp4] [--avatar ${AVATAR_STYLES.join('|')}] [--layout ${VIDEO_LAYOUTS.join('|')}] [--no-captions] [--language xx]
  doc2video check <file.pdf> [--json]
  doc2video script <file.pdf> [--json] [--language xx]

With no OPENROUTER_API_KEY / DID_API_KEY set, the offline script writer and renderer are used.
--layout and --captions/--no-captions default to VIDEO_LAYOUT and VIDEO_CAPTIONS.`;

export class UsageError extends Error {}

export interface CliArgs {
  command: 'run' | 'check' | 'script';
  /** Empty when the help was asked for (or nothing was given). */
  file: string | undefined;
  help: boolean;
  out: string | undefined;
  json: boolean;
  /** avatarStyle, layout, captions, language: only those the flags set. */
  options: Pick<JobOptions, 'avatarStyle' | 'layout' | 'captions' | 'language'>;
}

/** Throws UsageError for a bad value (and parseArgs' own error for an unknown flag). */
export function parseCliArgs(argv: string[]): CliArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    // --no-captions
    allowNegative: true,
    options: {
      out: { type: 'string', short: 'o' },
      avatar: { type: 'string' },
      layout: { type: 'string' },
      captions: { type: 'boolean' },
      language: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  let command: CliArgs['command'] = 'run';
  let file = positionals[0];
  if ((file === 'check' || file === 'script') && positionals[1]) {
    command = file;
    file = positionals[1];
  }
  const avatar = values.avatar as AvatarStyle | undefined;
  if (avatar && !AVATAR_STYLES.includes(avatar)) throw new UsageError(`--avatar must be one of ${AVATAR_STYLES.join(', ')}`);
  const layout = values.layout as VideoLayout | undefined;
  if (layout !== undefined && !VIDEO_LAYOUTS.includes(layout))
    throw new UsageError(`--layout must be one of ${VIDEO_LAYOUTS.join(', ')}`);
  if (values.language && !/^[a-z]{2}$/.test(values.language))
    throw new UsageError('--language must be a two-letter code, e.g. ar');
  return {
    command,
    file,
    help: values.help ?? false,
    out: values.out,
    json: values.json ?? false,
    options: {
      ...(avatar ? { avatarStyle: avatar } : {}),
      ...(layout ? { layout } : {}),
      ...(values.captions !== undefined ? { captions: values.captions } : {}),
      ...(values.language ? { language: values.language } : {}),
    },
  };
}
