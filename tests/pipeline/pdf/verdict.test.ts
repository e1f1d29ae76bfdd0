// The verdict rules of pipeline/pdf/verdict.ts: too short, gibberish, the result's shape (scans: scan.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobError } from '../../../src/errors.js';
import { countRealChars } from '../../../pipeline/pdf/text.js';
import { MIN_REAL_CHARS } from '../../../pipeline/pdf/scan.js';
import { capPageTexts, classifyPdf, type PdfFacts } from '../../../pipeline/pdf/verdict.js';
import { interleave, invisibleInserts, expectJobError, facts, ENGLISH, ARABIC, RUSSIAN } from './samples.js';

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
    const f: PdfFacts = {
      pages: 2,
      pageFacts: [
        { chars: 0, letters: 0, hasImage: true },
        { chars: 3, letters: 3, hasImage: true },
      ],
      text: 'abc',
    };
    expectJobError(() => classifyPdf(f), 'PDF_SCANNED');
  });
  it('property: direction marks and whitespace sprinkled into the text never change the outcome', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(ENGLISH, ARABIC, 'short text', '#### **** ####'.repeat(8)),
        invisibleInserts,
        (base, inserts) => {
          const outcome = (t: string) => {
            try {
              const r = classifyPdf(facts(t));
              return { chars: r.chars, language: r.language };
            } catch (e) {
              return (e as JobError).code;
            }
          };
          expect(outcome(interleave(base, inserts))).toEqual(outcome(base));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('gibberish by words', () => {
  const soup = '41125 {35< 02/9 76>38 o98={ 5512 <<9 0x/7 33}} 8=8 '.repeat(8);
  it('digit-and-symbol soup passes the 30% letter rule but fails the word test: TEXT_GIBBERISH', () => {
    const e = expectJobError(() => classifyPdf(facts(soup)), 'TEXT_GIBBERISH');
    expect(e.message).toMatch(/words/);
  });
  it('a numbers-heavy financial report is accepted', () => {
    const report =
      'Annual Report 2023\n\nRevenue grew to $41,125 in Q4 2023, up 12.5% from 36,560 a year earlier. ' +
      'Operating costs were 21,300 (2022: 19,870). Net profit 9,870 8,412 7,003; per share 1.24 1.10 0.98.';
    expect(classifyPdf(facts(report)).language).toBe('en');
  });
  it('property: prose with numbers passes; the same numbers with symbols and no words fail', () => {
    const num = fc.integer({ min: 0, max: 999_999 }).map((n) => n.toLocaleString('en-US'));
    fc.assert(
      fc.property(fc.array(num, { minLength: 20, maxLength: 60 }), (nums) => {
        const prose = nums.map((n, i) => `${ENGLISH.split(' ')[i % 20]} ${n}`).join(' ');
        expect(() => classifyPdf(facts(prose))).not.toThrow();
        const garbled = nums.map((n, i) => (i % 2 ? `{${n}<` : n)).join(' ');
        expectJobError(() => classifyPdf(facts(garbled)), 'TEXT_GIBBERISH');
      }),
      { numRuns: 100 },
    );
  });
});

describe('page texts', () => {
  it("keeps each page's text, normalised, sharing the character cap", () => {
    const r = classifyPdf({ ...facts(`${ENGLISH}\n\n${ARABIC}`, { pages: 2 }), pageTexts: [ENGLISH, `  ${ARABIC}\u200F`] });
    expect(r.pageTexts).toEqual([ENGLISH, ARABIC]);
    expect(capPageTexts(['abcdef', 'ghijkl', 'mnop'], 8)).toEqual(['abcdef', 'gh']);
  });
});
