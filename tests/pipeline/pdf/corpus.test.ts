// Every real-world PDF of the shared corpus gets the outcome expected.json gives it. The corpus
// sits beside the repository (../shared/corpus, as in CI's clone); CORPUS_DIR overrides.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { JobError } from '../../../src/errors.js';
import { extractPdf } from '../../../pipeline/pdf/extract.js';
import type { ExtractResult } from '../../../pipeline/job.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpusDir = process.env.CORPUS_DIR ?? path.resolve(repoRoot, '../shared/corpus');
const expectedFile = path.join(corpusDir, 'expected.json');
if (!existsSync(expectedFile)) {
  throw new Error(`PDF corpus not found: ${expectedFile} is missing (set CORPUS_DIR to the corpus directory)`);
}

interface Expectation {
  ok: boolean;
  codes?: string[];
  language?: string;
}
// Classification is what is tested here, not speed: a generous parse budget keeps a busy test
// machine from turning GeoTopo (~3 s alone) into "took too long".
const PATIENT = { timeoutMs: 150_000 };
const TEST_TIMEOUT = { timeout: 200_000 };

const expected = (JSON.parse(readFileSync(expectedFile, 'utf8')) as { files: Record<string, Expectation> }).files;

describe.concurrent('corpus: expected outcomes', TEST_TIMEOUT, () => {
  it('lists files', ({ expect }) => {
    expect(Object.keys(expected).length).toBeGreaterThan(20);
  });

  for (const [file, want] of Object.entries(expected)) {
    const label = want.ok ? `ok${want.language ? ` (${want.language})` : ''}` : want.codes!.join(' or ');
    it(`${file}: ${label}`, async ({ expect }) => {
      let result: ExtractResult | undefined;
      let error: unknown;
      try {
        result = await extractPdf({ path: path.join(corpusDir, file) }, PATIENT);
      } catch (e) {
        error = e;
      }
      if (want.ok) {
        if (error) throw error;
        expect(result!.chars).toBeGreaterThanOrEqual(50);
        expect(result!.title.length).toBeGreaterThan(0);
        expect(result!.title.length).toBeLessThanOrEqual(80);
        expect(result!.text.length).toBeLessThanOrEqual(50_000);
        expect(result!.language).toMatch(/^[a-z]{2}$/);
        if (want.language) expect(result!.language).toBe(want.language);
      } else {
        expect(error, 'expected a JobError, got a result').toBeInstanceOf(JobError);
        expect(want.codes).toContain((error as JobError).code);
      }
    });
  }
});

describe('corpus: details of the tricky files', TEST_TIMEOUT, () => {
  it('GeoTopo: 117 pages of German, titled from the Info dictionary', async ({ expect }) => {
    const r = await extractPdf({ path: path.join(corpusDir, 'py-pdf/GeoTopo-komprimiert.pdf') }, PATIENT);
    expect(r).toMatchObject({ pages: 117, language: 'de', title: 'Geometrie und Topologie' });
    expect(r.chars).toBeGreaterThan(100_000);
    expect(r.text.length).toBe(50_000);
  });
  it('habibi-rotated: 4 pages of short Arabic pass; habibi alone is below 50 characters', async ({ expect }) => {
    const r = await extractPdf({ path: path.join(corpusDir, 'py-pdf/habibi-rotated.pdf') }, PATIENT);
    expect(r.pages).toBe(4);
    expect(r.text).toMatch(/\p{Script=Arabic}/u);
    const err = await extractPdf({ path: path.join(corpusDir, 'py-pdf/habibi.pdf') }, PATIENT).catch((e: unknown) => e);
    expect((err as JobError).code).toBe('TEXT_TOO_SHORT');
    expect((err as JobError).message).toMatch(/^2\d characters/);
  });
  it('crazyones: empty Info Title, so the first line is the title', async ({ expect }) => {
    const r = await extractPdf({ path: path.join(corpusDir, 'py-pdf/crazyones-pdfa.pdf') }, PATIENT);
    expect(r.title).toBe('The Crazy Ones');
  });
});
