// What the bots say, in English and Arabic. Platform adapters format these (Markdown, blocks);
// the words live here so Telegram and Slack say the same thing.
import { describeError, formatDuration, toLocale, type ErrorCode, type JobError, type Locale } from '../src/errors.js';
import type { AvatarStyle } from '../src/config.js';
import type { JobRecord } from '../src/jobs/records.js';
import type { ProgressUpdate } from '../pipeline/ports.js';
import type { StepName, VideoLayout } from '../pipeline/job.js';

// Arabic lines start with U+200F (RLM) where they begin with a Latin id or digit, so the line
// still reads right-to-left in clients that pick direction from the first strong character.
const RLM = '\u200f';

/** The language of our messages for a user: from the platform's language code ("ar", "en-US"). */
export function localeOf(who: { locale?: string | undefined } | string | undefined): Locale {
  return toLocale(typeof who === 'object' ? who.locale : who);
}

/**
 * Unicode format characters that change how text around them is shown without being seen
 * themselves: bidi embeddings and overrides (U+202A-202E), isolates (U+2066-2069), zero-width
 * characters and marks (U+200B-200F), the word joiner (U+2060) and the BOM (U+FEFF). In a file
 * name or a PDF title they can reverse what a user reads ("gpj.exe" shown as "exe.jpg"). Removed
 * from anything a user chose before we show it; our own RLM is added outside user text.
 */
