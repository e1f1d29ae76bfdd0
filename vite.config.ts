// Vite builds the upload page (bots/web/page) into dist/page, which the web process serves
// (bots/web/page-routes.ts). Plain TypeScript and CSS, no framework; nothing is inlined into the
// HTML, so the page's CSP can forbid inline scripts and styles.
import path from 'node:path';
import { defineConfig } from 'vite';

const root = path.resolve(import.meta.dirname, 'bots/web/page');

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: path.resolve(import.meta.dirname, 'dist/page'),
    emptyOutDir: true,
    // Never a data: URL or an inline <script>/<style> (the CSP allows 'self' only).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: true,
  },
});
