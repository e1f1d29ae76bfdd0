// Long generated PDFs for the whole-document tests and benches: sections with their own
// distinctive word, long enough to need notes (over 150,000 characters by default), with the
// sections marked by an outline (bookmarks), by large headings, or not at all.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument, PDFHexString, PDFName, StandardFonts, type PDFRef } from 'pdf-lib';

/** One distinctive word per section, in order: a section's notes and picks can be told apart by it. */
export const SECTION_WORDS = ['aurora', 'basalt', 'cobalt', 'dolphin', 'ember', 'fjord', 'glacier', 'harbor', 'iris', 'juniper'];

export interface LongPdfOptions {
  sections?: number;
  pagesPerSection?: number;
  /** Lines of body text per page (~80 characters each). */
  linesPerPage?: number;
  /** How the sections are marked: bookmarks, large bold headings, or nothing (body-size headings). */
  marks?: 'outline' | 'headings' | 'none';
  /** Extra pages of body text after the sections (for page-limit tests), default 0. */
  name?: string;
}

const ADJECTIVES = ['steady', 'uneven', 'rising', 'falling', 'seasonal', 'unexpected', 'modest', 'sharp'];

/** A body line about `word` on `page`: full sentences, varied by numbers so none repeats exactly. */
function bodyLine(word: string, page: number, line: number): string {
  const adj = ADJECTIVES[(page * 7 + line) % ADJECTIVES.length]!;
  return `The ${word} survey on page ${page} found ${adj} readings at station ${line + 1}, near marker ${page * 40 + line}.`;
}

export function sectionTitle(k: number): string {
  const w = SECTION_WORDS[k % SECTION_WORDS.length]!;
  return `Chapter ${k + 1}: ${w[0]!.toUpperCase()}${w.slice(1)} Findings`;
}

/** The file's path, its page count and the first page of each section. */
export async function makeLongPdf(
  dir: string,
  opts: LongPdfOptions = {},
): Promise<{ path: string; pages: number; sectionStarts: number[] }> {
  const sections = opts.sections ?? 6;
  const perSection = opts.pagesPerSection ?? 9;
  const lines = opts.linesPerPage ?? 40;
  const marks = opts.marks ?? 'headings';
  const doc = await PDFDocument.create();
  doc.setTitle('Six Surveys of the Northern Coast');
  const body = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const starts: number[] = [];
  const pageRefs: PDFRef[] = [];
  let pageNo = 0;
  for (let k = 0; k < sections; k++) {
    const word = SECTION_WORDS[k % SECTION_WORDS.length]!;
    for (let p = 0; p < perSection; p++) {
      pageNo++;
      const page = doc.addPage([595, 842]);
      pageRefs.push(page.ref);
      let y = 800;
      if (pageNo === 1) {
        page.drawText('Six Surveys of the Northern Coast', {
          x: 50,
          y,
          size: marks === 'none' ? 9 : 26,
          font: marks === 'none' ? body : bold,
        });
        y -= 40;
      }
      if (p === 0) {
        starts.push(pageNo);
        page.drawText(sectionTitle(k), { x: 50, y, size: marks === 'none' ? 9 : 20, font: marks === 'none' ? body : bold });
        y -= 30;
      }
      for (let i = 0; i < lines && y > 40; i++, y -= 18) {
        page.drawText(bodyLine(word, pageNo, i), { x: 50, y, size: 9, font: body });
      }
    }
  }
  if (marks === 'outline') {
    const ctx = doc.context;
    const outlines = ctx.nextRef();
    const items = starts.map(() => ctx.nextRef());
    starts.forEach((page, k) => {
      ctx.assign(
        items[k]!,
        ctx.obj({
          Title: PDFHexString.fromText(sectionTitle(k)),
          Parent: outlines,
          Dest: [pageRefs[page - 1]!, 'Fit'],
          ...(k > 0 ? { Prev: items[k - 1]! } : {}),
          ...(k + 1 < items.length ? { Next: items[k + 1]! } : {}),
        }),
      );
    });
    ctx.assign(outlines, ctx.obj({ Type: 'Outlines', First: items[0]!, Last: items.at(-1)!, Count: items.length }));
    doc.catalog.set(PDFName.of('Outlines'), outlines);
  }
  const path = join(dir, opts.name ?? `long-${marks}-${sections}x${perSection}.pdf`);
  await writeFile(path, await doc.save({ useObjectStreams: false }));
  return { path, pages: pageNo, sectionStarts: starts };
}
