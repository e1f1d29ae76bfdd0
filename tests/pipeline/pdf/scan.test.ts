// pipeline/pdf/scan.ts: when pages with little text that paint images make a PDF a scan, and when
// the parser may skip looking for images because no answer could make it one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IMAGE_PAGE_MAX_CHARS, imagesCanMakeAScan, scanVerdict, type PageFacts } from '../../../pipeline/pdf/scan.js';

describe('scanVerdict', () => {
  const textPage: PageFacts = { chars: 2000, letters: 1700 };
  const imagePage: PageFacts = { chars: 0, letters: 0, hasImage: true };
  it('no text next to an image is a scan', () => {
    expect(scanVerdict([imagePage]).scanned).toBe(true);
    expect(scanVerdict([{ chars: 4, letters: 4, hasImage: true }]).scanned).toBe(true);
  });
  it('a one-line watermark on an image page is still a scan', () => {
    expect(scanVerdict([{ chars: 60, letters: 50, hasImage: true }]).scanned).toBe(true);
  });
  it('an image on a page full of text is not', () => {
    expect(scanVerdict([{ ...textPage, hasImage: true }]).scanned).toBe(false);
    expect(scanVerdict([textPage, textPage, imagePage]).scanned).toBe(false);
  });
  it('a typed cover page before scanned pages is a scan', () => {
    expect(scanVerdict([textPage, ...Array(9).fill(imagePage)]).scanned).toBe(true);
  });
  it('half photos, half full text pages is not; half photos with sparse text is', () => {
    expect(scanVerdict([textPage, imagePage, textPage, imagePage]).scanned).toBe(false);
    const caption: PageFacts = { chars: 300, letters: 280 };
    expect(scanVerdict([caption, imagePage, caption, imagePage]).scanned).toBe(true);
  });
  it('extrapolates from a sample of the pages with little text', () => {
    const unchecked: PageFacts = { chars: 10, letters: 10 };
    const pages = [...Array(20).fill(imagePage), ...Array(80).fill(unchecked)];
    expect(scanVerdict(pages).imageOnlyPages).toBe(100);
    expect(scanVerdict(pages).scanned).toBe(true);
  });
  it('blank pages without images are not a scan', () => {
    expect(scanVerdict([{ chars: 0, letters: 0, hasImage: false }]).scanned).toBe(false);
    expect(scanVerdict([]).scanned).toBe(false);
  });
  it(`the image-page threshold is ${IMAGE_PAGE_MAX_CHARS} characters`, () => {
    expect(scanVerdict([{ chars: IMAGE_PAGE_MAX_CHARS, letters: 90, hasImage: true }]).imageOnlyPages).toBe(0);
    expect(scanVerdict([{ chars: IMAGE_PAGE_MAX_CHARS - 1, letters: 90, hasImage: true }]).imageOnlyPages).toBe(1);
  });
});

describe('imagesCanMakeAScan', () => {
  // Pages as the parser sees them before any image check: few (scans are short too), with
  // characters around the thresholds that matter: 0, a few, just under and over 100, around 400
  // (half such pages and half empty ones average 200), a full page.
  const page = fc
    .oneof(
      fc.constantFrom(0, 3, 49, 50, IMAGE_PAGE_MAX_CHARS - 1, IMAGE_PAGE_MAX_CHARS, 199, 200, 360, 399, 400, 401, 2000),
      fc.integer({ min: 0, max: 3000 }),
    )
    .map((chars): PageFacts => ({ chars, letters: chars }));
  const pages = fc.array(page, { minLength: 0, maxLength: 40 });

  it('property: when it says no, no answer about images (any pages checked, any result) is a scan', () => {
    fc.assert(
      fc.property(pages, fc.array(fc.constantFrom(undefined, true, false), { minLength: 40, maxLength: 40 }), (ps, answers) => {
        fc.pre(!imagesCanMakeAScan(ps));
        const answered = ps.map((p, i) => (answers[i] === undefined ? p : { ...p, hasImage: answers[i] }));
        expect(scanVerdict(answered).scanned).toBe(false);
        // The answer most like a scan: every page with little text checked and an image.
        const allImages = ps.map((p) => (p.chars < IMAGE_PAGE_MAX_CHARS ? { ...p, hasImage: true } : p));
        expect(scanVerdict(allImages).scanned).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
  it('property: when it says yes, some answer is a scan (every page with little text an image)', () => {
    fc.assert(
      fc.property(pages, (ps) => {
        fc.pre(imagesCanMakeAScan(ps));
        const allImages = ps.map((p) => (p.chars < IMAGE_PAGE_MAX_CHARS ? { ...p, hasImage: true } : p));
        expect(scanVerdict(allImages).scanned).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
  it('skips a text document with a few figure pages; checks a sparse one and an empty one', () => {
    const text: PageFacts = { chars: 2000, letters: 1700 };
    const figure: PageFacts = { chars: 40, letters: 30 };
    // GeoTopo-komprimiert.pdf's shape: 8 of 117 pages with little text.
    expect(imagesCanMakeAScan([...Array(109).fill(text), ...Array(8).fill(figure)])).toBe(false);
    expect(imagesCanMakeAScan([text, ...Array(9).fill(figure)])).toBe(true);
    // Half the pages empty: a scan only if the text averages under 200 characters a page.
    const empty: PageFacts = { chars: 0, letters: 0 };
    expect(imagesCanMakeAScan([...Array(5).fill(empty), ...Array(5).fill({ chars: 399, letters: 399 })])).toBe(true);
    expect(imagesCanMakeAScan([...Array(5).fill(empty), ...Array(5).fill({ chars: 401, letters: 401 })])).toBe(false);
    expect(imagesCanMakeAScan([{ chars: 0, letters: 0 }])).toBe(true);
    expect(imagesCanMakeAScan([])).toBe(false);
  });
});
