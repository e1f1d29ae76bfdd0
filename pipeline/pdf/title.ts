// A document's title: the Info dictionary's Title when it names the document, else the first
// line with a letter, else the file name. Pure, no I/O.
import { capText } from './text.js';

const TITLE_MAX_CHARS = 80;

const APP_PREFIX = /^(?:Microsoft\s+(?:Office\s+)?(?:Word|PowerPoint|Excel)|Microsoft Word|PowerPoint)\s*[-–—:]\s*/i;
const FILE_EXTENSION =
  /\.(?:docx?|dotx?|pptx?|xlsx?|odt|odp|ods|rtf|txt|pdf|tex|dvi|e?ps|indd|pages|key|numbers|html?|md|xml|png|jpe?g|tiff?)$/i;
const PLACEHOLDER_TITLES = new Set([
  'untitled',
  'untitled document',
  'untitled presentation',
  'no title',
  'title',
  'document',
  'unknown',
  'none',
  'null',
  'undefined',
  'n/a',
  'new document',
  'presentation',
  'powerpoint presentation',
  'slide 1',
  'print',
  'sans titre',
  'ohne titel',
  'sin título',
  'senza titolo',
  'sem título',
  'بدون عنوان',
]);

function truncateTitle(s: string, max = TITLE_MAX_CHARS): string {
  if (s.length <= max) return s;
  const cut = capText(s, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The Info dictionary's Title when it names the document, else undefined. */
export function cleanInfoTitle(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let t = raw
    .normalize('NFKC')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  t = t.replace(APP_PREFIX, '');
  if (FILE_EXTENSION.test(t) || /^[A-Za-z]:\\|^\/|\\/.test(t)) {
    // A file name or path: keep the base name without the extension.
    t = t.split(/[\\/]/).pop()!.replace(FILE_EXTENSION, '').replace(/[_]+/g, ' ').trim();
  }
  const lower = t.toLowerCase();
  if (PLACEHOLDER_TITLES.has(lower) || /^(?:document|doc|presentation|book|untitled)[\s_-]*\d*$/i.test(t)) return undefined;
  // At least two letters: "1", "-" or "???" are not titles.
  if ((t.match(/\p{L}/gu) ?? []).length < 2) return undefined;
  return truncateTitle(t);
}

/** The first line of normalised text that has a letter in it. */
export function firstLineTitle(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (/\p{L}/u.test(t)) return truncateTitle(t);
  }
  return undefined;
}
