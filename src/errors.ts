// Stable error codes: the same code appears in the chat message, the CLI output and the log line.
// Codes are part of our public contract: add new ones, never rename.

export const ERROR_CODES = [
  'PDF_TOO_LARGE',
  'NOT_A_PDF',
  'PDF_ENCRYPTED',
  'PDF_CORRUPT',
  // Reading the PDF ran out of time (retried when the machine, not the file, was the cause).
  'PDF_PARSE_TIMEOUT',
  'PDF_SCANNED',
  'TEXT_TOO_SHORT',
  'TEXT_GIBBERISH',
  'SCRIPT_INVALID',
  'RATE_LIMITED',
  'LLM_UNAVAILABLE',
  'LLM_NO_CREDITS',
  'VIDEO_FAILED',
  'VIDEO_REJECTED',
  'VIDEO_TIMEOUT',
  'VIDEO_TOO_LARGE',
  'CANCELLED',
  'BUDGET_EXCEEDED',
  // The service-wide intake ceiling (MAX_QUEUED_JOBS) is reached: nothing was stored.
  'SERVICE_BUSY',
  // The operator limited the service to some users or workspaces (ALLOWED_TELEGRAM_USERS,
  // ALLOWED_SLACK_TEAMS) and this one is not among them.
  'NOT_ALLOWED',
  // Not in the user-facing list of the spec, but a user can meet it: a provider or platform
  // failed in a way we could not classify. Kept distinct so operators can find it.
  'INTERNAL',
  // The web API (/api/v1): a request it cannot take, whatever the job.
  'UNAUTHORIZED',
  'NOT_FOUND',
  'BAD_REQUEST',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type Locale = 'en' | 'ar';

interface Explanation {
  what: string;
  next: string;
}

type Vars = Record<string, string | number>;

const fill = (s: string, vars: Vars) => s.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));

const EN: Record<ErrorCode, Explanation> = {
  PDF_TOO_LARGE: { what: 'The PDF is larger than {limit}.', next: 'Send a smaller PDF (split it or compress it).' },
  NOT_A_PDF: { what: 'This file is not a PDF.', next: 'Send the document as a .pdf file.' },
  PDF_ENCRYPTED: { what: 'The PDF is protected by a password.', next: 'Remove the password and send it again.' },
  PDF_CORRUPT: { what: 'The PDF is damaged and cannot be read.', next: 'Export it again from the original app and resend it.' },
  PDF_PARSE_TIMEOUT: {
    what: 'Reading the PDF took longer than allowed; the service may have been busy.',
    next: 'Please send it again in a few minutes. If it keeps happening, send a smaller or simpler PDF.',
  },
  PDF_SCANNED: {
    what: 'The PDF holds only images of pages (a scan) and no selectable text.',
    next: 'Send a PDF with selectable text, or run OCR on it first.',
  },
  TEXT_TOO_SHORT: { what: 'The PDF has too little text to present.', next: 'Send a document with at least a few sentences.' },
  TEXT_GIBBERISH: {
    what: 'The text in the PDF does not read as language (broken fonts or encoding).',
    next: 'Export the PDF again with embedded fonts, or send another document.',
  },
  SCRIPT_INVALID: {
    what: 'We could not write a presenter script of the right length for this document.',
    next: 'Try again, or send a shorter or more focused document.',
  },
  RATE_LIMITED: { what: 'You have reached the limit of {max} videos per {window}.', next: 'Try again in {retry}.' },
  LLM_UNAVAILABLE: { what: 'The script writer is not available right now.', next: 'Please try again in a few minutes.' },
  LLM_NO_CREDITS: {
    what: 'The service has run out of script-writing credits.',
    next: 'The operator has been told; please try again later.',
  },
  VIDEO_FAILED: { what: 'The video renderer failed to make the video.', next: 'Please try again in a few minutes.' },
  VIDEO_REJECTED: {
    what: "The video renderer's content moderation rejected the script.",
    next: 'Send a different document.',
  },
  VIDEO_TIMEOUT: { what: 'The video took too long to render.', next: 'Please try again later.' },
  VIDEO_TOO_LARGE: { what: 'The finished video is too large to send here.', next: 'Try a shorter document.' },
  CANCELLED: { what: 'The video was cancelled.', next: 'Send the PDF again whenever you like.' },
  BUDGET_EXCEEDED: {
    what: "Today's video budget has been used up.",
    next: 'Please try again tomorrow.',
  },
  SERVICE_BUSY: { what: 'The service is busy with many videos right now.', next: 'Please try again in a few minutes.' },
  NOT_ALLOWED: { what: 'This service is not open to your account.', next: 'Ask its operator for access.' },
  INTERNAL: { what: 'Something went wrong on our side.', next: 'Please try again; if it keeps happening, tell the operator.' },
  UNAUTHORIZED: {
    what: 'The API key is missing or not valid.',
    next: 'Send `Authorization: Bearer <key>` with a key from the operator.',
  },
  NOT_FOUND: { what: 'There is no such video, or it is not yours.', next: 'Check the id; videos are kept for a limited time.' },
  BAD_REQUEST: { what: 'The request is not valid.', next: 'Check the fields and their values against the API description.' },
};

