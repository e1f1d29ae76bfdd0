// Headless Chromium for the page's tests: Debian's `chromium` (scripts/system-packages.txt),
// driven by playwright-core (no `playwright install`: it downloads a browser), and the page
// built fresh by Vite into a temporary folder, so a test never runs against a stale dist/page.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { repoRoot } from './corpus.js';

/** The first `chromium` (or `chromium-browser`) on PATH. */
export function chromiumPath(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const file = path.join(dir, name);
      if (dir && existsSync(file)) return file;
    }
  }
  throw new Error('chromium is not installed: run scripts/install-system-deps.sh');
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--disable-gpu', '--disable-quic'] });
}

/** Build the page from its sources (vite.config.ts) into a new temporary folder. */
export async function buildPage(): Promise<string> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'd2v-page-'));
  await build({
    configFile: path.join(repoRoot, 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core's serious and critical findings on the page as it is now. The source goes in through
 * the debugging protocol (page.evaluate), which the page's CSP does not govern: a <script> tag
 * would be refused, as it should be.
 */
export async function axeSerious(page: Page): Promise<AxeFinding[]> {
  await page.evaluate(axeSource);
  return page.evaluate(`
    axe.run(document, { resultTypes: ['violations'] }).then((r) =>
      r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => String(n.target)) })),
    )
  `);
}

/** The duration of the page's <video> once its metadata has loaded (NaN never resolves). */
export function videoDuration(page: Page, selector: string): Promise<number> {
  return page.evaluate(
    `new Promise((resolve, reject) => {
      const v = document.querySelector(${JSON.stringify(selector)});
      if (!v) return reject(new Error('no video'));
      const done = () => resolve(v.duration);
      if (v.readyState >= 1) return done();
      v.addEventListener('loadedmetadata', done, { once: true });
      v.addEventListener('error', () => reject(new Error('video error ' + (v.error && v.error.code))), { once: true });
    })`,
  );
}

/** Horizontal overflow of the document, in CSS pixels (0: no sideways scroll). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
}
