// The long-document texts: progress while a long PDF is read and summarised, and the finished
// message saying how much of the document the video covers, in English and Arabic.
import { describe, expect, it } from 'vitest';
import { doneText, progressText } from '../../bots/texts.js';
import type { ProgressUpdate } from '../../pipeline/ports.js';

const update = (step: ProgressUpdate['step'], detail?: ProgressUpdate['detail']): ProgressUpdate => ({
  step,
  phase: 'running',
  index: step === 'extract' ? 2 : 3,
  total: 7,
  ...(detail ? { detail } : {}),
});

describe('long-document progress', () => {
  it('says how many pages are read, and plainly when only the first ones are', () => {
    expect(progressText('en', update('extract', { pages: 118, pagesRead: 118 }))).toBe('▰▰▱▱▱▱▱ Reading 118 pages…');
    expect(progressText('en', update('extract', { pages: 812, pagesRead: 500 }))).toBe(
      '▰▰▱▱▱▱▱ Reading the first 500 of 812 pages (the limit is 500)…',
    );
    expect(progressText('ar', update('extract', { pages: 118, pagesRead: 118 }))).toContain('جارٍ قراءة 118 صفحة…');
    expect(progressText('ar', update('extract', { pages: 812, pagesRead: 500 }))).toContain('أول 500 صفحة من 812');
  });
  it('says how many sections are summarised', () => {
    expect(progressText('en', update('script', { sections: 9 }))).toBe('▰▰▰▱▱▱▱ Summarising 9 sections…');
    expect(progressText('ar', update('script', { sections: 9 }))).toContain('جارٍ تلخيص 9 أقسام…');
  });
  it('without details the step label stays', () => {
    expect(progressText('en', update('extract'))).toBe('▰▰▱▱▱▱▱ Reading the document…');
    expect(progressText('en', update('script'))).toBe('▰▰▰▱▱▱▱ Writing the script…');
  });
});

describe('the finished message', () => {
  it('says how many pages the video covers', () => {
    expect(doneText('en', { pagesCovered: 117, pages: 117 })).toBe(
      '▰▰▰▰▰▰ ✅ Done — your video is below. It covers all 117 pages.',
    );
    expect(doneText('en', { pagesCovered: 500, pages: 812 })).toMatch(
      /covers the first 500 of 812 pages; the pages after them were not read/,
    );
    expect(doneText('ar', { pagesCovered: 117, pages: 117 })).toContain('يغطي الفيديو كل صفحات المستند (117).');
    expect(doneText('ar', { pagesCovered: 500, pages: 812 })).toContain('أول 500 صفحة من 812');
    expect(doneText('en')).toBe('▰▰▰▰▰▰ ✅ Done — your video is below.');
  });
});