const AR: Record<ErrorCode, Explanation> = {
  PDF_TOO_LARGE: { what: 'حجم الملف أكبر من {limit}.', next: 'أرسل ملف PDF أصغر (قسّمه أو اضغطه).' },
  NOT_A_PDF: { what: 'هذا الملف ليس بصيغة PDF.', next: 'أرسل المستند كملف ‎.pdf.' },
  PDF_ENCRYPTED: { what: 'الملف محمي بكلمة مرور.', next: 'أزل كلمة المرور ثم أرسله مرة أخرى.' },
  PDF_CORRUPT: { what: 'الملف تالف ولا يمكن قراءته.', next: 'صدّره مرة أخرى من التطبيق الأصلي وأعد إرساله.' },
  PDF_PARSE_TIMEOUT: {
    what: 'استغرقت قراءة الملف وقتاً أطول من المسموح؛ ربما كانت الخدمة مشغولة.',
    next: 'يرجى إرساله مرة أخرى بعد بضع دقائق. وإن تكرر الأمر فأرسل ملفاً أصغر أو أبسط.',
  },
  PDF_SCANNED: {
    what: 'الملف يحتوي على صور للصفحات فقط (مسح ضوئي) بلا نص قابل للتحديد.',
    next: 'أرسل ملف PDF بنص قابل للتحديد، أو استخدم التعرف الضوئي على الحروف أولاً.',
  },
  TEXT_TOO_SHORT: { what: 'النص في الملف قصير جداً.', next: 'أرسل مستنداً يحتوي على بضع جمل على الأقل.' },
  TEXT_GIBBERISH: {
    what: 'النص في الملف غير مقروء (خطوط أو ترميز تالف).',
    next: 'صدّر الملف مرة أخرى مع تضمين الخطوط، أو أرسل مستنداً آخر.',
  },
  SCRIPT_INVALID: {
    what: 'لم نتمكن من كتابة نص تقديمي بالطول المناسب لهذا المستند.',
    next: 'حاول مرة أخرى، أو أرسل مستنداً أقصر.',
  },
  RATE_LIMITED: { what: 'وصلت إلى الحد الأقصى وهو {max} فيديوهات كل {window}.', next: 'حاول مرة أخرى بعد {retry}.' },
  LLM_UNAVAILABLE: { what: 'خدمة كتابة النص غير متاحة حالياً.', next: 'يرجى المحاولة بعد بضع دقائق.' },
  LLM_NO_CREDITS: { what: 'نفد رصيد خدمة كتابة النص.', next: 'تم إبلاغ المشغّل؛ يرجى المحاولة لاحقاً.' },
  VIDEO_FAILED: { what: 'فشل إنشاء الفيديو.', next: 'يرجى المحاولة بعد بضع دقائق.' },
  VIDEO_REJECTED: { what: 'رفض نظام الإشراف في خدمة الفيديو هذا النص.', next: 'أرسل مستنداً مختلفاً.' },
  VIDEO_TIMEOUT: { what: 'استغرق إنشاء الفيديو وقتاً أطول من اللازم.', next: 'يرجى المحاولة لاحقاً.' },
  VIDEO_TOO_LARGE: { what: 'الفيديو الناتج أكبر من أن يُرسل هنا.', next: 'جرّب مستنداً أقصر.' },
  CANCELLED: { what: 'تم إلغاء الفيديو.', next: 'أرسل الملف مرة أخرى متى شئت.' },
  BUDGET_EXCEEDED: { what: 'تم استهلاك ميزانية الفيديو لهذا اليوم.', next: 'يرجى المحاولة غداً.' },
  SERVICE_BUSY: { what: 'الخدمة مشغولة بعدد كبير من الفيديوهات الآن.', next: 'يرجى المحاولة بعد بضع دقائق.' },
  NOT_ALLOWED: { what: 'هذه الخدمة غير متاحة لحسابك.', next: 'اطلب الإذن من مشغّل الخدمة.' },
  INTERNAL: { what: 'حدث خطأ من جهتنا.', next: 'يرجى المحاولة مرة أخرى؛ وإن تكرر الأمر فأبلغ المشغّل.' },
  UNAUTHORIZED: {
    what: 'مفتاح الواجهة البرمجية مفقود أو غير صالح.',
    next: 'أرسل الترويسة `Authorization: Bearer <key>` بمفتاح من المشغّل.',
  },
  NOT_FOUND: { what: 'لا يوجد فيديو بهذا المعرّف، أو أنه ليس لك.', next: 'تحقق من المعرّف؛ تُحفظ الفيديوهات لمدة محدودة.' },
  BAD_REQUEST: { what: 'الطلب غير صالح.', next: 'راجع الحقول وقيمها وفق وصف الواجهة البرمجية.' },
};

const TABLES: Record<Locale, Record<ErrorCode, Explanation>> = { en: EN, ar: AR };

export function toLocale(languageCode: string | undefined): Locale {
  return languageCode?.toLowerCase().startsWith('ar') ? 'ar' : 'en';
}

/** "PDF_ENCRYPTED: The PDF is protected by a password. Remove the password and send it again." */
export function describeError(code: ErrorCode, locale: Locale = 'en', vars: Vars = {}): string {
  const e = TABLES[locale][code];
  return `${code}: ${fill(e.what, vars)} ${fill(e.next, vars)}`;
}

/**
 * A failure a user can meet. `retryable` tells the queue whether another attempt can help
 * (a provider outage) or not (a bad PDF). `vars` fill the user message's placeholders.
 */
export class JobError extends Error {
  override name = 'JobError';
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly options: { retryable?: boolean; vars?: Vars; cause?: unknown } = {},
  ) {
    super(detail ?? EN[code].what, { cause: options.cause });
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }

  userMessage(locale: Locale = 'en'): string {
    return describeError(this.code, locale, this.options.vars);
  }
}

export function isJobError(e: unknown): e is JobError {
  return e instanceof JobError;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} bytes`;
}

export function formatDuration(seconds: number, locale: Locale = 'en'): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return locale === 'ar' ? `${s} ثانية` : `${s} s`;
  const m = Math.ceil(s / 60);
  if (m < 60) return locale === 'ar' ? `${m} دقيقة` : `${m} min`;
  const h = Math.round((m / 60) * 10) / 10;
  return locale === 'ar' ? `${h} ساعة` : `${h} h`;
}
