// Page images with the real pdftoppm under prlimit: only the pages asked for, at the size asked
// for; a PDF that is too costly to draw loses its pages (the video shows the title card) and
// never takes the worker down.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPageImages, pngSize } from '../../../pipeline/providers/page-images.js';
import { captureLogs } from '../../helpers/logs.js';
import { makeScenePdf } from '../../helpers/media.js';

let dir: string;
let pdf: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-pages-'));
  pdf = await makeScenePdf(dir, [['ONE'], ['TWO'], ['THREE'], ['FOUR']]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('page images', () => {
  it('renders only the pages asked for, at the long side asked for; pages past the end are skipped', async () => {
    const { logger } = captureLogs();
    const images = await createPageImages().render(
      { pdfPath: pdf, pageCount: 4, pages: [3, 1, 3, 9, 0], outDir: path.join(dir, 'a'), size: 800 },
      { jobId: 'p1', logger },
    );
    expect([...images.keys()]).toEqual([1, 3]);
    // A4 landscape: 800 wide, 800 / 1.414 high.
    expect(await pngSize(images.get(3)!)).toEqual({ width: 800, height: 566 });
  });

  it('a page that needs more memory than allowed is left out, and the call still succeeds', async () => {
    const { logger, logs } = captureLogs();
    const images = await createPageImages({ maxMemoryMb: 4 }).render(
      { pdfPath: pdf, pageCount: 4, pages: [1, 2], outDir: path.join(dir, 'b'), size: 800 },
      { jobId: 'p2', logger },
    );
    expect(images.size).toBe(0);
    expect(logs.events('page_render_failed')).toHaveLength(2);
  });

  it('a page that takes too long is killed; the whole call stays inside its budget', async () => {
    const { logger, logs } = captureLogs();
    const started = Date.now();
    const images = await createPageImages({ pageTimeoutMs: 1, budgetMs: 3000 }).render(
      { pdfPath: pdf, pageCount: 4, pages: [1, 2, 3, 4], outDir: path.join(dir, 'c'), size: 4000 },
      { jobId: 'p3', logger },
    );
    expect(images.size).toBe(0);
    expect(logs.events('page_render_failed').length).toBeGreaterThan(0);
    expect((logs.events('page_render_failed')[0]!.err as { message: string }).message).toMatch(/took longer/);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('a file that is not a PDF gives no pages, not an exception', async () => {
    const bad = path.join(dir, 'bad.pdf');
    await writeFile(bad, '%PDF-1.7\n garbage without objects');
    const { logger } = captureLogs();
    const images = await createPageImages().render(
      { pdfPath: bad, pageCount: 2, pages: [1], outDir: path.join(dir, 'd'), size: 800 },
      { jobId: 'p4', logger },
    );
    expect(images.size).toBe(0);
  });

  it('a cancelled job stops rendering with CANCELLED', async () => {
    const { logger } = captureLogs();
    const ac = new AbortController();
    ac.abort();
    const err = await createPageImages()
      .render(
        { pdfPath: pdf, pageCount: 4, pages: [1], outDir: path.join(dir, 'e'), size: 800 },
        { jobId: 'p5', logger, signal: ac.signal },
      )
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('CANCELLED');
  });
});
