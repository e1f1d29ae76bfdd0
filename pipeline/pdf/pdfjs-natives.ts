// pdf.js's legacy build (the one pdf-parse loads, as it runs on Node 20) carries core-js
// polyfills. On Node 20 one of them replaces Array.prototype.push with a JavaScript version (for a
// spec corner: pushing onto an array whose length is read-only), and every push in pdf.js then
// runs through it: measured here, 8% of a parser child's first parse and 15% of a warm one
// (bench/parser-warm.ts). The parser child only parses, so it puts V8's own push back once
// pdf.js's modules are loaded. Node 22 and 24 keep their own push: nothing to do there.
import type { PDFParse as PDFParseClass } from 'pdf-parse';

const nativePush = Array.prototype.push;

/** Put V8's Array.prototype.push back if a polyfill replaced it. */
export function restoreNativePush(): void {
  if (Array.prototype.push !== nativePush) Array.prototype.push = nativePush;
}

/**
 * Load pdf-parse. Call restoreNativePush() again after the first document is opened: pdf.js
 * loads its worker module (with its own copy of the polyfills) only then.
 */
export async function loadPdfParse(): Promise<typeof PDFParseClass> {
  const { PDFParse } = await import('pdf-parse');
  restoreNativePush();
  return PDFParse;
}
