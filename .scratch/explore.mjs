import { PDFParse } from 'pdf-parse';
import { readFile, readdir } from 'node:fs/promises';
PDFParse.setWorker();
const OPS = globalThis.pdfjs.OPS;
const imgOps = new Set([OPS.paintImageXObject, OPS.paintInlineImageXObject, OPS.paintImageMaskXObject, OPS.paintImageXObjectRepeat, OPS.paintImageMaskXObjectRepeat, OPS.paintSolidColorImageMask, OPS.paintImageMaskXObjectGroup, OPS.paintInlineImageXObjectGroup]);
console.log(JSON.stringify({paintImageXObject: OPS.paintImageXObject, paintInlineImageXObject: OPS.paintInlineImageXObject, paintImageMaskXObject: OPS.paintImageMaskXObject, rep: OPS.paintImageXObjectRepeat, mrep: OPS.paintImageMaskXObjectRepeat, solid: OPS.paintSolidColorImageMask, mg: OPS.paintImageMaskXObjectGroup, ig: OPS.paintInlineImageXObjectGroup}));
const dir = '/work/shared/corpus/py-pdf/';
const only = process.argv[2];
for (const f of (await readdir(dir)).filter(f => f.endsWith('.pdf') && (!only || f.includes(only)))) {
  const t0 = Date.now();
  const p = new PDFParse({ data: new Uint8Array(await readFile(dir + f)) });
  try {
    const info = await p.getInfo();
    const tr = await p.getText({ pageJoiner: '' , first: 300});
    const doc = p.doc;
    const imgPages = [];
    for (let i = 1; i <= Math.min(doc.numPages, 5); i++) {
      const page = await doc.getPage(i);
      const ol = await page.getOperatorList();
      if (ol.fnArray.some(fn => imgOps.has(fn))) imgPages.push(i);
      page.cleanup();
    }
    const txt = tr.pages.map(x=>x.text).join('\n');
    console.log(f, 'pages', info.total, 'title', JSON.stringify(info.info?.Title), 'len', txt.replace(/\s/g,'').length, 'img', imgPages.join(','), Date.now()-t0, 'ms', JSON.stringify(txt.slice(0, 150)));
  } catch (e) {
    console.log(f, 'ERR', e.name, e.message, Date.now()-t0);
  } finally { await p.destroy(); }
}
