import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkScript, countWords, limitsFor } from '../../../pipeline/script/limits.js';

const latinWord = fc.stringMatching(/^[a-z]{1,12}$/);
const arabicWord = fc
  .array(fc.constantFrom(...'ابتثجحخدذرزسشصضطظعغفقكلمنهوي'), { minLength: 2, maxLength: 8 })
  .map((cs) => cs.join(''));
// Common two-character Chinese words; ICU splits runs of them with its dictionary.
const chineseWord = fc.constantFrom('我们', '今天', '学习', '中文', '世界', '电脑', '银行', '天气', '朋友', '医生');

describe('countWords', () => {
  it('counts English words joined by spaces', () => {
    fc.assert(
      fc.property(fc.array(latinWord, { maxLength: 60 }), (words) => {
        expect(countWords(words.join(' '), 'en')).toBe(words.length);
      }),
    );
  });

  it('counts Arabic words joined by spaces', () => {
    fc.assert(
      fc.property(fc.array(arabicWord, { maxLength: 60 }), (words) => {
        expect(countWords(words.join(' '), 'ar')).toBe(words.length);
      }),
    );
  });

  it('does not count punctuation or extra whitespace as words', () => {
    fc.assert(
      fc.property(
        fc.array(latinWord, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(', ', ' - ', ' ; ', '\n\n', '  \t '),
        (words, sep) => {
          expect(countWords(`${words.join(sep)}.`, 'en')).toBe(words.length);
        },
      ),
    );
  });

  it('splits CJK text written without spaces into more than one word', () => {
    fc.assert(
      fc.property(fc.array(chineseWord, { minLength: 2, maxLength: 20 }), (words) => {
        expect(countWords(words.join(''), 'zh')).toBeGreaterThan(1);
      }),
    );
  });

  it('adding a word adds one', () => {
    fc.assert(
      fc.property(fc.array(latinWord, { maxLength: 40 }), latinWord, (words, extra) => {
        const before = countWords(words.join(' '), 'en');
        expect(countWords([...words, extra].join(' '), 'en')).toBe(before + 1);
      }),
    );
  });
});

describe('limits', () => {
  it('has the specified ranges for English and Arabic', () => {
    expect(limitsFor('en')).toMatchObject({ minWords: 50, maxWords: 400 });
    expect(limitsFor('ar')).toMatchObject({ minWords: 40, maxWords: 320 });
  });

  it('checkScript accepts exactly the range [minWords, maxWords]', () => {
    fc.assert(
      fc.property(fc.constantFrom('en', 'ar', 'de', 'fr', 'es', 'xx'), fc.integer({ min: 0, max: 500 }), (lang, n) => {
        const { minWords, maxWords } = limitsFor(lang);
        const text = Array.from({ length: n }, () => 'word').join(' ');
        const { words, problem } = checkScript(text, lang);
        expect(words).toBe(n);
        if (n < minWords) expect(problem).toMatch(/^too short/);
        else if (n > maxWords) expect(problem).toMatch(/^too long/);
        else expect(problem).toBeUndefined();
      }),
    );
  });
});
