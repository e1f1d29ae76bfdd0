// Section detection: the rules on their own (outline, headings, even runs), then on generated
// PDFs through the real parser child, one per way of marking sections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractPdf } from '../../../pipeline/pdf/extract.js';
import { evenSections, findSections, sectionsFromHeadings, sectionsFromOutline } from '../../../pipeline/pdf/sections.js';
import { makeTempDir } from '../../helpers/hostile-pdfs.js';
import { makeLongPdf, sectionTitle } from '../../helpers/long-pdfs.js';
import type { Section } from '../../../pipeline/job.js';

const PATIENT = { timeoutMs: 150_000 };

/** Sections cover 1..pages without gaps or overlaps, in order. */
function expectCovering(sections: readonly Section[], pages: number) {
  expect(sections[0]!.firstPage).toBe(1);
  expect(sections.at(-1)!.lastPage).toBe(pages);
  sections.forEach((s, i) => {
    expect(s.lastPage).toBeGreaterThanOrEqual(s.firstPage);
    if (i > 0) expect(s.firstPage).toBe(sections[i - 1]!.lastPage + 1);
  });
}

describe('section rules', () => {
  it('outline: top-level entries become sections; a cover before the first joins it', () => {
    const s = sectionsFromOutline(
      [
        { title: 'Intro', page: 2, depth: 0 },
        { title: 'Intro detail', page: 3, depth: 1 },
        { title: 'Methods', page: 10, depth: 0 },
        { title: 'Results', page: 20, depth: 0 },
      ],
      30,
    )!;
    expect(s).toEqual([
      { title: 'Intro', firstPage: 1, lastPage: 9 },
      { title: 'Methods', firstPage: 10, lastPage: 19 },
      { title: 'Results', firstPage: 20, lastPage: 30 },
    ]);
  });
  it('outline: a single root (the book title) gives way to its chapters; one page named is no structure', () => {
    const s = sectionsFromOutline(
      [
        { title: 'Book', page: 1, depth: 0 },
        { title: 'Part A', page: 1, depth: 1 },
        { title: 'Part B', page: 8, depth: 1 },
      ],
      12,
    )!;
    expect(s.map((x) => x.title)).toEqual(['Part A', 'Part B']);
    expect(sectionsFromOutline([{ title: 'Only', page: 1, depth: 0 }], 12)).toBeUndefined();
    // Entries past the pages read are left out.
    expect(
      sectionsFromOutline(
        [
          { title: 'A', page: 1, depth: 0 },
          { title: 'B', page: 99, depth: 0 },
        ],
        12,
      ),
    ).toBeUndefined();
  });
  it('headings: lines clearly larger than the body start sections; the document title alone does not', () => {
    const lines = [
      { page: 1, text: 'The Report', size: 26 },
      { page: 1, text: 'Chapter One', size: 20 },
      { page: 5, text: 'Chapter Two', size: 20 },
      { page: 9, text: 'Chapter Three', size: 20 },
      { page: 9, text: 'A body line', size: 10 },
    ];
    const s = sectionsFromHeadings(lines, 10, 12)!;
    expect(s).toEqual([
      { title: 'Chapter One', firstPage: 1, lastPage: 4 },
      { title: 'Chapter Two', firstPage: 5, lastPage: 8 },
      { title: 'Chapter Three', firstPage: 9, lastPage: 12 },
    ]);
    // Same size as the body: no headings.
    expect(
      sectionsFromHeadings(
        lines.map((l) => ({ ...l, size: 10 })),
        10,
        12,
      ),
    ).toBeUndefined();
  });
  it('even runs: about ten pages each, at most twelve, covering every page', () => {
    for (const pages of [1, 7, 25, 117, 500]) {
      const s = evenSections(pages);
      expectCovering(s, pages);
      expect(s.length).toBeLessThanOrEqual(12);
    }
    expect(evenSections(117)).toHaveLength(12);
    expect(findSections({}, 30)).toEqual({ sections: evenSections(30), source: 'pages' });
  });
});

describe('sections of generated PDFs, through the parser', { timeout: 200_000 }, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir());
  });
  afterAll(async () => cleanup());

  const titles = (n: number) => Array.from({ length: n }, (_, k) => sectionTitle(k));

  it('a PDF with bookmarks: the outline, resolved to pages', async () => {
    const pdf = await makeLongPdf(dir, { sections: 4, pagesPerSection: 3, linesPerPage: 8, marks: 'outline' });
    const r = await extractPdf({ path: pdf.path }, PATIENT);
    expect(r.sectionSource).toBe('outline');
    expect(r.sections!.map((s) => s.title)).toEqual(titles(4));
    expect(r.sections!.map((s) => s.firstPage)).toEqual(pdf.sectionStarts);
    expectCovering(r.sections!, pdf.pages);
  });
  it('a PDF without bookmarks but with large headings: the headings', async () => {
    const pdf = await makeLongPdf(dir, { sections: 4, pagesPerSection: 3, linesPerPage: 8, marks: 'headings' });
    const r = await extractPdf({ path: pdf.path }, PATIENT);
    expect(r.sectionSource).toBe('headings');
    expect(r.sections!.map((s) => s.title)).toEqual(titles(4));
    expect(r.sections!.map((s) => s.firstPage)).toEqual(pdf.sectionStarts);
  });
  it('a PDF with neither: even runs of pages', async () => {
    const pdf = await makeLongPdf(dir, { sections: 5, pagesPerSection: 6, linesPerPage: 6, marks: 'none' });
    const r = await extractPdf({ path: pdf.path }, PATIENT);
    expect(r.sectionSource).toBe('pages');
    expect(r.sections).toEqual(evenSections(30));
  });
  it('every page is read up to the page limit, past it the first N (and the count says so)', async () => {
    const pdf = await makeLongPdf(dir, { sections: 3, pagesPerSection: 4, linesPerPage: 4, marks: 'headings' });
    let told: { pages: number; pagesRead: number } | undefined;
    const r = await extractPdf({ path: pdf.path }, { ...PATIENT, maxPages: 10, onPages: (i) => (told = i) });
    expect(told).toEqual({ pages: 12, pagesRead: 10 });
    expect(r).toMatchObject({ pages: 12, pagesRead: 10 });
    expect(r.pageTexts).toHaveLength(10);
    expect(r.pageTexts![9]).toContain('page 10 found');
    expect(r.sections!.at(-1)!.lastPage).toBe(10);
  });
});
