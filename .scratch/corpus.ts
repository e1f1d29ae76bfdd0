import { readFileSync } from 'node:fs';
import { extractPdf } from '../pipeline/pdf/extract.js';
const exp = JSON.parse(readFileSync('/work/shared/corpus/expected.json', 'utf8')).files;
const only = process.argv[2];
for (const [f, e] of Object.entries<any>(exp)) {
  if (only && !f.includes(only)) continue;
  const t0 = Date.now();
  try {
    const r = await extractPdf({ path: '/work/shared/corpus/' + f });
    const good = e.ok && (!e.language || e.language === r.language);
    console.log(good ? 'PASS' : 'FAIL', f, Date.now() - t0, 'ms', r.pages, r.chars, r.language, JSON.stringify(r.title), JSON.stringify(r.text.slice(0, 80)));
  } catch (err: any) {
    const good = !e.ok && e.codes.includes(err.code);
    console.log(good ? 'PASS' : 'FAIL', f, Date.now() - t0, 'ms', err.code, err.message);
  }
}