const FORMAT_CHARS = /[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;

export function stripFormatChars(text: string): string {
  return text.replace(FORMAT_CHARS, '');
}

/**
 * How a platform shows text that came from a user (file names, PDF titles, script excerpts,
 * error details): each platform has exactly one (bots/<platform>/texts.ts). Texts below that
 * embed user-derived text take it as a parameter, so no caller can forget it.
 */
export type UserText = (userDerived: string) => string;

const STEP_LABEL: Record<Locale, Record<StepName, string>> = {
  en: {
    fetch: 'Downloading the PDF…',
    extract: 'Reading the document…',
    script: 'Writing the script…',
    render: 'Starting the video…',
    wait: 'Rendering the video…',
    compose: 'Putting the pages and captions in…',
    deliver: 'Uploading the video…',
  },
  ar: {
    fetch: 'جارٍ تنزيل الملف…',
    extract: 'جارٍ قراءة المستند…',
    script: 'جارٍ كتابة النص…',
    render: 'جارٍ بدء الفيديو…',
    wait: 'جارٍ إنشاء الفيديو…',
    compose: 'جارٍ إضافة الصفحات والترجمة النصية…',
    deliver: 'جارٍ رفع الفيديو…',
  },
};

function progressBar(index: number, total: number): string {
  const filled = Math.max(0, Math.min(total, index));
  return '▰'.repeat(filled) + '▱'.repeat(total - filled);
}

/** What a step is doing, without the bar (the web page draws its own). */
export function stepLabel(locale: Locale, step: StepName): string {
  return STEP_LABEL[locale][step];
}

/** A job queued behind the same user's running videos. */
export function waitingSlotText(locale: Locale): string {
  return locale === 'ar'
    ? `${RLM}⏳ في الانتظار: لديك فيديوهات قيد الإنشاء، وسيبدأ هذا بعد انتهاء أحدها.`
    : '⏳ Queued behind your videos that are being made; this one starts when one of them is done.';
}

export function progressText(locale: Locale, u: ProgressUpdate): string {
  if (u.phase === 'waiting-slot') return waitingSlotText(locale);
  return `${progressBar(u.index, u.total)} ${detailLabel(locale, u) ?? stepLabel(locale, u.step)}`;
}

/** A long document's progress: "Reading 118 pages…", "Summarising 9 sections…". */
function detailLabel(locale: Locale, u: ProgressUpdate): string | undefined {
  const d = u.detail;
  if (!d) return undefined;
  if (u.step === 'extract' && d.pagesRead && d.pages) {
    if (d.pagesRead < d.pages) {
      return locale === 'ar'
        ? `${RLM}جارٍ قراءة أول ${d.pagesRead} صفحة من ${d.pages} (الحد الأقصى ${d.pagesRead} صفحة)…`
        : `Reading the first ${d.pagesRead} of ${d.pages} pages (the limit is ${d.pagesRead})…`;
    }
    return locale === 'ar' ? `${RLM}جارٍ قراءة ${d.pages} صفحة…` : `Reading ${d.pages} pages…`;
  }
  if (u.step === 'script' && d.sections) {
    return locale === 'ar' ? `${RLM}جارٍ تلخيص ${d.sections} أقسام…` : `Summarising ${d.sections} sections…`;
  }
  return undefined;
}

/** How much of the document the video covers: said for every video, and plainly when pages were left out. */
function coverageText(locale: Locale, c: { pagesCovered: number; pages: number }): string {
  if (c.pagesCovered < c.pages) {
    return locale === 'ar'
      ? ` يغطي الفيديو أول ${c.pagesCovered} صفحة من ${c.pages}؛ لم تُقرأ الصفحات بعدها (الحد الأقصى ${c.pagesCovered} صفحة).`
      : ` It covers the first ${c.pagesCovered} of ${c.pages} pages; the pages after them were not read (the limit is ${c.pagesCovered}).`;
  }
  if (c.pages === 1) return locale === 'ar' ? ' يغطي الفيديو الصفحة الوحيدة في المستند.' : " It covers the document's one page.";
  return locale === 'ar' ? ` يغطي الفيديو كل صفحات المستند (${c.pages}).` : ` It covers all ${c.pages} pages.`;
}

/** The last progress line of a finished job, without the bar. */
export function doneLabel(locale: Locale): string {
  return locale === 'ar' ? '✅ اكتمل الفيديو.' : '✅ Done — your video is below.';
}

export function doneText(locale: Locale, coverage?: { pagesCovered: number; pages: number }): string {
  return `${progressBar(6, 6)} ${doneLabel(locale)}${coverage ? coverageText(locale, coverage) : ''}`;
}

export function acceptedText(locale: Locale, jobId: string, position: number): string {
  return locale === 'ar'
    ? `${RLM}📄 تم استلام الملف. رقم المهمة: ${jobId} — ترتيبك في الانتظار: ${position}.`
    : `📄 Got it! Job ${jobId} — number ${position} in the queue.`;
}

export function duplicateText(locale: Locale, jobId: string): string {
  return locale === 'ar'
    ? `${RLM}هذا الملف قيد المعالجة بالفعل (المهمة ${jobId}).`
    : `This file is already being handled (job ${jobId}).`;
}

export function rateLimitedText(locale: Locale, limits: { max: number; windowSeconds: number }, retryAfterMs: number): string {
  return describeError('RATE_LIMITED', locale, {
    max: limits.max,
    window: formatDuration(limits.windowSeconds, locale),
    retry: formatDuration(retryAfterMs / 1000, locale),
  });
}

/** The video's comment: its title (from the PDF, so user-derived) and length. */
export function captionText(title: string, durationSeconds: number | undefined, show: UserText): string {
  const d = durationSeconds
    ? ` · ${Math.floor(durationSeconds / 60)}:${String(Math.round(durationSeconds % 60)).padStart(2, '0')}`
    : '';
  return `🎬 ${show(title)}${d}`;
}

export function linkInsteadText(locale: Locale, url: string, bytes: number, limitBytes: number): string {
  const mb = (n: number) => `${Math.round(n / (1024 * 1024))} MB`;
  return locale === 'ar'
    ? `${RLM}الفيديو (${mb(bytes)}) أكبر من حد الرفع هنا (${mb(limitBytes)})، لذا إليك رابط تنزيل صالح لمدة 24 ساعة:\n${url}`
    : `The video (${mb(bytes)}) is larger than the ${mb(limitBytes)} upload limit here, so here is a download link, valid for 24 hours:\n${url}`;
}

const STATE_LABEL: Record<Locale, Record<JobRecord['state'], string>> = {
  en: {
    queued: 'queued',
    active: 'working',
    'waiting-slot': 'waiting for your other videos',
    rendering: 'rendering',
    completed: 'done',
    failed: 'failed',
    cancelled: 'cancelled',
  },
  ar: {
    queued: 'في الانتظار',
    active: 'قيد العمل',
    'waiting-slot': 'ينتظر انتهاء فيديوهاتك الأخرى',
    rendering: 'قيد الإنشاء',
    completed: 'مكتمل',
    failed: 'فشل',
    cancelled: 'ملغى',
  },
};

/** `links`: job id -> our link to its kept video (shown under a finished job while kept). */
export function statusText(
  locale: Locale,
  jobs: JobRecord[],
  show: UserText,
  links: ReadonlyMap<string, string> = new Map(),
): string {
  if (jobs.length === 0) return locale === 'ar' ? 'لا توجد لديك مهام حالياً.' : 'You have no recent jobs.';
  const lines = jobs.map((j) => {
    const step = j.step && !['completed', 'failed', 'cancelled'].includes(j.state) ? ` · ${STEP_LABEL[locale][j.step]}` : '';
    const code = j.code ? ` (${j.code})` : '';
    const link = links.get(j.jobId);
    return `${locale === 'ar' ? RLM : ''}• ${j.jobId} — ${STATE_LABEL[locale][j.state]}${code}${step}${j.title ? ` — ${show(j.title)}` : ''}${link ? `\n  ${link}` : ''}`;
  });
  return (locale === 'ar' ? 'مهامك:\n' : 'Your jobs:\n') + lines.join('\n');
}

const STATUS_COMMAND = { telegram: '/status', slack: '/doc2video status' } as const;

export function cancelText(
  locale: Locale,
  outcome: 'cancelled' | 'not-found' | 'already-finished',
  jobId: string,
  platform: 'telegram' | 'slack' = 'telegram',
): string {
  const status = STATUS_COMMAND[platform];
  const en = {
    cancelled: `Job ${jobId} is cancelled. Nothing more will be sent for it.`,
    'not-found': `No job ${jobId} of yours was found. See ${status} for your jobs.`,
    'already-finished': `Job ${jobId} has already finished.`,
  };
  const ar = {
    cancelled: `${RLM}تم إلغاء المهمة ${jobId}. لن يُرسل أي شيء آخر بخصوصها.`,
    'not-found': `${RLM}لم يتم العثور على مهمة ${jobId} خاصة بك. استخدم ‎${status} لعرض مهامك.`,
    'already-finished': `${RLM}المهمة ${jobId} انتهت بالفعل.`,
  };
  return (locale === 'ar' ? ar : en)[outcome];
}

// How each front door is used: the last line of the help.
const COMMANDS_LINE: Record<'telegram' | 'slack', Record<Locale, string>> = {
  telegram: {
    en: '• Commands: /status your jobs, /cancel <id> stop a job, /avatar choose the presenter, /style the layout and captions.',
    ar: `${RLM}• الأوامر: ‎/status مهامك، ‎/cancel <id> إلغاء مهمة، ‎/avatar اختيار المقدّم، ‎/style شكل الفيديو والترجمة.`,
  },
  slack: {
    en: '• On Slack: share a PDF in a DM with me, or in a channel and mention me. `/doc2video` opens a form, `/doc2video status` lists your jobs, `/doc2video cancel <id>` stops one.',
    ar: `${RLM}• على Slack: أرسل ملف PDF في رسالة مباشرة إليّ، أو في قناة مع الإشارة إليّ. ‎/doc2video يفتح نموذجاً، ‎/doc2video status مهامك، ‎/doc2video cancel <id> إلغاء مهمة.`,
  },
};

export function helpText(
  locale: Locale,
  limits: { max: number; windowSeconds: number; maxActive: number; maxPdfBytes: number },
  platform: 'telegram' | 'slack' = 'telegram',
): string {
  const mib = Math.round(limits.maxPdfBytes / (1024 * 1024));
  if (locale === 'ar') {
    return [
      'أرسل لي ملف PDF وسأحوّله إلى فيديو قصير يقدّمه مذيع افتراضي بلغة المستند.',
      '',
      `${RLM}• الحدود: ${limits.max} فيديوهات كل ${formatDuration(limits.windowSeconds, 'ar')}، و${limits.maxActive} في الوقت نفسه، وحجم الملف حتى ${mib} ميغابايت.`,
      '• الملف: يُقرأ نصه لكتابة النص التقديمي ثم يُحذف من خوادمنا بعد إنشاء الفيديو.',
      COMMANDS_LINE[platform].ar,
    ].join('\n');
  }
  return [
    'Send me a PDF and I will turn it into a short video with a virtual presenter, in the document’s own language.',
    '',
    `• Limits: ${limits.max} videos per ${formatDuration(limits.windowSeconds)}, ${limits.maxActive} at a time, PDFs up to ${mib} MiB.`,
    '• Your file: its text is read to write the presenter script, sent to our script writer (an LLM) and video renderer, and the PDF is deleted from our servers once the video is made.',
    COMMANDS_LINE[platform].en,
  ].join('\n');
}

// --- Added for the chat front doors: avatar choice, command usage, hints --------------------

const AVATAR_LABEL: Record<Locale, Record<AvatarStyle, string>> = {
  en: { professional: '👔 Professional', friendly: '😊 Friendly' },
  ar: { professional: '👔 رسمي', friendly: '😊 ودود' },
};

export function avatarLabel(locale: Locale, style: AvatarStyle): string {
  return AVATAR_LABEL[locale][style];
}

export function avatarPromptText(locale: Locale, current: AvatarStyle): string {
  return locale === 'ar'
    ? `اختر مقدّم الفيديو. الاختيار الحالي: ${AVATAR_LABEL.ar[current]}`
    : `Choose the presenter for your videos. Current choice: ${AVATAR_LABEL.en[current]}`;
}

export function avatarChosenText(locale: Locale, style: AvatarStyle): string {
  return locale === 'ar'
    ? `✅ سيقدّم فيديوهاتك القادمة: ${AVATAR_LABEL.ar[style]}`
    : `✅ Your next videos will use: ${AVATAR_LABEL.en[style]}`;
}

// --- The document's language, when the user chooses it (the Slack form, the web page) --------

/** Languages offered in the forms (the script writer and the voices cover these). */
export const CHOOSABLE_LANGUAGES = [
  'en',
  'ar',
  'de',
  'fr',
  'es',
  'it',
  'pt',
  'nl',
  'ru',
  'tr',
  'fa',
  'he',
  'hi',
  'zh',
  'ja',
  'ko',
] as const;

/** A language's name in our locale ("Arabic", "العربية"), or its code when ICU has none. */
export function languageName(code: string, locale: Locale): string {
  try {
    const name = new Intl.DisplayNames([locale], { type: 'language' }).of(code);
    return name && name !== code ? name : code;
  } catch {
    return code;
  }
}

// --- Video style: layout and captions (Telegram /style, the Slack form, the CLI flags) ---------

/** The user's style choices, as shown; unset ones are the configuration's defaults. */
export interface StyleChoice {
  layout: VideoLayout;
  captions: boolean;
}

const LAYOUT_LABEL: Record<Locale, Record<VideoLayout, string>> = {
  en: { slides: '📄 Pages + presenter', presenter: '🧑 Presenter only' },
  ar: { slides: '📄 الصفحات مع المقدّم', presenter: '🧑 المقدّم فقط' },
};

const CAPTIONS_LABEL: Record<Locale, Record<'on' | 'off', string>> = {
  en: { on: '💬 Captions on', off: '🔇 Captions off' },
  ar: { on: '💬 الترجمة المكتوبة مفعّلة', off: '🔇 بدون ترجمة مكتوبة' },
};

export function layoutLabel(locale: Locale, layout: VideoLayout): string {
  return LAYOUT_LABEL[locale][layout];
}

export function captionsLabel(locale: Locale, on: boolean): string {
  return CAPTIONS_LABEL[locale][on ? 'on' : 'off'];
}

function styleSummary(locale: Locale, c: StyleChoice): string {
  return `${layoutLabel(locale, c.layout)} · ${captionsLabel(locale, c.captions)}`;
}

export function stylePromptText(locale: Locale, current: StyleChoice): string {
  return locale === 'ar'
    ? `اختر شكل فيديوهاتك: صفحات المستند مع المقدّم في الزاوية، أو المقدّم وحده؛ ومع ترجمة مكتوبة أو بدونها. الاختيار الحالي: ${styleSummary('ar', current)}`
    : `Choose how your videos look: the document's pages with the presenter in a corner, or the presenter alone; with captions or without. Current choice: ${styleSummary('en', current)}`;
}

export function styleChosenText(locale: Locale, chosen: StyleChoice): string {
  return locale === 'ar'
    ? `✅ فيديوهاتك القادمة: ${styleSummary('ar', chosen)}`
    : `✅ Your next videos: ${styleSummary('en', chosen)}`;
}

export function cancelUsageText(locale: Locale, platform: 'telegram' | 'slack' = 'telegram'): string {
  if (platform === 'slack') {
    return locale === 'ar'
      ? `${RLM}الاستخدام: ‎/doc2video cancel <id> (استخدم ‎/doc2video status لعرض مهامك).`
      : 'Usage: `/doc2video cancel <job id>` (see `/doc2video status`).';
  }
  return locale === 'ar'
    ? `${RLM}اكتب ‎/cancel متبوعاً برقم المهمة، مثل: ‎/cancel abc123xyz9. استخدم ‎/status لعرض مهامك.`
    : 'Type /cancel followed by the job id, e.g. /cancel abc123xyz9. See /status for your jobs.';
}

/** The help's extra line for operators (Slack has no per-user command menu to show it in). */
export function operatorHelpLine(locale: Locale): string {
  return locale === 'ar'
    ? `${RLM}• للمشغّلين: ‎/doc2video usage [YYYY-MM-DD] المهام والتكلفة ليوم (بتوقيت UTC).`
    : "• Operators: `/doc2video usage [YYYY-MM-DD]` shows a day's jobs and cost (UTC).";
}

/** The message that says a job failed: the code, what happened and what to do. */
export function failureText(locale: Locale, error: JobError, show: UserText): string {
  return `❌ ${show(error.userMessage(locale))}`;
}

/** Files shared with the app that are not PDFs, named (their names are user-derived). */
export function notPdfText(locale: Locale, names: string[], show: UserText): string {
  return `❌ ${describeError('NOT_A_PDF', locale)} (${names.map(show).join(', ')})`;
}

/** A private message that is not a PDF, or /video with nothing to act on. */
export function sendPdfHintText(locale: Locale, where: 'private' | 'group'): string {
  if (where === 'group') {
    return locale === 'ar'
      ? `${RLM}أرسل ملف PDF مع ‎/video في تعليقه، أو ردّ على ملف PDF بالأمر ‎/video.`
      : 'Send a PDF with /video in its caption, or reply /video to a PDF.';
  }
  return locale === 'ar'
    ? 'أرسل لي ملف PDF كمستند وسأحوّله إلى فيديو. اكتب ‎/help لمعرفة المزيد.'
    : 'Send me a PDF as a document and I will turn it into a video. Type /help to learn more.';
}

/** The progress message's last state when the job failed (the reply below says what to do). */
export function failedProgressText(locale: Locale, code: ErrorCode): string {
  return locale === 'ar' ? `${RLM}✖ توقّف: ${code}` : `✖ Stopped: ${code}`;
}

/** The command menu a chat client shows (Telegram's setMyCommands), per language. */
export function commandMenu(locale: Locale): { command: string; description: string }[] {
  const d =
    locale === 'ar'
      ? {
          help: 'ما يفعله البوت وحدوده',
          status: 'مهامك وحالتها',
          cancel: 'إلغاء مهمة: ‎/cancel <id>',
          avatar: 'اختيار مقدّم الفيديو',
          style: 'شكل الفيديو والترجمة المكتوبة',
          video: 'ردّ بها على ملف PDF في مجموعة',
        }
      : {
          help: 'What the bot does, and its limits',
          status: 'Your jobs and where they are',
          cancel: 'Stop a job: /cancel <id>',
          avatar: 'Choose the presenter',
          style: 'Layout (slides or presenter) and captions',
          video: 'Reply to a PDF in a group to make its video',
        };
  return (['help', 'status', 'cancel', 'avatar', 'style', 'video'] as const).map((command) => ({
    command,
    description: d[command],
  }));
}
