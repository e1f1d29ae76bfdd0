// Sample texts and helpers shared by the PDF rule tests (text, language, title, verdict).
import fc from 'fast-check';
import { expect } from 'vitest';
import { JobError } from '../../../src/errors.js';
import { textStats } from '../../../pipeline/pdf/text.js';
import type { PdfFacts } from '../../../pipeline/pdf/verdict.js';

export const INVISIBLES = [
  ' ',
  '\t',
  '\n',
  '\r',
  '\f',
  '\u00A0',
  '\u2003',
  '\u3000',
  '\u200E',
  '\u200F',
  '\u061C',
  '\u202A',
  '\u202B',
  '\u202C',
  '\u202D',
  '\u202E',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u0000',
  '\u0003',
  '\u001F',
  '\u007F',
  '\uFEFF',
  '\u00AD',
];

/** `s` with characters from `extra` inserted at the given positions. */
export function interleave(s: string, inserts: Array<[number, string]>): string {
  const chars = [...s];
  for (const [pos, ch] of inserts) chars.splice(pos % (chars.length + 1), 0, ch);
  return chars.join('');
}

export const invisibleInserts = fc.array(fc.tuple(fc.nat(), fc.constantFrom(...INVISIBLES)), { maxLength: 40 });

export function expectJobError(fn: () => unknown, code: string): JobError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JobError);
    expect((e as JobError).code).toBe(code);
    return e as JobError;
  }
  throw new Error(`expected JobError ${code}, got a result`);
}

export const ENGLISH =
  'The committee met on Tuesday to discuss the budget for the coming year. Members agreed that the ' +
  'library needs new shelves, better lighting and longer opening hours during the exam period.';
export const GERMAN =
  'Die Versammlung hat am Dienstag über den Haushalt für das kommende Jahr beraten. Die Mitglieder waren ' +
  'sich einig, dass die Bibliothek neue Regale, bessere Beleuchtung und längere Öffnungszeiten braucht.';
export const FRENCH =
  "Le comité s'est réuni mardi pour discuter du budget de l'année prochaine. Les membres ont convenu que " +
  'la bibliothèque a besoin de nouvelles étagères, d’un meilleur éclairage et d’horaires plus longs.';
export const ARABIC =
  'اجتمعت اللجنة يوم الثلاثاء لمناقشة ميزانية العام المقبل. واتفق الأعضاء على أن المكتبة تحتاج إلى رفوف ' +
  'جديدة وإضاءة أفضل وساعات عمل أطول خلال فترة الامتحانات في نهاية الفصل الدراسي.';
export const RUSSIAN =
  'Комитет собрался во вторник, чтобы обсудить бюджет на следующий год. Участники согласились, что ' +
  'библиотеке нужны новые полки, лучшее освещение и более долгие часы работы во время экзаменов.';

export const PORTUGUESE =
  'O comitê reuniu-se na terça-feira para discutir o orçamento do próximo ano. Os membros concordaram que a ' +
  'biblioteca precisa de novas prateleiras, melhor iluminação e horários mais longos durante o período de provas.';
export const SPANISH =
  'El comité se reunió el martes para discutir el presupuesto del próximo año. Los miembros acordaron que la ' +
  'biblioteca necesita estanterías nuevas, mejor iluminación y horarios más largos durante el período de exámenes.';
// Bulgarian and Russian score within a hair of Macedonian in franc: the near-tie rule decides.
export const BULGARIAN =
  'Комитетът се събра във вторник, за да обсъди бюджета за следващата година. Членовете се съгласиха, че ' +
  'библиотеката се нуждае от нови рафтове, по-добро осветление и по-дълго работно време по време на изпитите.';
export const UKRAINIAN =
  'Комітет зібрався у вівторок, щоб обговорити бюджет на наступний рік. Учасники погодилися, що бібліотеці ' +
  'потрібні нові полиці, краще освітлення та довші години роботи під час екзаменів.';
export const PERSIAN =
  'کمیته روز سه‌شنبه برای بحث درباره بودجه سال آینده تشکیل جلسه داد. اعضا توافق کردند که کتابخانه به ' +
  'قفسه‌های جدید، نور بهتر و ساعات کاری طولانی‌تر در دوره امتحانات نیاز دارد.';

export function facts(text: string, extra: Partial<PdfFacts> = {}): PdfFacts {
  return { pages: 1, pageFacts: [textStats(text)], text, ...extra };
}
