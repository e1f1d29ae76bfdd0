// The /doc2video form: one PDF (file_input), the presenter style, the layout (pages + presenter,
// or presenter alone), burned-in captions on or off, and an optional language.
// A view_submission carries no channel, so the channel the command came from travels in
// private_metadata.
import type { types } from '@slack/bolt';
import { AVATAR_STYLES, type AvatarStyle } from '../../src/config.js';
import type { Locale } from '../../src/errors.js';
import { modalWord } from './texts.js';
import { VIDEO_LAYOUTS, type JobOptions, type VideoLayout } from '../../pipeline/job.js';
import { CHOOSABLE_LANGUAGES, captionsLabel, languageName, layoutLabel, type StyleChoice } from '../texts.js';
import type { SlackFile } from './files.js';

export const MODAL_CALLBACK_ID = 'doc2video_submit';
export const BLOCK_PDF = 'pdf';
const ACTION_PDF = 'file';
const BLOCK_AVATAR = 'avatar';
const ACTION_AVATAR = 'style';
const BLOCK_LAYOUT = 'layout';
const ACTION_LAYOUT = 'layout';
const BLOCK_CAPTIONS = 'captions';
const ACTION_CAPTIONS = 'captions';
const BLOCK_LANGUAGE = 'language';
const ACTION_LANGUAGE = 'lang';

export interface ModalMetadata {
  channel: string;
  locale?: string;
}

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });

/** `defaults`: VIDEO_LAYOUT / VIDEO_CAPTIONS, preselected. */
export function buildModal(locale: Locale, meta: ModalMetadata, defaults: StyleChoice): types.View {
  const w = (k: string) => modalWord(locale, k);
  const styleOption = (s: AvatarStyle) => ({ text: plain(w(s)), value: s });
  const layoutOption = (l: VideoLayout) => ({ text: plain(layoutLabel(locale, l)), value: l });
  const captionsOption = (on: boolean) => ({ text: plain(captionsLabel(locale, on)), value: on ? 'on' : 'off' });
  return {
    type: 'modal',
    callback_id: MODAL_CALLBACK_ID,
    private_metadata: JSON.stringify(meta),
    title: plain(w('title')),
    submit: plain(w('submit')),
    close: plain(w('close')),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: w('intro') } },
      {
        type: 'input',
        block_id: BLOCK_PDF,
        label: plain(w('pdf')),
        // `filetypes` is only a hint to Slack's picker: the submission is checked again.
        element: { type: 'file_input', action_id: ACTION_PDF, filetypes: ['pdf'], max_files: 1 },
      },
      {
        type: 'input',
        block_id: BLOCK_AVATAR,
        label: plain(w('avatar')),
        element: {
          type: 'static_select',
          action_id: ACTION_AVATAR,
          options: AVATAR_STYLES.map(styleOption),
          initial_option: styleOption(AVATAR_STYLES[0]!),
        },
      },
      {
        type: 'input',
        block_id: BLOCK_LAYOUT,
        label: plain(w('layout')),
        element: {
          type: 'static_select',
          action_id: ACTION_LAYOUT,
          options: VIDEO_LAYOUTS.map(layoutOption),
          initial_option: layoutOption(defaults.layout),
        },
      },
      {
        type: 'input',
        block_id: BLOCK_CAPTIONS,
        label: plain(w('captions')),
        element: {
          type: 'static_select',
          action_id: ACTION_CAPTIONS,
          options: [true, false].map(captionsOption),
          initial_option: captionsOption(defaults.captions),
        },
      },
      {
        type: 'input',
        block_id: BLOCK_LANGUAGE,
        optional: true,
        label: plain(w('language')),
        hint: plain(w('languageHint')),
        element: {
          type: 'static_select',
          action_id: ACTION_LANGUAGE,
          options: CHOOSABLE_LANGUAGES.map((code) => ({ text: plain(languageName(code, locale)), value: code })),
        },
      },
    ],
  } as types.View;
}

export function parseMetadata(raw: string | undefined): ModalMetadata | undefined {
  try {
    const m = JSON.parse(raw ?? '') as Partial<ModalMetadata>;
    if (typeof m.channel !== 'string' || !/^[A-Z0-9]+$/.test(m.channel)) return undefined;
    return { channel: m.channel, ...(typeof m.locale === 'string' ? { locale: m.locale } : {}) };
  } catch {
    return undefined;
  }
}

type StateValues = Record<string, Record<string, { files?: SlackFile[]; selected_option?: { value?: string } | null }>>;

/** The submitted files and the options, validated (never trust a hint or a select). */
export function parseSubmission(values: unknown): { files: SlackFile[]; options: JobOptions } {
  const v = (values ?? {}) as StateValues;
  const files = (v[BLOCK_PDF]?.[ACTION_PDF]?.files ?? []).filter((f) => f && typeof f.id === 'string');
  const style = v[BLOCK_AVATAR]?.[ACTION_AVATAR]?.selected_option?.value;
  const lang = v[BLOCK_LANGUAGE]?.[ACTION_LANGUAGE]?.selected_option?.value;
  const layout = v[BLOCK_LAYOUT]?.[ACTION_LAYOUT]?.selected_option?.value;
  const captions = v[BLOCK_CAPTIONS]?.[ACTION_CAPTIONS]?.selected_option?.value;
  const options: JobOptions = {};
  if (style && (AVATAR_STYLES as readonly string[]).includes(style)) options.avatarStyle = style as AvatarStyle;
  if (layout && (VIDEO_LAYOUTS as readonly string[]).includes(layout)) options.layout = layout as VideoLayout;
  if (captions === 'on' || captions === 'off') options.captions = captions === 'on';
  if (lang && (CHOOSABLE_LANGUAGES as readonly string[]).includes(lang)) options.language = lang;
  return { files, options };
}
