import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobError } from '../../../src/errors.js';
import {
  IMAGE_PAGE_MAX_CHARS,
  MIN_REAL_CHARS,
  capText,
  classifyPdf,
  cleanInfoTitle,
  codeForParseError,
  countRealChars,
  detectLanguage,
  firstLineTitle,
  guessLanguageFromScript,
  hasPdfHeader,
  letterRatio,
  normalizeText,
  scanVerdict,
  textStats,
  type PageFacts,
  type PdfFacts,
} from '../../../pipeline/pdf/classify.js';

const INVISIBLES = [
  ' ', '\t', '\n', '\r', '\f', '\u00A0', '\u2003', '\u3000',
  '\u200E', '\u200F', '\u061C', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E',
  '\u2066', '\u2067', '\u2068', '\u2069', '\u0000', '\u0003', '\u001F', '\u007F', '\uFEFF', '\u00AD',
];

/** `s` with characters from `extra` inserted at the given positions. */
function interleave(s: string, inserts: Array<[number, string]>): string {
  const chars = [...s];
  for (const [pos, ch] of inserts) chars.splice(pos % (chars.length + 1), 0, ch);
  return chars.join('');
}

const invisibleInserts = fc.array(fc.tuple(fc.nat(), fc.constantFrom(...INVISIBLES)), { maxLength: 40 });

function expectJobError(fn: () => unknown, code: string): JobError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JobError);
    expect((e as JobError).code).toBe(code);
    return e as JobError;
  }
  throw new Error(`expected JobError ${code}, got a result`);
}

const ENGLISH =
  'The committee met on Tuesday to discuss the budget for the coming year. Members agreed that the ' +
  'library needs new shelves, better lighting and longer opening hours during the exam period.';
const GERMAN =
  'Die Versammlung hat am Dienstag über den Haushalt für das kommende Jahr beraten. Die Mitglieder waren ' +
  'sich einig, dass die Bibliothek neue Regale, bessere Beleuchtung und längere Öffnungszeiten braucht.';
const FRENCH =
  "Le comité s'est réuni mardi pour discuter du budget de l'année prochaine. Les membres ont convenu que " +
  'la bibliothèque a besoin de nouvelles étagères, d’un meilleur éclairage et d’horaires plus longs.';
const ARABIC =
  'اجتمعت اللجنة يوم الثلاثاء لمناقشة ميزانية العام المقبل. واتفق الأعضاء على أن المكتبة تحتاج إلى رفوف ' +
  'جديدة وإضاءة أفضل وساعات عمل أطول خلال فترة الامتحانات في نهاية الفصل الدراسي.';
const RUSSIAN =
  'Комитет собрался во вторник, чтобы обсудить бюджет на следующий год. Участники согласились, что ' +
  'библиотеке нужны новые полки, лучшее освещение и более долгие часы работы во время экзаменов.';

const PORTUGUESE =
  'O comitê reuniu-se na terça-feira para discutir o orçamento do próximo ano. Os membros concordaram que a ' +
  'biblioteca precisa de novas prateleiras, melhor iluminação e horários mais longos durante o período de provas.';
const SPANISH =
  'El comité se reunió el martes para discutir el presupuesto del próximo año. Los miembros acordaron que la ' +
  'biblioteca necesita estanterías nuevas, mejor iluminación y horarios más largos durante el período de exámenes.';
// Bulgarian and Russian score within a hair of Macedonian in franc: the near-tie rule decides.
const BULGARIAN =
  'Комитетът се събра във вторник, за да обсъди бюджета за следващата година. Членовете се съгласиха, че ' +
  'библиотеката се нуждае от нови рафтове, по-добро осветление и по-дълго работно време по време на изпитите.';
const UKRAINIAN =
  'Комітет зібрався у вівторок, щоб обговорити бюджет на наступний рік. Учасники погодилися, що бібліотеці ' +
  'потрібні нові полиці, краще освітлення та довші години роботи під час екзаменів.';
const PERSIAN =
  'کمیته روز سه‌شنبه برای بحث درباره بودجه سال آینده تشکیل جلسه داد. اعضا توافق کردند که کتابخانه به ' +
  'قفسه‌های جدید، نور بهتر و ساعات کاری طولانی‌تر در دوره امتحانات نیاز دارد.';

function facts(text: string, extra: Partial<PdfFacts> = {}): PdfFacts {
  return { pages: 1, pageFacts: [textStats(text)], text, ...extra };
}

