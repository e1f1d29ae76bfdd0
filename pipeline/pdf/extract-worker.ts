// Child process that parses PDFs with pdf-parse and reports raw facts (text, per-page counts,
// image pages) to parser-pool.ts over IPC. It starts before a file is asked for (a warm parser)
// and runs in its own process so that a hostile file can only exhaust this process's memory or
// time: the parent kills it and the calling process lives on.
// Keep it small: anything that decides an outcome belongs in verdict.ts.
import { readFile } from 'node:fs/promises';
import { PDFParse } from 'pdf-parse';
import { capText, normalizeText, textStats } from './text.js';
import { IMAGE_PAGE_MAX_CHARS, type PageFacts } from './verdict.js';
import type { WorkerMessage, WorkerRequest } from './protocol.js';

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

interface PdfjsPage {
  getOperatorList(): Promise<{ fnArray: ArrayLike<number> }>;
  cleanup(): unknown;
}
interface PdfjsDocument {
  getPage(n: number): Promise<PdfjsPage>;
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
    const pages = info.total;
    const pagesParsed = Math.min(pages, req.maxPages);
    // pageJoiner '' : no "-- N of M --" lines; pages are joined here.
    const result = await parser.getText({ first: pagesParsed, pageJoiner: '' });

    const pageFacts: PageFacts[] = [];
    const pageTexts: string[] = [];
    let text = '';
    let pageChars = 0;
    for (const page of result.pages) {
      pageFacts.push(textStats(page.text));
      if (text.length <= req.maxChars || pageChars < req.maxChars) {
        const norm = normalizeText(page.text);
        if (text.length <= req.maxChars && norm) text = text ? `${text}\n\n${norm}` : norm;
        if (pageChars < req.maxChars) {
          const kept = capText(norm, req.maxChars - pageChars);
          pageTexts.push(kept);
          pageChars += kept.length;
        }
      }
    }

    // Image check only where text is scarce: a page full of text is not a scan whatever it shows.
    const lowText = pageFacts.flatMap((p, i) => (p.chars < IMAGE_PAGE_MAX_CHARS ? [i] : []));
    const toCheck = spread(lowText, MAX_IMAGE_CHECKS);
    if (toCheck.length > 0) {
      const ops = imageOps();
      // `doc` is private in pdf-parse's typings; it is loaded by the calls above.
      const doc = (parser as unknown as { doc?: PdfjsDocument }).doc;
      if (!doc) throw new Error('pdf-parse internals changed: no loaded document');
      for (const i of toCheck) {
        const page = await doc.getPage(result.pages[i]!.num);
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
      facts: { pages, pageFacts, infoTitle: info.info?.Title, text: capText(text, req.maxChars), pageTexts },
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
