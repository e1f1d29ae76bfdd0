// Child process that parses PDFs with pdf-parse and reports raw facts (text, per-page counts,
// image pages) to parser-pool.ts over IPC. It starts before a file is asked for (a warm parser)
// and runs in its own process so that a hostile file can only exhaust this process's memory or
// time: the parent kills it and the calling process lives on.
// Keep it small: anything that decides an outcome belongs in verdict.ts (or scan.ts).
import { readFile } from 'node:fs/promises';
import { capText, normalizeText, textStats } from './text.js';
import { IMAGE_PAGE_MAX_CHARS, imagesCanMakeAScan, type PageFacts } from './scan.js';
import { sectionsFromOutline, type HeadingLine, type OutlineEntry } from './sections.js';
import type { WorkerMessage, WorkerRequest } from './protocol.js';
import { loadPdfParse, restoreNativePush } from './pdfjs-natives.js';

const PDFParse = await loadPdfParse();

/** Pages with little text whose operator lists are checked for images (a spread sample). */
const MAX_IMAGE_CHECKS = 24;

// pdfjs operator ids that paint an image (pdfjs-dist 5.4 `OPS`; read from pdf-parse's own pdfjs
// build at run time below, these are the fallback).
const FALLBACK_IMAGE_OPS: Record<string, number> = {
  paintImageMaskXObject: 83,
  paintImageMaskXObjectGroup: 84,
  paintImageXObject: 85,
  paintInlineImageXObject: 86,
  paintInlineImageXObjectGroup: 87,
  paintImageXObjectRepeat: 88,
  paintImageMaskXObjectRepeat: 89,
};

interface TextItem {
  str?: string;
  transform?: number[];
  height?: number;
  hasEOL?: boolean;
}
interface PdfjsPage {
  getOperatorList(): Promise<{ fnArray: ArrayLike<number> }>;
  getTextContent(opts?: object): Promise<{ items: TextItem[] }>;
  cleanup(): unknown;
}
interface OutlineNode {
  title?: unknown;
  dest?: unknown;
  items?: OutlineNode[];
}
interface PdfjsDocument {
  getPage(n: number): Promise<PdfjsPage>;
  getDestination(id: string): Promise<unknown[] | null>;
  getPageIndex(ref: unknown): Promise<number>;
}
/** pdf-parse's own page-to-text join (private in its typings): the same text as getText() gives. */
interface PageTextJoiner {
  getPageText(page: PdfjsPage, params: object, total: number): Promise<string>;
}

/** Outline entries read (two levels deep, at most this many): enough to find the chapters. */
const MAX_OUTLINE_ENTRIES = 400;
/** Lines kept per page as heading candidates (the largest text on it). */
const HEADINGS_PER_PAGE = 4;

/** The outline's entries (chapters and their first sub-level) resolved to 1-based pages. */
async function readOutline(doc: PdfjsDocument, outline: OutlineNode[] | null | undefined): Promise<OutlineEntry[]> {
  const out: OutlineEntry[] = [];
  const walk = async (nodes: OutlineNode[], depth: number) => {
    for (const n of nodes) {
      if (out.length >= MAX_OUTLINE_ENTRIES) return;
      const title = typeof n.title === 'string' ? n.title : '';
      try {
        const dest = typeof n.dest === 'string' ? await doc.getDestination(n.dest) : n.dest;
        const ref = Array.isArray(dest) ? dest[0] : undefined;
        // A destination names its page by reference, or (rarely) by 0-based index.
        const index = typeof ref === 'number' ? ref : ref && typeof ref === 'object' ? await doc.getPageIndex(ref) : undefined;
        if (index !== undefined && Number.isInteger(index)) out.push({ title, page: index + 1, depth });
      } catch {
        // A broken destination leaves that entry out, not the document.
      }
      if (depth < 1 && Array.isArray(n.items) && n.items.length) await walk(n.items, depth + 1);
    }
  };
  if (Array.isArray(outline)) await walk(outline, 0);
  return out;
}

/** The page's lines with their font size (the largest glyph height on the line), largest first. */
function headingLines(items: readonly TextItem[], page: number): { lines: HeadingLine[]; sizes: Map<number, number> } {
  const lines: HeadingLine[] = [];
  const sizes = new Map<number, number>(); // font size -> characters set in it (for the body size)
  let text = '';
  let size = 0;
  const flush = () => {
    const t = text.replace(/\s+/g, ' ').trim();
    if (t) lines.push({ page, text: t.slice(0, 200), size });
    text = '';
    size = 0;
  };
  for (const it of items) {
    if (typeof it.str !== 'string') continue;
    const s = Math.round(Math.max(Math.abs(it.transform?.[3] ?? 0), it.height ?? 0) * 10) / 10;
    if (it.str.trim()) {
      sizes.set(s, (sizes.get(s) ?? 0) + it.str.length);
      size = Math.max(size, s);
    }
    text += it.str;
    if (it.hasEOL) flush();
    else text += ' ';
  }
  flush();
  lines.sort((a, b) => b.size - a.size);
  return { lines: lines.slice(0, HEADINGS_PER_PAGE), sizes };
}

