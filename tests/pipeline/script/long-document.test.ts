// Planning a long document's notes calls: parts cover every page in order, at most the cap, small
// sections share a call, a section too long for one call is cut into runs; word shares and the lead.
import { describe, expect, it } from 'vitest';
import { leadOf, notesKey, planNotesParts, wordShares } from '../../../pipeline/script/long-document.js';
import type { Section } from '../../../pipeline/job.js';

const pagesOf = (n: number, chars = 3000) => Array.from({ length: n }, (_, i) => `Page ${i + 1} text. `.padEnd(chars, 'x'));
const sec = (title: string, firstPage: number, lastPage: number): Section => ({ title, firstPage, lastPage });

function expectCovering(parts: ReadonlyArray<{ section: Section }>, pages: number) {
  expect(parts[0]!.section.firstPage).toBe(1);
  expect(parts.at(-1)!.section.lastPage).toBe(pages);
  parts.forEach((p, i) => i > 0 && expect(p.section.firstPage).toBe(parts[i - 1]!.section.lastPage + 1));
}

describe('planNotesParts', () => {
  it('one part per section when they fit, each with its pages marked', () => {
    const parts = planNotesParts([sec('A', 1, 10), sec('B', 11, 20), sec('C', 21, 30)], pagesOf(30), {
      maxParts: 12,
      maxCharsPerPart: 50_000,
    });
    expect(parts.map((p) => p.section)).toEqual([sec('A', 1, 10), sec('B', 11, 20), sec('C', 21, 30)]);
    expect(parts[1]!.text.startsWith('[Page 11]\nPage 11 text.')).toBe(true);
    expect(parts[1]!.text).toContain('[Page 20]');
    expect(parts[1]!.text).not.toContain('[Page 21]');
  });
  it('never more parts than the cap, and every page still in one', () => {
    const sections = Array.from({ length: 40 }, (_, k) => sec(`S${k}`, k * 5 + 1, k * 5 + 5));
    const parts = planNotesParts(sections, pagesOf(200), { maxParts: 12, maxCharsPerPart: 50_000 });
    expect(parts).toHaveLength(12);
    expectCovering(parts, 200);
  });
  it('small sections (an index, a list of figures) share a call with a neighbour', () => {
    const pages = pagesOf(30);
    const parts = planNotesParts([sec('Main', 1, 14), sec('Figures', 15, 15), sec('More', 16, 29), sec('Index', 30, 30)], pages, {
      maxParts: 12,
      maxCharsPerPart: 50_000,
    });
    expect(parts.map((p) => p.section.title)).toEqual(['Main; Figures', 'More; Index']);
    expectCovering(parts, 30);
  });
  it('a section too long for one call is cut into runs, and each call stays within its size', () => {
    const parts = planNotesParts([sec('Only', 1, 60)], pagesOf(60), { maxParts: 12, maxCharsPerPart: 50_000 });
    expect(parts.length).toBe(4); // 180,000 characters in runs of 15 pages
    expectCovering(parts, 60);
    for (const p of parts) expect(p.text.length).toBeLessThanOrEqual(50_000 + 15 * 12);
    // With the cap reached, every page keeps the same share of its text.
    const capped = planNotesParts([sec('Only', 1, 60)], pagesOf(60), { maxParts: 1, maxCharsPerPart: 30_000 });
    expect(capped).toHaveLength(1);
    expect(capped[0]!.text).toContain('[Page 60]\nPage 60 text.');
    expect(capped[0]!.text.length).toBeLessThanOrEqual(30_000 + 60 * 12);
  });
});

describe('word shares, lead, key', () => {
  it('shares follow the text and add up to the target', () => {
    const shares = wordShares([{ chars: 10_000 }, { chars: 30_000 }], 200);
    expect(shares).toEqual([50, 150]);
    expect(wordShares([{ chars: 1 }, { chars: 1_000_000 }], 200)[0]).toBe(12); // a sentence at least
  });
  it('the lead is the abstract when one of the first pages has it, else the first page', () => {
    expect(leadOf(['Title page', 'Abstract. We show…', 'Intro'])).toEqual({ page: 2, text: 'Abstract. We show…' });
    expect(leadOf(['', 'First words'])).toEqual({ page: 2, text: 'First words' });
  });
  it('the notes key changes with the text, the length, the language and the model', () => {
    const k = notesKey({ text: 'a' }, 100, 'en', 'm');
    expect(notesKey({ text: 'a' }, 100, 'en', 'm')).toBe(k);
    expect(
      new Set([
        notesKey({ text: 'b' }, 100, 'en', 'm'),
        notesKey({ text: 'a' }, 90, 'en', 'm'),
        notesKey({ text: 'a' }, 100, 'ar', 'm'),
        notesKey({ text: 'a' }, 100, 'en', 'n'),
      ]).has(k),
    ).toBe(false);
  });
});
