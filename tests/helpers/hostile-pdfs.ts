// Generators for hostile and odd inputs, written into a temp dir at test time (no binaries in the
// repo). Hand-written PDFs go through `buildPdf`, which computes a correct xref table, so each
// file is hostile only in the way it means to be.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';
import { PDFDocument, StandardFonts } from 'pdf-lib';

const run = promisify(execFile);

export async function makeTempDir(prefix = 'd2v-pdf-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

// --- hand-written PDF ------------------------------------------------------------------------

/** `<< dict /Length n >> stream ... endstream` as one object body. */
export function streamObject(dict: string, data: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`<< ${dict} /Length ${data.length} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}

/**
 * A PDF from object bodies: body i becomes object i+1; object 1 must be the catalog. The xref
 * table is exact, so pdfjs never falls back to reconstructing it.
 */
export function buildPdf(bodies: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  bodies.forEach((body, i) => {
    offsets.push(offset);
    const chunk = Buffer.concat([
      Buffer.from(`${i + 1} 0 obj\n`, 'latin1'),
      typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
      Buffer.from('\nendobj\n', 'latin1'),
    ]);
    parts.push(chunk);
    offset += chunk.length;
  });
  const xref = [
    'xref',
    `0 ${bodies.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
    'trailer',
    `<< /Size ${bodies.length + 1} /Root 1 0 R >>`,
    'startxref',
    String(offset),
    '%%EOF',
    '',
  ].join('\n');
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}

const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
const pdfString = (s: string) => `(${s.replace(/[\\()]/g, (c) => `\\${c}`)})`;
const textContent = (lines: readonly string[]) =>
  Buffer.from(`BT /F1 11 Tf 14 TL 56 780 Td ${lines.map((l) => `${pdfString(l)} Tj T*`).join(' ')} ET`, 'latin1');

/** One page per entry of `pages` (each a list of text lines), objects written by hand. */
export function handWrittenTextPdf(pages: ReadonlyArray<readonly string[]>, extraPageDict = ''): Buffer {
  // 1 catalog, 2 pages, 3 font, then page/content pairs.
  const kids = pages.map((_, i) => `${4 + i * 2} 0 R`).join(' ');
  const bodies: Array<string | Buffer> = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Count ${pages.length} /Kids [${kids}] >>`,
    FONT,
  ];
  pages.forEach((lines, i) => {
    bodies.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + i * 2} 0 R ${extraPageDict} >>`,
    );
    bodies.push(streamObject('', textContent(lines)));
  });
  return buildPdf(bodies);
}

export const SAMPLE_PARAGRAPH = [
  'The quick brown fox jumps over the lazy dog while the committee reviews the annual report.',
  'Every chapter of this document explains one part of the process in plain and simple words.',
  'Readers who follow the steps in order will find that the results are easy to reproduce.',
];

// --- files -----------------------------------------------------------------------------------

/** A normal text PDF made with pdf-lib: the control case, and the input of other generators. */
export async function makeTextPdf(dir: string, name = 'text.pdf', pages = 3): Promise<string> {
  const doc = await PDFDocument.create();
  doc.setTitle('Hostile Suite Control Document');
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage([595, 842]);
    SAMPLE_PARAGRAPH.forEach((line, i) => page.drawText(`${line}`, { x: 50, y: 780 - i * 16, size: 11, font }));
    page.drawText(`This is page ${p + 1} of the control document.`, { x: 50, y: 700, size: 11, font });
  }
  const path = join(dir, name);
  // No object streams: a classic xref table at the end, like most real-world files.
  await writeFile(path, await doc.save({ useObjectStreams: false }));
  return path;
}

async function haveQpdf(): Promise<void> {
  try {
    await run('qpdf', ['--version']);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('qpdf is not installed: these tests need the Debian package "qpdf" (apt-get install qpdf)', { cause: e });
    }
    throw e;
  }
}

/** AES-256 encrypted with user password "user": cannot be opened without it. */
export async function makeEncryptedPdf(dir: string): Promise<string> {
  await haveQpdf();
  const src = await makeTextPdf(dir, 'to-encrypt.pdf');
  const out = join(dir, 'encrypted.pdf');
  await run('qpdf', ['--encrypt', 'user', 'owner', '256', '--', src, out]);
  return out;
}

/** A PNG (RGB gradient) built by hand: signature, IHDR, IDAT, IEND. */
export function makePng(width = 240, height = 160): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = (x * 255) / width;
      raw[row + 2 + x * 3] = (y * 255) / height;
      raw[row + 3 + x * 3] = 128;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Two pages that are only a picture each, like a scan without OCR. */
