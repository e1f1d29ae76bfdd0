// GET / and GET /page.json without a browser: the page's configuration carries the chat doors'
// own words, the CSP lets a <video> load from the S3 store's presigned origin, the built files
// are served with the right caching, and a missing build says so instead of serving nothing.
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/harness.js';
import { repoRoot } from '../../helpers/corpus.js';
import ts from 'typescript';
import { startWebFrontDoor } from '../../../bots/web/index.js';
import { pageConfig, pageWording } from '../../../bots/web/page-routes.js';
import { avatarLabel, doneLabel, stepLabel, waitingSlotText } from '../../../bots/texts.js';
import { ERROR_CODES, describeError } from '../../../src/errors.js';
import { STEPS } from '../../../pipeline/job.js';
import type { PageConfig } from '../../../bots/web/page/types.js';

let dir: string;
const started: Harness[] = [];

async function webWith(env: Record<string, string>, pageDir: string): Promise<Harness> {
  const h = await startHarness({
    redisUrl: inject('redisUrl'),
    worker: false,
    env: { SCRIPT_PROVIDER: 'local', VIDEO_PROVIDER: 'local', ...env },
    mount: (services, server) => {
      startWebFrontDoor(services, server, { role: 'web', pageDir });
    },
  });
  started.push(h);
  return h;
}

beforeAll(async () => {
  // A stand-in for Vite's output: what matters here is how the files are served.
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-page-routes-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(
    path.join(dir, 'index.html'),
    '<!doctype html><title>doc2video</title><script type="module" src="/assets/main-abc123.js"></script>',
  );
  await writeFile(path.join(dir, 'assets', 'main-abc123.js'), 'console.log("page");\n');
});

afterAll(async () => {
  for (const h of started) await h.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the page configuration', () => {
  it('says each step, waiting, done and every error in the words of the chat doors, per locale', () => {
    for (const locale of ['en', 'ar'] as const) {
      const c = pageConfig(locale, {
        uploads: 'public',
        maxPdfBytes: 20 * 1024 * 1024,
        defaults: { avatar: 'professional', layout: 'slides', captions: true },
      });
      for (const step of STEPS) expect(c.steps[step]).toBe(stepLabel(locale, step));
      expect(c.waiting).toBe(pageWording(waitingSlotText(locale)));
      expect(c.done).toBe(pageWording(doneLabel(locale)));
      expect(Object.keys(c.errors).sort()).toEqual([...ERROR_CODES].sort());
      expect(c.errors.PDF_SCANNED).toBe(describeError('PDF_SCANNED', locale).replace('PDF_SCANNED: ', ''));
      expect(c.errors.PDF_TOO_LARGE).toContain('20');
      expect(c.errors.PDF_TOO_LARGE).not.toContain('{limit}');
      expect(c.avatars.map((a) => a.value)).toEqual(['professional', 'friendly']);
      // The words without the chat's leading emoji.
      expect(avatarLabel(locale, 'professional').endsWith(c.avatars[0]!.label)).toBe(true);
      expect(c.avatars[0]!.label).toMatch(/^\p{L}/u);
      expect(c.done).toMatch(/^\p{L}/u);
      expect(c.languages.find((l) => l.value === 'ar')?.label).toBe(locale === 'ar' ? 'العربية' : 'Arabic');
    }
  });
});

describe("the page's code", () => {
  it('imports only its own files (no server code, no package): it runs in the browser and gets its words over HTTP', () => {
    const files = readdirSync(path.join(repoRoot, 'bots/web/page')).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('main.ts');
    const outside = files
      .flatMap((f) => ts.preProcessFile(readFileSync(path.join(repoRoot, 'bots/web/page', f), 'utf8'), true, true).importedFiles)
      .map((i) => i.fileName)
      .filter((spec) => !/^\.\/[\w-]+\.js$/.test(spec));
    expect(outside).toEqual([]);
  });
});

describe('GET / and GET /page.json', () => {
  it('serves the built page with a strict CSP that lets videos come from the S3 store, and its config', async () => {
    const h = await webWith(
      {
        WEB_UPLOADS: 'public',
        VIDEO_STORE: 's3',
        S3_BUCKET: 'videos',
        S3_ENDPOINT: 'http://127.0.0.1:9',
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
      },
      dir,
    );
    const page = await fetch(h.baseUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("media-src 'self' http://127.0.0.1:9");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');

    const asset = await fetch(`${h.baseUrl}/assets/main-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');

    const config = (await (await fetch(`${h.baseUrl}/page.json?locale=ar`)).json()) as PageConfig;
    expect(config.uploads).toBe('public');
    expect(config.maxPdfBytes).toBe(h.config.limits.maxPdfBytes);
    expect(config.steps.extract).toBe(stepLabel('ar', 'extract'));
    // Without ?locale, the browser's Accept-Language decides.
    const en = (await (await fetch(`${h.baseUrl}/page.json`, { headers: { 'accept-language': 'en-GB' } })).json()) as PageConfig;
    expect(en.steps.extract).toBe(stepLabel('en', 'extract'));
    // No catch-all: other paths stay other routes' business.
    expect((await fetch(`${h.baseUrl}/nothing-here.js`)).status).toBe(404);
  });

  it('with a local store, media-src is our own origin only; with WEB_UPLOADS=off the page says uploads are off', async () => {
    const h = await webWith({ WEB_UPLOADS: 'off' }, dir);
    const csp = (await fetch(h.baseUrl)).headers.get('content-security-policy')!;
    expect(csp).toMatch(/media-src 'self'(;|$)/);
    const config = (await (await fetch(`${h.baseUrl}/page.json`)).json()) as PageConfig;
    expect(config.uploads).toBe('off');
    expect((await fetch(`${h.baseUrl}/api/v1/videos/abcdefghij`)).status).toBe(404);
  });

  it('answers 503 with what to run when the page was never built', async () => {
    const h = await webWith({ WEB_UPLOADS: 'public' }, path.join(dir, 'not-built'));
    const res = await fetch(h.baseUrl);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
    expect(h.logs.events('web_page_missing')).toHaveLength(1);
  });
});
