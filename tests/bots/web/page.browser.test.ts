// The upload page in headless Chromium, against the real web process (API, page, Redis) and the
// real worker and pipeline with the offline script writer and a renderer that answers at once
// (D-ID stands outside; the page, the compose step and the keeper are ours and real).
// SCREENSHOTS_DIR=docs (npm run screenshots) also saves the page's pictures for the README.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, expectTypeOf, inject, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/harness.js';
import { corpusPath, repoRoot } from '../../helpers/corpus.js';
import { axeSerious, buildPage, horizontalOverflow, launchChromium, videoDuration } from '../../helpers/browser.js';
import { createInstantRenderer } from '../../fakes/instant-renderer.js';
import { startWebFrontDoor, webAdapterFor } from '../../../bots/web/index.js';
import { pageWording } from '../../../bots/web/page-routes.js';
import { keptFileRoutes } from '../../../src/http/files-route.js';
import { videoKeeperFrom } from '../../../src/storage/keeper.js';
import { describeError } from '../../../src/errors.js';
import { doneLabel, stepLabel } from '../../../bots/texts.js';
import type { ApiVideo } from '../../../bots/web/api.js';
import { STEPS } from '../../../pipeline/job.js';
import type { JobView } from '../../../bots/web/page/types.js';

const SHORT_PDF = corpusPath('py-pdf/crazyones-pdfa.pdf');
const SCANNED_PDF = corpusPath('py-pdf/imagemagick-images.pdf');
const SHOTS = process.env.SCREENSHOTS_DIR ? path.resolve(repoRoot, process.env.SCREENSHOTS_DIR) : undefined;

let h: Harness;
let browser: Browser;
let pageDir: string;
/** POST /api/v1/videos requests that reached the server. */
let uploadsSeen = 0;
const pageProblems: string[] = [];

// The page reads what the API sends: the page's own type must accept the API's.
expectTypeOf<ApiVideo>().toMatchTypeOf<JobView>();

async function shot(page: Page, name: string) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
}

async function openPage(opts: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 900 }, ...opts });
  // With the whole suite running on 2 cores, one step (a file chooser, a selector) once took longer
  // than Playwright's 30 s default; a slow machine is not a finding. A job gets 90 s (waitForStatus).
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  page.on('pageerror', (err) => pageProblems.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    // A CSP refusal, a failed script: anything the page logs as an error is a finding.
    if (m.type() === 'error') pageProblems.push(`console: ${m.text()}`);
  });
  await page.goto(h.baseUrl);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

const jobStatus = (page: Page) => page.getAttribute('#job', 'data-status');

async function waitForStatus(page: Page, statuses: string[]) {
  // Selectors, not waitForFunction: its string evaluation is refused by the page's CSP.
  await page.waitForSelector(statuses.map((s) => `#job[data-status="${s}"]`).join(', '), { timeout: 90_000 });
}

beforeAll(async () => {
  pageDir = await buildPage();
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    publicUrl: true,
    // Started by the resume test, once its job is waiting in the queue.
    worker: false,
    env: {
      SCRIPT_PROVIDER: 'local',
      VIDEO_PROVIDER: 'local',
      WEB_UPLOADS: 'public',
      RATE_LIMIT_MAX: '50',
      MAX_ACTIVE_JOBS_PER_USER: '4',
    },
    // Pictures for the README show the offline presenter; the tests use a renderer that answers at once.
    services: SHOTS ? {} : { renderer: createInstantRenderer() },
    adapters: (s) => ({ web: webAdapterFor(s) }),
    mount: (services, server) => {
      server.app.addHook('onRequest', async (request) => {
        if (request.method === 'POST' && request.url.startsWith('/api/v1/videos')) uploadsSeen++;
      });
      void server.app.register(keptFileRoutes({ store: services.store, linkSecret: services.config.storage.linkSecret }));
      startWebFrontDoor(services, server, { role: 'web', pageDir });
    },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
  if (pageDir) await rm(pageDir, { recursive: true, force: true });
});