export async function makeImageOnlyPdf(dir: string): Promise<string> {
  const doc = await PDFDocument.create();
  const png = await doc.embedPng(makePng());
  for (let i = 0; i < 2; i++) {
    const page = doc.addPage([595, 842]);
    page.drawImage(png, { x: 0, y: 0, width: 595, height: 842 });
  }
  const path = join(dir, 'image-only.pdf');
  await writeFile(path, await doc.save());
  return path;
}

/** The first half of a real (pdf-lib) text PDF: no xref table, no trailer. */
export async function makeTruncatedPdf(dir: string): Promise<string> {
  const src = await readFile(await makeTextPdf(dir, 'to-truncate.pdf', 6));
  const path = join(dir, 'truncated.pdf');
  await writeFile(path, src.subarray(0, Math.floor(src.length / 2)));
  return path;
}

export async function makeZeroBytes(dir: string): Promise<string> {
  const path = join(dir, 'empty.pdf');
  await writeFile(path, Buffer.alloc(0));
  return path;
}

export async function makeRenamedPng(dir: string): Promise<string> {
  const path = join(dir, 'picture.pdf');
  await writeFile(path, makePng());
  return path;
}

export async function makeRenamedHtml(dir: string): Promise<string> {
  const path = join(dir, 'page.pdf');
  await writeFile(path, '<!DOCTYPE html>\n<html><head><title>Report</title></head><body><p>Quarterly report</p></body></html>\n');
  return path;
}

/** A valid one-page PDF padded by an unreferenced stream to `bytes` (default 21 MiB). */
export async function makeLargePdf(dir: string, bytes = 21 * 1024 * 1024): Promise<string> {
  const base = handWrittenTextPdf([SAMPLE_PARAGRAPH]);
  const padding = Buffer.alloc(Math.max(0, bytes - base.length - 200), 0x20);
  const pdf = buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Count 1 /Kids [4 0 R] >>',
    FONT,
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>',
    streamObject('', textContent(SAMPLE_PARAGRAPH)),
    streamObject('', padding),
  ]);
  const path = join(dir, 'large.pdf');
  await writeFile(path, pdf);
  return path;
}

/**
 * zlib data that inflates to `gib` GiB of zeros while staying ~1 KiB per MiB. One MiB of zeros is
 * deflated once and ends with a full flush (byte-aligned, history reset), so the same bytes can
 * be repeated: no block refers back past its own start. Then a final empty block and the Adler-32
 * of n zero bytes, which is simply (n mod 65521) << 16 | 1.
 */
export function deflateBomb(gib: number): Buffer {
  const mib = 1024 * 1024;
  const block = deflateRawSync(Buffer.alloc(mib), { level: 9, finishFlush: 3 /* Z_FULL_FLUSH */ });
  const copies = gib * 1024;
  const total = BigInt(copies) * BigInt(mib);
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(Number(((total % 65521n) << 16n) | 1n));
  return Buffer.concat([
    Buffer.from([0x78, 0xda]),
    ...Array.from({ length: copies }, () => block),
    deflateRawSync(Buffer.alloc(0)), // final empty block
    adler,
  ]);
}

/** A page whose FlateDecode content stream inflates to several GiB (default 4). */
export async function makeDecompressionBomb(dir: string, gib = 4): Promise<string> {
  const pdf = buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Count 1 /Kids [4 0 R] >>',
    FONT,
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>',
    streamObject('/Filter /FlateDecode', deflateBomb(gib)),
  ]);
  const path = join(dir, 'bomb.pdf');
  await writeFile(path, pdf);
  return path;
}

/**
 * 100,000 arrays nested in one another. `where`: in the page dictionary (parsed when the page is
 * loaded) or as an operand in the content stream (parsed during text extraction).
 */
export async function makeDeepNesting(dir: string, where: 'page' | 'content' = 'page', depth = 100_000): Promise<string> {
  const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const content =
    where === 'content'
      ? Buffer.concat([textContent(SAMPLE_PARAGRAPH), Buffer.from(`\n${nested} pop\n`, 'latin1')])
      : textContent(SAMPLE_PARAGRAPH);
  const pdf = buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Count 1 /Kids [4 0 R] >>',
    FONT,
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R${
      where === 'page' ? ` /Nested ${nested}` : ''
    } >>`,
    streamObject('', content),
  ]);
  const path = join(dir, `nested-${where}.pdf`);
  await writeFile(path, pdf);
  return path;
}

/** `count` pages (default 10,000), each saying "This is page N of ...". */
export async function makeManyPages(dir: string, count = 10_000): Promise<string> {
  const pages = Array.from({ length: count }, (_, i) => [`This is page ${i + 1} of a very long generated document.`]);
  const path = join(dir, `pages-${count}.pdf`);
  await writeFile(path, handWrittenTextPdf(pages));
  return path;
}
