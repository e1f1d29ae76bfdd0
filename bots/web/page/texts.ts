// The page's own labels, in English and Arabic. What a job is doing (steps, errors, the choices'
// names) comes from the server (GET /page.json), in the words the chat doors use.
import type { PageLocale } from './types.js';

const EN = {
  title: 'doc2video — turn a PDF into a video',
  heading: 'Turn a PDF into a short video',
  tagline: 'Upload a PDF and get a short explainer video: its pages, a presenter, captions.',
  dropTitle: 'Drop a PDF here',
  dropOr: 'or',
  choose: 'Choose a PDF',
  fileHint: 'PDF with selectable text, up to {size}.',
  chosen: 'Chosen: {name} ({size})',
  avatar: 'Presenter',
  layout: 'Layout',
  captions: 'Captions',
  language: 'Document language',
  autoLanguage: 'Detect it from the document',
  submit: 'Make the video',
  uploading: 'Uploading the PDF… {percent}%',
  queued: 'In the queue…',
  progressLabel: 'Progress',
  jobTitle: 'Your video',
  cancel: 'Cancel',
  again: 'Make another video',
  downloadVideo: 'Download the video (MP4)',
  downloadCaptions: 'Download the captions (WebVTT)',
  errorCode: 'Error code: {code}',
  noFile: 'Choose a PDF first.',
  uploadFailed: 'The upload did not go through (the connection dropped).',
  uploadFailedNext: 'Check your connection and try again.',
  lost: 'The connection to the server dropped; reconnecting…',
  resumeTitle: 'Your videos from earlier',
  resume: 'Resume',
  dismiss: 'Forget it',
  resumeItem: '{name} — started {time}',
  uploadsOff: 'Uploads from this page are turned off on this server.',
  uploadsKeys: 'This server takes uploads from programs with an API key only (see the API below).',
  api: 'For programs: the JSON API, described at',
  videoLabel: 'The video made from {name}',
  minutesAgo: '{n} min ago',
  justNow: 'just now',
  loadFailed: 'The page could not load its settings from the server. Reload to try again.',
} as const;

export type PageText = keyof typeof EN;

const AR: Record<PageText, string> = {
  title: 'doc2video — حوّل ملف PDF إلى فيديو',
  heading: 'حوّل ملف PDF إلى فيديو قصير',
  tagline: 'ارفع ملف PDF واحصل على فيديو قصير يشرحه: صفحاته، ومقدّم، وترجمة مكتوبة.',
  dropTitle: 'أفلت ملف PDF هنا',
  dropOr: 'أو',
  choose: 'اختر ملف PDF',
  fileHint: 'ملف PDF بنص قابل للتحديد، حتى {size}.',
  chosen: 'الملف المختار: {name} ({size})',
  avatar: 'المقدّم',
  layout: 'شكل الفيديو',
  captions: 'الترجمة المكتوبة',
  language: 'لغة المستند',
  autoLanguage: 'اكتشفها من المستند',
  submit: 'أنشئ الفيديو',
  uploading: 'جارٍ رفع الملف… {percent}٪',
  queued: 'في قائمة الانتظار…',
  progressLabel: 'التقدّم',
  jobTitle: 'الفيديو الخاص بك',
  cancel: 'إلغاء',
  again: 'أنشئ فيديو آخر',
  downloadVideo: 'نزّل الفيديو (MP4)',
  downloadCaptions: 'نزّل الترجمة المكتوبة (WebVTT)',
  errorCode: 'رمز الخطأ: {code}',
  noFile: 'اختر ملف PDF أولاً.',
  uploadFailed: 'لم يكتمل رفع الملف (انقطع الاتصال).',
  uploadFailedNext: 'تحقّق من اتصالك وحاول مرة أخرى.',
  lost: 'انقطع الاتصال بالخادم؛ جارٍ إعادة الاتصال…',
  resumeTitle: 'فيديوهاتك السابقة',
  resume: 'متابعة',
  dismiss: 'تجاهل',
  resumeItem: '{name} — بدأ {time}',
  uploadsOff: 'الرفع من هذه الصفحة متوقف على هذا الخادم.',
  uploadsKeys: 'يقبل هذا الخادم الرفع من البرامج بمفتاح API فقط (انظر الواجهة البرمجية أدناه).',
  api: 'للبرامج: واجهة JSON البرمجية، موصوفة في',
  videoLabel: 'الفيديو المصنوع من {name}',
  minutesAgo: 'قبل {n} دقيقة',
  justNow: 'الآن',
  loadFailed: 'تعذّر على الصفحة تحميل إعداداتها من الخادم. أعد تحميل الصفحة للمحاولة مرة أخرى.',
};

const TABLES: Record<PageLocale, Record<PageText, string>> = { en: EN, ar: AR };

/** The page's language: Arabic for an Arabic browser, English otherwise (`?lang=` overrides). */
export function pageLocale(search: string, languages: readonly string[]): PageLocale {
  const asked = new URLSearchParams(search).get('lang');
  const first = asked ?? languages[0] ?? 'en';
  return first.toLowerCase().startsWith('ar') ? 'ar' : 'en';
}

export function t(locale: PageLocale, key: PageText, vars: Record<string, string | number> = {}): string {
  return TABLES[locale][key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}

/** "4.2 MB", "16 KB" (Western digits in both locales, as in the chat texts). */
export function formatSize(bytes: number, locale: PageLocale): string {
  const mb = bytes / (1024 * 1024);
  if (mb < 1) {
    const kb = Math.max(1, Math.round(bytes / 1024));
    return locale === 'ar' ? `${kb} كيلوبايت` : `${kb} KB`;
  }
  const n = mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10;
  return locale === 'ar' ? `${n} ميغابايت` : `${n} MB`;
}
