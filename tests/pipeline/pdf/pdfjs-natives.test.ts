import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPdfParse, restoreNativePush } from '../../../pipeline/pdf/pdfjs-natives.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../../examples/the-water-cycle.pdf');

describe('pdf.js with V8 builtins', () => {
  it("keeps V8's Array.prototype.push after pdf.js and its worker module load, and still reads the text", async () => {
    const nativePush = Array.prototype.push;
    const PDFParse = await loadPdfParse();
    expect(Array.prototype.push).toBe(nativePush);

    const read = async () => {
      const parser = new PDFParse({ data: new Uint8Array(await readFile(EXAMPLE)), verbosity: 0 });
      try {
        await parser.getInfo(); // opens the document: pdf.js loads its worker module here
        restoreNativePush();
        expect(Array.prototype.push).toBe(nativePush);
        return (await parser.getText()).text;
      } finally {
        await parser.destroy();
      }
    };
    const first = await read();
    expect(first).toContain('water');
    // A second document in the same process, now entirely on V8's push: the same text.
    expect(await read()).toBe(first);
  });
});
