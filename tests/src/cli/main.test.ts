// The doc2video command, run as a real process (through tsx) with the offline providers.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPdf } from '../../../src/cli/check.js';
import { loadConfig } from '../../../src/config.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const EXAMPLE = path.join(ROOT, 'examples/the-water-cycle.pdf');
const CORPUS = process.env.CORPUS_DIR ?? path.resolve(ROOT, '../shared/corpus');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'd2v-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT, // tsx resolves from here
      env: { PATH: process.env.PATH ?? '', HOME: dir, DATA_DIR: path.join(dir, '.data'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('doc2video check', () => {
  it('gives every corpus file its expected outcome', async () => {
    const expected = JSON.parse(await readFile(path.join(CORPUS, 'expected.json'), 'utf8')) as {
      files: Record<string, { ok: boolean; codes?: string[]; language?: string }>;
    };
    const config = loadConfig({});
    const wrong: string[] = [];
    for (const [file, want] of Object.entries(expected.files)) {
      const got = await checkPdf(path.join(CORPUS, file), config);
      const good =
        got.ok === want.ok && (want.ok || want.codes!.includes(got.code!)) && (!want.language || got.language === want.language);
      if (!good) wrong.push(`${file}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
    expect(wrong).toEqual([]);
    expect(Object.keys(expected.files).length).toBeGreaterThanOrEqual(20);
  }, 240_000);

  it('prints {"ok","code","message","pages","chars","language"} as JSON, exit 1 on a bad PDF', async () => {
    const bad = await run(['check', path.join(CORPUS, 'py-pdf/libreoffice-writer-password.pdf'), '--json']);
    expect(bad.code).toBe(1);
    const out = JSON.parse(bad.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ ok: false, code: 'PDF_ENCRYPTED', message: expect.stringContaining('password') });
    expect(Object.keys(out).sort()).toEqual(['chars', 'code', 'language', 'message', 'ok', 'pages']);
    const good = await run(['check', EXAMPLE, '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({ ok: true, pages: 1, chars: expect.any(Number), language: 'en' });
  }, 60_000);
});

describe('doc2video <file.pdf>', () => {
  it('runs the whole pipeline offline through an embedded Redis and writes the MP4', async () => {
    const out = path.join(dir, 'water.mp4');
    const r = await run([EXAMPLE, '--out', out]);
    expect(r.stderr).toContain('Video written to');
    expect(r.code).toBe(0);
    const head = (await readFile(out)).subarray(4, 8).toString('latin1');
    expect(head).toBe('ftyp');
    expect((await stat(out)).size).toBeGreaterThan(10_000);
    // Progress went to the terminal, step by step.
    expect(r.stderr).toMatch(/Writing the script…[\s\S]*Rendering the video…/);
  }, 120_000);

  it('`script --json` stops after the script and prints it', async () => {
    const r = await run(['script', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const script = JSON.parse(r.stdout.trim().split('\n').pop()!) as { text: string; language: string; words: number };
    expect(script.language).toBe('en');
    expect(script.words).toBeGreaterThanOrEqual(50);
    expect(script.text).toContain('Water');
  }, 60_000);

  it('fails with its code and exit 1 for a bad PDF, and exit 2 for bad usage or config', async () => {
    const bad = await run([path.join(CORPUS, 'py-pdf/imagemagick-images.pdf'), '--out', path.join(dir, 'x.mp4')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('PDF_SCANNED');
    const usage = await run(['nope.pdf']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('no such file');
    const config = await run([EXAMPLE], { PORT: 'x' });
    expect(config.code).toBe(2);
    expect(config.stderr.trim()).toBe('doc2video: Invalid configuration: PORT must be an integer from 1 to 65535');
  }, 90_000);
});
