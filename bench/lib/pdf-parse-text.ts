// Every page's text through pdf-parse alone, in this fresh process, then exit: what any check
// built on pdf-parse (pdf.js) pays cold, with none of our own work around it. bench/parser-warm.ts
// times it beside `doc2video check` and pdftotext. The same options as our parser child, and
// V8's own Array.prototype.push restored as it does (pipeline/pdf/pdfjs-natives.ts).
// Run (compiled): node dist/bench/lib/pdf-parse-text.js <file.pdf>
import { readFile } from 'node:fs/promises';
import { loadPdfParse, restoreNativePush } from '../../pipeline/pdf/pdfjs-natives.js';

const file = process.argv[2];
if (!file) throw new Error('usage: pdf-parse-text.js <file.pdf>');
const PDFParse = await loadPdfParse();
const parser = new PDFParse({
  data: new Uint8Array(await readFile(file)),
  verbosity: 0,
  isEvalSupported: false,
  useSystemFonts: false,
  disableFontFace: true,
});
await parser.getInfo();
restoreNativePush();
const { text, total } = await parser.getText();
await parser.destroy();
process.stdout.write(`${total} pages, ${text.length} characters\n`);
