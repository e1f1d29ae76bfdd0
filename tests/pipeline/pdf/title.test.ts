// Titles (pipeline/pdf/title.ts): Info Title cleaning and the first-line fallback.
import { describe, expect, it } from 'vitest';
import { cleanInfoTitle, firstLineTitle } from '../../../pipeline/pdf/title.js';

describe('titles', () => {
  it('uses a meaningful Info Title, cleaned', () => {
    expect(cleanInfoTitle('  Annual   Report 2024 ')).toBe('Annual Report 2024');
    expect(cleanInfoTitle('imagemagick-images\u0000')).toBe('imagemagick-images');
    expect(cleanInfoTitle('Microsoft Word - Quarterly Results.docx')).toBe('Quarterly Results');
    expect(cleanInfoTitle('Microsoft PowerPoint - pitch_deck_v2.pptx')).toBe('pitch deck v2');
    expect(cleanInfoTitle('C:\\Users\\bob\\Documents\\thesis_final.pdf')).toBe('thesis final');
  });
  it('rejects placeholders and non-titles', () => {
    for (const t of [
      'untitled',
      'Untitled document',
      '',
      '   ',
      'Document1',
      'Microsoft Word - Document1',
      '1',
      '???',
      null,
      42,
    ]) {
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
