// Language detection (pipeline/pdf/language.ts) on short paragraphs of many languages.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectLanguage, guessLanguageFromScript } from '../../../pipeline/pdf/language.js';
import { ENGLISH, GERMAN, FRENCH, ARABIC, RUSSIAN, PORTUGUESE, SPANISH, BULGARIAN, UKRAINIAN, PERSIAN } from './samples.js';

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
