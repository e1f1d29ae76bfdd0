import { describe, expect, it } from 'vitest';
import { VOICE_LANGUAGES, voiceFor } from '../../../pipeline/render/voices.js';

describe('voiceFor', () => {
  it.each([
    ['en', 'en-US-JennyNeural'],
    ['ar', 'ar-SA-HamedNeural'],
    ['de', 'de-DE-KatjaNeural'],
    ['fr', 'fr-FR-DeniseNeural'],
    ['es', 'es-ES-ElviraNeural'],
    ['zh', 'zh-CN-XiaoxiaoNeural'],
    ['ja', 'ja-JP-NanamiNeural'],
    ['ko', 'ko-KR-SunHiNeural'],
    ['hi', 'hi-IN-SwaraNeural'],
    ['fa', 'fa-IR-DilaraNeural'],
    ['he', 'he-IL-HilaNeural'],
  ])('%s -> %s', (lang, voice) => {
    expect(voiceFor(lang)).toBe(voice);
  });

  it('has a voice for it, pt, nl, ru and tr in that language', () => {
    for (const lang of ['it', 'pt', 'nl', 'ru', 'tr']) expect(voiceFor(lang).toLowerCase().startsWith(lang)).toBe(true);
  });

  it('accepts case, regions, underscores and 639-3 codes', () => {
    expect(voiceFor('AR')).toBe('ar-SA-HamedNeural');
    expect(voiceFor('ar-EG')).toBe('ar-EG-ShakirNeural');
    expect(voiceFor('ar_ae', 'professional')).toBe('ar-AE-FatimaNeural');
    expect(voiceFor('de-AT')).toBe('de-DE-KatjaNeural');
    expect(voiceFor('arb')).toBe('ar-SA-HamedNeural');
    expect(voiceFor('iw')).toBe('he-IL-HilaNeural');
  });

  it('matches the gender of the default presenters of the style', () => {
    expect(voiceFor('ar', 'professional')).toBe('ar-SA-ZariyahNeural');
    expect(voiceFor('ar', 'friendly')).toBe('ar-SA-HamedNeural');
    expect(voiceFor('en', 'friendly')).toBe('en-US-GuyNeural');
    expect(voiceFor('en', 'professional')).toBe('en-US-JennyNeural');
  });

  it('falls back to en-US-JennyNeural for unknown or empty languages', () => {
    expect(voiceFor('xx')).toBe('en-US-JennyNeural');
    expect(voiceFor('')).toBe('en-US-JennyNeural');
    expect(voiceFor('und')).toBe('en-US-JennyNeural');
  });

  it('every voice is an Azure neural short name of its own language', () => {
    for (const lang of VOICE_LANGUAGES) {
      for (const style of [undefined, 'professional', 'friendly'] as const) {
        const v = voiceFor(lang, style);
        expect(v).toMatch(/^[a-z]{2}-[A-Z]{2}-[A-Za-z]+Neural$/);
        expect(v.toLowerCase().startsWith(lang.split('-')[0]!)).toBe(true);
      }
    }
  });
});