describe('hasPdfHeader', () => {
  it('finds %PDF- at the start or anywhere in the first 1024 bytes', () => {
    expect(hasPdfHeader(Buffer.from('%PDF-1.7\n'))).toBe(true);
    expect(hasPdfHeader(Buffer.from(`${' '.repeat(1000)}%PDF-1.4`))).toBe(true);
  });
  it('rejects empty input, a PNG, HTML, and a header after byte 1024', () => {
    expect(hasPdfHeader(Buffer.alloc(0))).toBe(false);
    expect(hasPdfHeader(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(false);
    expect(hasPdfHeader(Buffer.from('<!DOCTYPE html><html></html>'))).toBe(false);
    expect(hasPdfHeader(Buffer.from(`${' '.repeat(1020)}%PDF-1.4`))).toBe(false);
    expect(hasPdfHeader(Buffer.from('%PDF'))).toBe(false);
  });
});

describe('real characters', () => {
  it('leaves out whitespace, direction marks, control characters and page separators', () => {
    expect(countRealChars('a b\tc\n')).toBe(3);
    expect(countRealChars('\u200Fحبيبي\u200E')).toBe(5);
    expect(countRealChars('\u202Bab\u202C\u2066c\u2069\u061C')).toBe(3);
    expect(countRealChars('x\u0003y\u0000')).toBe(2);
    expect(countRealChars('Hello\n\n-- 1 of 12 --\n\nWorld\n-- 2 of 12 --')).toBe(10);
  });
  it('counts ligatures as their letters (NFKC) and code points, not UTF-16 units', () => {
    expect(countRealChars('ﬁne')).toBe(4);
    expect(countRealChars('𝐀𝐁')).toBe(2);
  });
  it('letters and digits of any script count as letters; marks too', () => {
    expect(textStats('abc 123').letters).toBe(6);
    expect(textStats('حبيبي').letters).toBe(5);
    expect(textStats('日本語').letters).toBe(3);
    expect(textStats('नमस्ते').letters).toBe(textStats('नमस्ते').chars);
    expect(textStats('... !!! ???').letters).toBe(0);
  });

  it('property: inserting whitespace, direction marks or control characters never changes the count', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), invisibleInserts, (s, inserts) => {
        expect(countRealChars(interleave(s, inserts))).toBe(countRealChars(s));
        expect(textStats(interleave(s, inserts))).toEqual(textStats(s));
      }),
      { numRuns: 500 },
    );
  });
  it('property: the same holds for arbitrary code points, not only well-formed graphemes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), invisibleInserts, (s, inserts) => {
        expect(countRealChars(interleave(s, inserts))).toBe(countRealChars(s));
      }),
      { numRuns: 500 },
    );
  });
  it('property: letter ratio is a share (0..1) and letters never exceed characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const st = textStats(s);
        expect(st.letters).toBeLessThanOrEqual(st.chars);
        const r = letterRatio(s);
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('normalizeText', () => {
  it('collapses spaces, trims lines, keeps at most one blank line, drops marks and separators', () => {
    expect(normalizeText('  Title \u00A0 here \r\n\r\n\r\n\r\n  body\u200F text\u0003 \n-- 1 of 2 --\n')).toBe(
      'Title here\n\nbody text',
    );
  });
  it('keeps zero width non-joiners (Persian words need them)', () => {
    expect(normalizeText('می\u200Cخواهم')).toBe('می\u200Cخواهم');
  });
  it('property: idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const once = normalizeText(s);
        expect(normalizeText(once)).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });
  it('property: keeps every real character (same count before and after)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), invisibleInserts, (s, inserts) => {
        const raw = interleave(s, inserts);
        expect(countRealChars(normalizeText(raw))).toBe(countRealChars(raw));
      }),
      { numRuns: 500 },
    );
  });
  it('capText never exceeds the cap and never splits a surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 1, max: 150 }), (s, max) => {
        const out = capText(s, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(s.startsWith(out.trimEnd()) || s.startsWith(out)).toBe(true);
        expect(/[\uD800-\uDBFF]$/.test(out)).toBe(false);
      }),
    );
  });
});

