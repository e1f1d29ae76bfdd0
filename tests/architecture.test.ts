// The layers of docs/architecture.md, enforced: every import (type-only ones included) of the
// production code may only point down, or within its own layer. A front door never imports
// another platform's folder, and nothing but the composition root imports the composition root.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type Layer = 'kernel' | 'domain' | 'pipeline' | 'providers' | 'runtime' | 'frontdoor' | 'root';

/** What each layer may import (besides npm packages and Node's own modules). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  kernel: ['kernel'],
  domain: ['kernel', 'domain'],
  pipeline: ['kernel', 'domain', 'pipeline'],
  providers: ['kernel', 'domain', 'pipeline', 'providers'],
  runtime: ['kernel', 'domain', 'pipeline', 'runtime'],
  frontdoor: ['kernel', 'domain', 'runtime', 'frontdoor'],
  root: ['kernel', 'domain', 'pipeline', 'providers', 'runtime', 'frontdoor', 'root'],
};

const KERNEL = new Set(['src/errors.ts', 'src/logger.ts', 'src/config.ts']);
const DOMAIN = new Set(['pipeline/job.ts', 'pipeline/ports.ts']);
const RUNTIME_DIRS = ['redis', 'queue', 'jobs', 'limits', 'worker', 'http', 'ops', 'storage'];
const ROOT_DIRS = ['main', 'app', 'cli'];

/** The layer of a production file (path relative to the repository, with forward slashes). */
export function layerOf(file: string): Layer {
  if (KERNEL.has(file)) return 'kernel';
  if (DOMAIN.has(file)) return 'domain';
  const [top, second, third] = file.split('/');
  if (top === 'pipeline') return second === 'providers' ? 'providers' : 'pipeline';
  if (top === 'src') {
    if (RUNTIME_DIRS.includes(second!)) return 'runtime';
    if (ROOT_DIRS.includes(second!)) return 'root';
  }
  if (top === 'bots') {
    // bots/index.ts and bots/<platform>/index.ts build the doors; the rest is the doors.
    if (second === 'index.ts' || third === 'index.ts') return 'root';
    return 'frontdoor';
  }
  throw new Error(`${file} is in no layer: add its folder to tests/architecture.test.ts and docs/architecture.md`);
}

/** bots/<platform>/... -> platform; shared front-door files (bots/texts.ts) -> undefined. */
const platformOf = (file: string) => {
  const parts = file.split('/');
  return parts[0] === 'bots' && parts.length > 2 ? parts[1] : undefined;
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Relative imports of a file, resolved to repository paths (import, export from, import()). */
export function importsOf(file: string, text = readFileSync(path.join(ROOT, file), 'utf8')): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
}

export function violations(files: readonly string[], read?: (file: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    for (const target of importsOf(file, read?.(file))) {
      const to = layerOf(target);
      if (!MAY_IMPORT[from].includes(to)) {
        found.push(`${file} (${from}) imports ${target} (${to})`);
        continue;
      }
      const a = platformOf(file);
      const b = platformOf(target);
      if (from === 'frontdoor' && to === 'frontdoor' && a && b && a !== b) {
        found.push(`${file} (front door ${a}) imports ${target} (front door ${b})`);
      }
    }
  }
  return found;
}

describe('architecture: imports point down the layers', () => {
  const files = ['src', 'bots', 'pipeline'].flatMap(sourceFiles);

  it('finds the production files', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain('pipeline/ports.ts');
  });

  it('has no import that points up or sideways', () => {
    expect(violations(files)).toEqual([]);
  });

  it('would catch the imports this rule exists for (an upward import, a type-only one, a root import)', () => {
    const fake: Record<string, string> = {
      'pipeline/run.ts': "import type { ChatAdapter } from '../bots/telegram/adapter.js';",
      'src/worker/worker.ts': "import type { CoreServices } from '../app/services.js';",
      'pipeline/steps/render.ts': "import { voiceFor } from '../providers/voices.js';",
      'src/errors.ts': "export { x } from './queue/submit.js';",
      'bots/slack/adapter.ts': "const m = await import('../telegram/progress.js');",
      'src/ops/wiring.ts': "import { createDidRenderer } from '../../pipeline/providers/did.js';",
    };
    const found = violations(Object.keys(fake), (f) => fake[f]!);
    expect(found).toHaveLength(6);
  });
});

describe('architecture: watched log events', () => {
  it('every event metrics count or Sentry reports is emitted, by name, through the typed list', async () => {
    const { WATCHED_EVENTS } = await import('../src/logger.js');
    const code = ['src', 'bots', 'pipeline']
      .flatMap(sourceFiles)
      .map((f) => readFileSync(path.join(ROOT, f), 'utf8'))
      .join('\n');
    const silent = WATCHED_EVENTS.filter((e) => !code.includes(`event: '${e}' satisfies WatchedEvent`));
    expect(silent).toEqual([]);
  });
});