function imageOps(): Set<number> {
  // setWorker() with no argument only publishes pdf-parse's pdfjs module as globalThis.pdfjs.
  PDFParse.setWorker();
  const ops = (globalThis as { pdfjs?: { OPS?: Record<string, number> } }).pdfjs?.OPS;
  return new Set(Object.keys(FALLBACK_IMAGE_OPS).map((k) => ops?.[k] ?? FALLBACK_IMAGE_OPS[k]!));
}

function send(msg: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

function describe(e: unknown): { name: string; message: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message.slice(0, 300) };
}

/** Evenly spread sample of at most `n` items. */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, k) => items[Math.floor((k * items.length) / n)]!);
}

async function extract(req: WorkerRequest): Promise<WorkerMessage> {
  const data = new Uint8Array(await readFile(req.path));
  const parser = new PDFParse({
    data,
    verbosity: 0, // errors only: pdfjs warns a lot about odd but readable files
    isEvalSupported: false, // never compile PDF functions with eval() on untrusted input
    useSystemFonts: false,
    disableFontFace: true,
  });
  try {
    const info = await parser.getInfo();
    // The document is open, so pdf.js's worker module (and its polyfills) is loaded now.
    restoreNativePush();
    const pages = info.total;
    const pagesParsed = Math.min(pages, req.maxPages);
    await send({ type: 'pages', pages, pagesParsed });
    // `doc` is private in pdf-parse's typings; getInfo() loaded it.
    const doc = (parser as unknown as { doc?: PdfjsDocument }).doc;
    if (!doc) throw new Error('pdf-parse internals changed: no loaded document');
    const outline = await readOutline(doc, info.outline as OutlineNode[] | null | undefined);
    // Headings are only looked for when the outline cannot give the sections.
    const wantHeadings = sectionsFromOutline(outline, pagesParsed) === undefined;

    // One text-content pass per page gives both the text (joined by pdf-parse's own code, as its
    // getText() would) and the font sizes that mark headings, instead of parsing every page twice.
    const joiner = parser as unknown as PageTextJoiner;
    const pageFacts: PageFacts[] = [];
    const pageTexts: string[] = [];
    const headings: HeadingLine[] = [];
    const sizes = new Map<number, number>();
    const pageNums: number[] = [];
    let text = '';
    let pageChars = 0;
    for (let num = 1; num <= pagesParsed; num++) {
      const page = await doc.getPage(num);
      let raw: string;
      try {
        const content = await page.getTextContent({ includeMarkedContent: false, disableNormalization: false });
        // The same page with its text content already read: pdf-parse reads only getTextContent
        // and the viewport getters from it.
        const read = Object.create(page) as PdfjsPage;
        read.getTextContent = async () => content;
        raw = await joiner.getPageText(read, {}, pages);
        if (wantHeadings) {
          const h = headingLines(content.items, num);
          headings.push(...h.lines);
          for (const [k, v] of h.sizes) sizes.set(k, (sizes.get(k) ?? 0) + v);
        }
      } finally {
        page.cleanup();
      }
      pageNums.push(num);
      pageFacts.push(textStats(raw));
      if (pageChars < req.maxChars) {
        const norm = normalizeText(raw);
        if (text.length <= req.maxChars && norm) text = text ? `${text}\n\n${norm}` : norm;
        const kept = capText(norm, req.maxChars - pageChars);
        pageTexts.push(kept);
        pageChars += kept.length;
      }
    }
    // The size most characters are set in: the body text.
    const bodySize = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];

    // Image check only where text is scarce (a page full of text is not a scan whatever it shows),
    // and only when images could make the file a scan at all (scan.ts decides).
    const lowText = pageFacts.flatMap((p, i) => (p.chars < IMAGE_PAGE_MAX_CHARS ? [i] : []));
    const toCheck = imagesCanMakeAScan(pageFacts) ? spread(lowText, MAX_IMAGE_CHECKS) : [];
    if (toCheck.length > 0) {
      const ops = imageOps();
      for (const i of toCheck) {
        const page = await doc.getPage(pageNums[i]!);
        try {
          const list = await page.getOperatorList();
          pageFacts[i]!.hasImage = Array.prototype.some.call(list.fnArray, (op: number) => ops.has(op));
        } catch {
          // An image that cannot be decoded leaves the page unknown rather than failing the file.
        } finally {
          page.cleanup();
        }
      }
    }

    return {
      type: 'result',
      pagesParsed,
      facts: {
        pages,
        pageFacts,
        infoTitle: info.info?.Title,
        text: capText(text, req.maxChars),
        pageTexts,
        outline,
        headings,
        ...(bodySize !== undefined ? { bodySize } : {}),
      },
    };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  if (!process.send) {
    process.stderr.write('extract-worker: start me with an IPC channel (child_process.fork)\n');
    process.exit(2);
  }
  // The parent went away (crash, kill): nobody wants the answer.
  process.on('disconnect', () => process.exit(0));
  const onFatal = (e: unknown) => {
    void send({ type: 'error', ...describe(e) }).finally(() => process.exit(1));
  };
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  // One request at a time (the parent sends the next only after this one's answer). The parent
  // decides how many a process serves and kills it when it is done with it.
  process.on('message', (req: WorkerRequest) => {
    void extract(req)
      .catch((e: unknown): WorkerMessage => ({ type: 'error', ...describe(e) }))
      .then(send);
  });
  await send({ type: 'ready' });
}

void main();