describe('detectLanguage', () => {
  it('names the language of a paragraph (ISO 639-1)', () => {
    expect(detectLanguage(ENGLISH)).toBe('en');
    expect(detectLanguage(GERMAN)).toBe('de');
    expect(detectLanguage(FRENCH)).toBe('fr');
    expect(detectLanguage(ARABIC)).toBe('ar');
    expect(detectLanguage(RUSSIAN)).toBe('ru');
    expect(detectLanguage(PORTUGUESE)).toBe('pt');
    expect(detectLanguage(SPANISH)).toBe('es');
    expect(detectLanguage(BULGARIAN)).toBe('bg');
    expect(detectLanguage(UKRAINIAN)).toBe('uk');
    expect(detectLanguage(PERSIAN)).toBe('fa');
  });
  it('falls back to the script for short text', () => {
    expect(detectLanguage('مرحبا بكم')).toBe('ar');
    expect(detectLanguage('שלום עולם')).toBe('he');
    expect(detectLanguage('안녕하세요 여러분')).toBe('ko');
    expect(detectLanguage('こんにちは、世界')).toBe('ja');
    expect(detectLanguage('你好，世界')).toBe('zh');
    expect(detectLanguage('Привет, мир')).toBe('ru');
    expect(detectLanguage('नमस्ते दुनिया')).toBe('hi');
    expect(detectLanguage('سلام، چطوری؟ خیلی خوبم')).toBe('fa');
    expect(detectLanguage('Hello there')).toBe('en');
    expect(detectLanguage('12345 678')).toBe('en');
  });
  it('script guess: the script with most letters wins; kanji with kana is Japanese', () => {
    expect(guessLanguageFromScript('habibi حبيبي حبيبي ΒΘ')).toBe('ar');
    expect(guessLanguageFromScript('東京都の天気は晴れです')).toBe('ja');
    expect(guessLanguageFromScript('北京市天气晴朗')).toBe('zh');
  });
  it('property: always a two-letter code', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (s) => {
        expect(detectLanguage(s)).toMatch(/^[a-z]{2}$/);
      }),
      { numRuns: 200 },
    );
  });
});

describe('titles', () => {
  it('uses a meaningful Info Title, cleaned', () => {
    expect(cleanInfoTitle('  Annual   Report 2024 ')).toBe('Annual Report 2024');
    expect(cleanInfoTitle('imagemagick-images\u0000')).toBe('imagemagick-images');
    expect(cleanInfoTitle('Microsoft Word - Quarterly Results.docx')).toBe('Quarterly Results');
    expect(cleanInfoTitle('Microsoft PowerPoint - pitch_deck_v2.pptx')).toBe('pitch deck v2');
    expect(cleanInfoTitle('C:\\Users\\bob\\Documents\\thesis_final.pdf')).toBe('thesis final');
  });
  it('rejects placeholders and non-titles', () => {
    for (const t of ['untitled', 'Untitled document', '', '   ', 'Document1', 'Microsoft Word - Document1', '1', '???', null, 42]) {
      expect(cleanInfoTitle(t)).toBeUndefined();
    }
  });
  it('truncates long titles to about 80 characters at a word', () => {
    const t = cleanInfoTitle('word '.repeat(40))!;
    expect(t.length).toBeLessThanOrEqual(80);
    expect(t.endsWith('…')).toBe(true);
  });
  it('falls back to the first line with a letter', () => {
    expect(firstLineTitle('1\n\nIntroduction to Topology\nbody')).toBe('Introduction to Topology');
    expect(firstLineTitle('123\n456')).toBeUndefined();
  });
});

describe('scanVerdict', () => {
  const textPage: PageFacts = { chars: 2000, letters: 1700 };
  const imagePage: PageFacts = { chars: 0, letters: 0, hasImage: true };
  it('no text next to an image is a scan', () => {
    expect(scanVerdict([imagePage]).scanned).toBe(true);
    expect(scanVerdict([{ chars: 4, letters: 4, hasImage: true }]).scanned).toBe(true);
  });
  it('a one-line watermark on an image page is still a scan', () => {
    expect(scanVerdict([{ chars: 60, letters: 50, hasImage: true }]).scanned).toBe(true);
  });
  it('an image on a page full of text is not', () => {
    expect(scanVerdict([{ ...textPage, hasImage: true }]).scanned).toBe(false);
    expect(scanVerdict([textPage, textPage, imagePage]).scanned).toBe(false);
  });
  it('a typed cover page before scanned pages is a scan', () => {
    expect(scanVerdict([textPage, ...Array(9).fill(imagePage)]).scanned).toBe(true);
  });
  it('half photos, half full text pages is not; half photos with sparse text is', () => {
    expect(scanVerdict([textPage, imagePage, textPage, imagePage]).scanned).toBe(false);
    const caption: PageFacts = { chars: 300, letters: 280 };
    expect(scanVerdict([caption, imagePage, caption, imagePage]).scanned).toBe(true);
  });
  it('extrapolates from a sample of the pages with little text', () => {
    const unchecked: PageFacts = { chars: 10, letters: 10 };
    const pages = [...Array(20).fill(imagePage), ...Array(80).fill(unchecked)];
    expect(scanVerdict(pages).imageOnlyPages).toBe(100);
    expect(scanVerdict(pages).scanned).toBe(true);
  });
  it('blank pages without images are not a scan', () => {
    expect(scanVerdict([{ chars: 0, letters: 0, hasImage: false }]).scanned).toBe(false);
    expect(scanVerdict([]).scanned).toBe(false);
  });
  it(`the image-page threshold is ${IMAGE_PAGE_MAX_CHARS} characters`, () => {
    expect(scanVerdict([{ chars: IMAGE_PAGE_MAX_CHARS, letters: 90, hasImage: true }]).imageOnlyPages).toBe(0);
    expect(scanVerdict([{ chars: IMAGE_PAGE_MAX_CHARS - 1, letters: 90, hasImage: true }]).imageOnlyPages).toBe(1);
  });
});

