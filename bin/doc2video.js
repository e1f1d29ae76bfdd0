#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` makes dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write('doc2video: not built yet — run `npm run build` first.\n');
  process.exit(2);
}
await import(compiled);
