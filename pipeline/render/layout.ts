// Where things go on the 1280x720 explainer frame. The `slides` layout keeps three areas apart so
// nothing hides anything: the page in a large box, the presenter's circle in a column beside it
// (right for left-to-right documents, left for right-to-left ones, so the presenter sits where a
// reader's eye ends a line rather than over its start), and the caption band along the bottom.
import type { Box } from '../ports.js';

export const FRAME_WIDTH = 1280;
export const FRAME_HEIGHT = 720;
/** A calm slate-blue grey: pages (mostly white) stand out on it, captions stay readable. */
export const BACKGROUND = '0xdde4ec';
/** Pixels kept free at the bottom for the captions. */
export const CAPTION_BAND = 104;
const MARGIN = 24;
const PIP_SIZE = 256;
/**
 * Long side of a rendered page. The box is 928x592: a landscape page uses its width, a portrait
 * one its height; rendering larger and scaling down (area averaging) keeps small print legible.
 */
export const PAGE_IMAGE_SIZE = 1600;

export interface FrameLayout {
  page: Box;
  pip: { x: number; y: number; size: number };
  /** The page image's long side to render at. */
  pageImageSize: number;
}

const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'yi', 'dv', 'ku', 'sd', 'ug']);

export function isRightToLeft(language: string): boolean {
  return RTL_LANGUAGES.has(language.toLowerCase().split(/[-_]/)[0]!);
}

export function slidesLayout(language: string): FrameLayout {
  const rtl = isRightToLeft(language);
  const pageW = FRAME_WIDTH - PIP_SIZE - 3 * MARGIN;
  const pageH = FRAME_HEIGHT - CAPTION_BAND - MARGIN;
  const page: Box = { x: rtl ? PIP_SIZE + 2 * MARGIN : MARGIN, y: MARGIN, w: pageW, h: pageH };
  // The circle sits low in its column, just above the captions: the eye moves between the two.
  const pip = {
    x: rtl ? MARGIN : FRAME_WIDTH - PIP_SIZE - MARGIN,
    y: FRAME_HEIGHT - CAPTION_BAND - PIP_SIZE - 8,
    size: PIP_SIZE,
  };
  return { page, pip, pageImageSize: PAGE_IMAGE_SIZE };
}