describe('classifyPdf', () => {
  it('returns pages, real char count, language, title and normalised text', () => {
    const r = classifyPdf(facts(`Budget Meeting\n\n${ENGLISH}`, { pages: 3, infoTitle: 'untitled' }));
    expect(r).toMatchObject({ pages: 3, language: 'en', title: 'Budget Meeting' });
    expect(r.chars).toBe(countRealChars(`Budget Meeting${ENGLISH}`));
    expect(r.text.startsWith('Budget Meeting\n\nThe committee')).toBe(true);
  });
  it('prefers a meaningful Info Title', () => {
    expect(classifyPdf(facts(ENGLISH, { infoTitle: 'Library Plans' })).title).toBe('Library Plans');
  });
  it('caps the text but counts every character', () => {
    const long = `${ENGLISH} `.repeat(50);
    const r = classifyPdf(facts(long), { maxChars: 1000 });
    expect(r.text.length).toBeLessThanOrEqual(1000);
    expect(r.chars).toBe(countRealChars(long));
  });
  it(`fewer than ${MIN_REAL_CHARS} real characters: TEXT_TOO_SHORT, however much whitespace`, () => {
    const s = 'a'.repeat(MIN_REAL_CHARS - 1);
    expectJobError(() => classifyPdf(facts(`${s}${'\u200F \n'.repeat(500)}`)), 'TEXT_TOO_SHORT');
    expect(classifyPdf(facts(`${'a'.repeat(MIN_REAL_CHARS)}`)).chars).toBe(MIN_REAL_CHARS);
  });
  it('mostly symbols: TEXT_GIBBERISH; Arabic, Cyrillic and CJK text is not gibberish', () => {
    expectJobError(() => classifyPdf(facts('\uE000\uE001\uE002 '.repeat(30) + 'abc')), 'TEXT_GIBBERISH');
    expectJobError(() => classifyPdf(facts('!@#$%^&*()_+{}|:"<>?'.repeat(5))), 'TEXT_GIBBERISH');
    expect(classifyPdf(facts(ARABIC)).language).toBe('ar');
    expect(classifyPdf(facts(RUSSIAN)).language).toBe('ru');
    expect(classifyPdf(facts('東京都の天気は晴れです。明日は雨が降るでしょう。'.repeat(4))).language).toBe('ja');
  });
  it('image pages with no text: PDF_SCANNED (before TEXT_TOO_SHORT)', () => {
    const f: PdfFacts = { pages: 2, pageFacts: [{ chars: 0, letters: 0, hasImage: true }, { chars: 3, letters: 3, hasImage: true }], text: 'abc' };
    expectJobError(() => classifyPdf(f), 'PDF_SCANNED');
  });
  it('property: direction marks and whitespace sprinkled into the text never change the outcome', () => {
    fc.assert(
      fc.property(fc.constantFrom(ENGLISH, ARABIC, 'short text', '#### **** ####'.repeat(8)), invisibleInserts, (base, inserts) => {
        const outcome = (t: string) => {
          try {
            const r = classifyPdf(facts(t));
            return { chars: r.chars, language: r.language };
          } catch (e) {
            return (e as JobError).code;
          }
        };
        expect(outcome(interleave(base, inserts))).toEqual(outcome(base));
      }),
      { numRuns: 200 },
    );
  });
});

describe('codeForParseError', () => {
  it('maps pdf-parse exception names', () => {
    expect(codeForParseError('PasswordException')).toBe('PDF_ENCRYPTED');
    expect(codeForParseError('InvalidPDFException')).toBe('PDF_CORRUPT');
    expect(codeForParseError('FormatError')).toBe('PDF_CORRUPT');
    expect(codeForParseError('RangeError')).toBe('PDF_CORRUPT');
  });
});
