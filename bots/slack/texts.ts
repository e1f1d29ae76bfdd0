// What the Slack front door says beyond the shared texts (bots/texts.ts): the words of the
// /doc2video form, and the one way user-derived text goes into a Slack message.
import type { Locale } from '../../src/errors.js';
import { stripFormatChars, type UserText } from '../texts.js';

/**
 * Slack reads `&`, `<` and `>` as markup in message text, also in plain `text` (no mrkdwn needed):
 * `<!channel>` pings the channel and `<https://evil|this>` is a link that shows "this". Escaping
 * the three characters (Slack's own rule) makes a file name or PDF title show as the characters
 * it has; format characters are removed as on every platform.
 */
export const slackUserText: UserText = (userDerived) => escapeSlackMarkup(stripFormatChars(userDerived));

/** Only the markup escape, for our own texts that quote ids (the usage report keeps its RLM/LRM). */
export const escapeSlackMarkup = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const WORDS: Record<Locale, Record<string, string>> = {
  en: {
    title: 'doc2video',
    submit: 'Make the video',
    close: 'Cancel',
    intro: 'Upload a PDF and get a short video of a presenter explaining it, posted in this channel.',
    pdf: 'PDF document',
    avatar: 'Presenter',
    professional: 'Professional',
    friendly: 'Friendly',
    layout: 'Layout',
    captions: 'Captions',
    language: 'Language of the video',
    languageHint: "Leave empty to use the document's own language.",
    oneFile: 'Choose one PDF file.',
  },
  ar: {
    title: 'doc2video',
    submit: 'أنشئ الفيديو',
    close: 'إلغاء',
    intro: 'ارفع ملف PDF لتحصل على فيديو قصير يشرحه فيه مقدّم، يُنشر في هذه القناة.',
    pdf: 'مستند PDF',
    avatar: 'المقدّم',
    professional: 'رسمي',
    friendly: 'ودود',
    layout: 'شكل الفيديو',
    captions: 'الترجمة المكتوبة',
    language: 'لغة الفيديو',
    languageHint: 'اتركها فارغة لاستخدام لغة المستند نفسه.',
    oneFile: 'اختر ملف PDF واحداً.',
  },
};

export const modalWord = (locale: Locale, key: string): string => WORDS[locale][key] ?? WORDS.en[key] ?? key;
