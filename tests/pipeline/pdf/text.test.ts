// The character and token rules of pipeline/pdf/text.ts: real characters, letters, word-like tokens.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hasPdfHeader,
  textStats,
  countRealChars,
  letterRatio,
  normalizeText,
  capText,
  wordRatio,
  wordStats,
} from '../../../pipeline/pdf/text.js';
import { interleave, invisibleInserts } from './samples.js';

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
  it('counts a compatibility character that NFKC turns into space + mark the same before and after', () => {
    // U+FFE3 FULLWIDTH MACRON -> " \u0304"; found by the property below.
    expect(countRealChars(normalizeText('𝙄￣'))).toBe(countRealChars('𝙄￣'));
    expect(countRealChars('𝙄￣')).toBe(1); // "Ī": the macron composes with the letter before it
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

// Words of several scripts; numbers as reports write them.
const wordArb = fc.oneof(
  fc.stringMatching(/^[a-zA-Z]{1,12}$/),
  fc.constantFrom('Umsatz', 'größer', 'موازنة', 'الإيرادات', 'выручка', 'COVID-19', 'H2O', '3rd', "don't", 'e-mail', 'Q4'),
);
const numberArb = fc.oneof(
  fc.integer({ min: 0, max: 10_000_000 }).map((n) => n.toLocaleString('en-US')),
  fc.float({ min: -1000, max: 1000, noNaN: true }).map((n) => `${n.toFixed(1)}%`),
  fc.integer({ min: 1, max: 9999 }).map((n) => `$${n}`),
  fc.constantFrom('(1,200)', '2023-24', '12:30', '1/2'),
);
// Digit-and-symbol soup: no letters at all, or a stray letter among digits and symbols.
const soupToken = fc.oneof(fc.stringMatching(/^[0-9{}<>=/#*+^~|@&]{2,7}$/), fc.stringMatching(/^[a-z][0-9]{2,4}[{}<>=#*]{1,2}$/));

describe('word-like tokens', () => {
  it('digit-and-symbol soup has (almost) no word-like tokens', () => {
    expect(wordRatio('41125 {35< 02/9 76>38 o98={ 5512 <<9 0x/7 33}} 8=8')).toBeLessThan(0.2);
  });
  it('a financial report full of numbers still reads as words', () => {
    const report =
      'Revenue grew to $41,125 in Q4 2023, up 12.5% from 36,560 a year earlier. Operating costs were 21,300 ' +
      '(2022: 19,870). Net profit 9,870 8,412 7,003 per share 1.24 1.10 0.98.';
    expect(wordRatio(report)).toBeGreaterThan(0.8);
  });
  it('property: text made of words, with up to two numbers after each word, is word-like', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(wordArb, fc.array(numberArb, { maxLength: 2 })), { minLength: 1, maxLength: 60 }), (rows) => {
        const text = rows.map(([w, nums]) => [w, ...nums].join(' ')).join(' ');
        const s = wordStats(text);
        expect(s.wordLike).toBe(s.tokens);
      }),
      { numRuns: 300 },
    );
  });
  it('property: soup of digits and symbols is never word-like, whatever numbers it holds', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(soupToken, numberArb), { minLength: 1, maxLength: 80 }), (tokens) => {
        expect(wordStats(tokens.join(' ')).wordLike).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
