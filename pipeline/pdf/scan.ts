// Is a PDF a scan? The part of the verdict that needs to know which pages paint images, kept
// apart from the rest of verdict.ts (language data, titles, sections) so the parser child can load
// it at no cost and ask, before it looks for any image, whether images could change the outcome.

/** Fewer real characters than this: TEXT_TOO_SHORT (verdict.ts), and a scan when an image is there. */
export const MIN_REAL_CHARS = 50;
/**
 * A page with an image and fewer real characters than this counts as an image page ("almost no
 * text"): a scan often carries a stamp, a page number or a one-line watermark such as
 * "Produced with a Trial Version of PDF Annotator" (60 characters, corpus base64image.pdf).
 */
export const IMAGE_PAGE_MAX_CHARS = 100;
/** At least this share of image pages, and sparse text overall (below), makes a scan... */
const SCANNED_PAGE_RATIO = 0.5;
/** ...sparse meaning fewer real characters per page on average than this (a text page has ~2000). */
const SCANNED_MAX_AVG_CHARS = 200;
/** This share of image pages is a scan whatever the other pages hold (a typed cover on a scan). */
const MOSTLY_SCANNED_PAGE_RATIO = 0.8;

/** What the parser saw on one page. */
export interface PageFacts {
  /** Real characters on the page. */
  chars: number;
  /** Letters, digits and marks among them. */
  letters: number;
  /**
   * Whether the page paints an image. Only looked at for pages with little text (and only a
   * sample of those); undefined = not checked.
   */
  hasImage?: boolean;
}

export interface ScanVerdict {
  imagePages: number;
  /** Estimated number of pages that are images with (almost) no text. */
  imageOnlyPages: number;
  scanned: boolean;
}

/**
 * Is this a scan? Pages with little text were checked for images (a sample of them when there are
 * many); the share of image pages is estimated from the sample. A scan is: no real text at all
 * next to an image; or half the pages images and little text per page overall; or 80% images.
 */
export function scanVerdict(pageFacts: readonly PageFacts[]): ScanVerdict {
  const parsed = pageFacts.length;
  const totalChars = pageFacts.reduce((n, p) => n + p.chars, 0);
  const imagePages = pageFacts.filter((p) => p.hasImage === true).length;
  const lowText = pageFacts.filter((p) => p.chars < IMAGE_PAGE_MAX_CHARS);
  const checked = lowText.filter((p) => p.hasImage !== undefined);
  const hits = checked.filter((p) => p.hasImage === true).length;
  const imageOnlyPages = checked.length === 0 ? 0 : Math.round((hits / checked.length) * lowText.length);
  const scanned =
    parsed > 0 &&
    ((totalChars < MIN_REAL_CHARS && imagePages > 0) ||
      (imageOnlyPages >= parsed * SCANNED_PAGE_RATIO && totalChars / parsed < SCANNED_MAX_AVG_CHARS) ||
      imageOnlyPages >= parsed * MOSTLY_SCANNED_PAGE_RATIO);
  return { imagePages, imageOnlyPages, scanned };
}

/**
 * Could any answer about images make these pages a scan? Only pages with little text are looked
 * at, and each rule of scanVerdict() needs some of them (or no text at all): when even "every
 * page with little text is an image" would not be a scan, the image check cannot change the
 * verdict and is skipped. (Each check builds the page's operator list, images decoded: 17-27 ms
 * a page, measured on GeoTopo-komprimiert.pdf, where 8 of 117 pages have little text.)
 */
export function imagesCanMakeAScan(pageFacts: readonly Omit<PageFacts, 'hasImage'>[]): boolean {
  const parsed = pageFacts.length;
  const totalChars = pageFacts.reduce((n, p) => n + p.chars, 0);
  const lowText = pageFacts.filter((p) => p.chars < IMAGE_PAGE_MAX_CHARS).length;
  // scanVerdict()'s first rule (no real text next to an image) needs no rule of its own here: with
  // fewer than MIN_REAL_CHARS in all, every page has little text, so the last rule holds.
  return (
    parsed > 0 &&
    ((lowText >= parsed * SCANNED_PAGE_RATIO && totalChars / parsed < SCANNED_MAX_AVG_CHARS) ||
      lowText >= parsed * MOSTLY_SCANNED_PAGE_RATIO)
  );
}