describe('the upload page', () => {
  it('is served with a strict CSP, in English, with no serious axe-core finding', async () => {
    const res = await fetch(h.baseUrl);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("media-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    const page = await openPage();
    expect(await page.getAttribute('html', 'dir')).toBe('ltr');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('h1')).toBe('Turn a PDF into a short video');
    // The drop zone is the file input's label; the choices come from the chat texts.
    expect(await page.textContent('label[for="file"]')).toContain('Choose a PDF');
    expect(await page.locator('#avatar-field input[type="radio"]').count()).toBe(2);
    expect(await page.textContent('#layout-field')).toContain('Pages + presenter');
    expect(await axeSerious(page)).toEqual([]);
    await shot(page, 'page-idle.png');
    await page.context().close();
    expect(pageProblems).toEqual([]);
  });

  it('refuses a 21 MB file before uploading anything', async () => {
    const page = await openPage();
    const before = uploadsSeen;
    const big = Buffer.alloc(21 * 1024 * 1024, 0x20);
    big.write('%PDF-1.7\n');
    // From a file: a 21 MB buffer would cross the debugging pipe as base64, slowly.
    const file = path.join(h.dataDir, 'big.pdf');
    await writeFile(file, big);
    await page.setInputFiles('#file', file);
    await page.waitForSelector('#form-error[data-code="PDF_TOO_LARGE"]');
    expect(await page.textContent('#form-error')).toContain('Send a smaller PDF');
    // Trying anyway sends nothing either.
    await page.click('#submit');
    expect(await page.isVisible('#form-error')).toBe(true);
    expect(await page.isHidden('#job')).toBe(true);
    expect(uploadsSeen).toBe(before);
    await page.context().close();
  });

  it('picks a job up after a reload, follows it to the end and plays the video', async () => {
    const page = await openPage();
    await page.setInputFiles('#file', SHORT_PDF);
    await page.click('#submit');
    // The worker is not running yet: the job waits in the queue.
    await waitForStatus(page, ['queued']);
    const saved = await page.evaluate<string>(`localStorage.getItem('doc2video.jobs')`);
    const [job] = JSON.parse(saved) as { id: string; name: string }[];
    expect(job?.name).toBe('crazyones-pdfa.pdf');

    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#resume:not([hidden])');
    expect(await page.textContent('#resume-list')).toContain('crazyones-pdfa.pdf');
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitForStatus(page, ['queued']);

    h.startWorker({ keeper: videoKeeperFrom(h.services) });
    if (SHOTS) {
      // A step on screen, for the picture (steps take a few hundred ms each here).
      await page
        .waitForSelector('#job[data-status="running"]')
        .then(() => shot(page, 'page-progress.png'))
        .catch(() => undefined);
    }
    await waitForStatus(page, ['done', 'failed']);
    expect(await page.textContent('#job-error')).toBe('');
    expect(await jobStatus(page)).toBe('done');
    expect(await page.textContent('#job-status')).toBe(pageWording(doneLabel('en')));
    expect(await videoDuration(page, '#video')).toBeGreaterThan(0);
    expect(await page.getAttribute('#download-video', 'href')).toBe(`/api/v1/videos/${job!.id}/video`);
    const mp4 = await page.evaluate<number>(
      `fetch(document.getElementById('download-video').href).then((r) => r.ok ? r.arrayBuffer() : Promise.reject(r.status)).then((b) => b.byteLength)`,
    );
    expect(mp4).toBeGreaterThan(1000);
    await page.context().close();
    expect(pageProblems).toEqual([]);
  });

  it('uploads with the keyboard alone, says each step in the chat wording, and has no serious axe-core finding when done', async () => {
    const page = await openPage();
    const focused = () => page.evaluate<string>('document.activeElement?.id ?? ""');
    for (let i = 0; i < 10 && (await focused()) !== 'file'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('file');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    await chooser.setFiles(SHORT_PDF);
    await page.waitForSelector('#drop.has-file');
    // Layout by arrow keys: the second choice, the presenter alone.
    for (let i = 0; i < 10 && (await page.evaluate<string>('document.activeElement?.name ?? ""')) !== 'layout'; i++)
      await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowDown');
    expect(await page.isChecked('#layout-field input[value="presenter"]')).toBe(true);
    for (let i = 0; i < 10 && (await focused()) !== 'submit'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('submit');

    const steps = new Set<string>();
    await page.exposeFunction('noteStep', (text: string) => steps.add(text));
    await page.evaluate(`
      new MutationObserver(() => window.noteStep(document.getElementById('job-status').textContent))
        .observe(document.getElementById('job-status'), { childList: true, characterData: true, subtree: true })
    `);
    await page.keyboard.press('Enter');
    // Focus moves to the job's heading, so a screen reader starts there.
    await expect.poll(() => page.evaluate<string>('document.activeElement?.id ?? ""')).toBe('job-title');
    await waitForStatus(page, ['done', 'failed']);
    expect(await jobStatus(page)).toBe('done');
    expect(await videoDuration(page, '#video')).toBeGreaterThan(0);
    // What was announced is the chat's wording (the worker may pass a step between two reads).
    const chatWords = new Set<string>(STEPS.map((s) => stepLabel('en', s)));
    const announcedSteps = [...steps].filter((s) => chatWords.has(s));
    expect(steps.has(pageWording(doneLabel('en')))).toBe(true);
    expect(
      [...steps].every(
        (s) =>
          chatWords.has(s) ||
          s === pageWording(doneLabel('en')) ||
          /^Uploading the PDF… \d+%$/.test(s) ||
          s === 'In the queue…' ||
          s === '',
      ),
    ).toBe(true);
    expect(announcedSteps.length).toBeGreaterThan(0);
    expect(await axeSerious(page)).toEqual([]);
    await shot(page, 'page-done.png');
    await page.context().close();
    expect(pageProblems).toEqual([]);
  });

  it('shows PDF_SCANNED, with what to do next, for a scanned PDF', async () => {
    const page = await openPage();
    await page.setInputFiles('#file', SCANNED_PDF);
    await page.click('#submit');
    await waitForStatus(page, ['done', 'failed']);
    expect(await jobStatus(page)).toBe('failed');
    expect(await page.getAttribute('#job-error', 'data-code')).toBe('PDF_SCANNED');
    const text = await page.textContent('#job-error');
    expect(text).toContain('PDF_SCANNED');
    expect(text).toContain(describeError('PDF_SCANNED', 'en').replace(/^PDF_SCANNED: /, ''));
    // The error is announced (role=alert) and focused.
    expect(await page.evaluate<string>('document.activeElement?.id ?? ""')).toBe('job-error');
    expect(await page.isVisible('#again')).toBe(true);
    await page.context().close();
  });

  it('is right-to-left and Arabic for an Arabic browser, with no serious axe-core finding idle or done', async () => {
    const page = await openPage({ locale: 'ar-EG' });
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    expect(await page.getAttribute('html', 'lang')).toBe('ar');
    expect(await page.textContent('h1')).toBe('حوّل ملف PDF إلى فيديو قصير');
    expect(await page.textContent('#layout-field')).toContain('الصفحات مع المقدّم');
    expect(await axeSerious(page)).toEqual([]);
    await page.setInputFiles('#file', SHORT_PDF);
    await page.click('#submit');
    await waitForStatus(page, ['done', 'failed']);
    expect(await jobStatus(page)).toBe('done');
    expect(await page.textContent('#job-status')).toBe(pageWording(doneLabel('ar')));
    expect(await page.textContent('#download-video')).toContain('نزّل الفيديو');
    expect(await videoDuration(page, '#video')).toBeGreaterThan(0);
    expect(await axeSerious(page)).toEqual([]);
    await shot(page, 'page-arabic.png');
    await page.context().close();
    expect(pageProblems).toEqual([]);
  });

  it('fits a phone screen (390x844) without sideways scrolling, in both languages', async () => {
    for (const locale of ['en-US', 'ar-EG']) {
      const page = await openPage({ locale, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await page.setInputFiles('#file', {
        name: `a-rather-long-file-name-that-goes-on-and-on-without-any-space-at-all-${'x'.repeat(60)}.pdf`,
        mimeType: 'application/pdf',
        buffer: Buffer.from('%PDF-1.7\n%%EOF\n'),
      });
      await page.waitForSelector('#drop.has-file');
      expect(await horizontalOverflow(page), locale).toBeLessThanOrEqual(0);
      await page.context().close();
    }
  });
});
