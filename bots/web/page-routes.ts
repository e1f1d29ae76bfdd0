// The upload page at GET /: the files Vite built from bots/web/page (served by @fastify/static
// from the build folder), and GET /page.json, the page's configuration and its job wording in
// its own locale. The wording comes from bots/texts.ts and src/errors.ts, the same texts the
// chat doors send, so a step reads the same in Telegram, Slack and the page; the page itself
// only carries its own labels (bots/web/page/texts.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { ERROR_CODES, describeError, formatBytes, toLocale, type Locale } from '../../src/errors.js';
import { AVATAR_STYLES, type AvatarStyle } from '../../src/config.js';
import type { Logger } from '../../src/logger.js';
import { STEPS, VIDEO_LAYOUTS, type VideoLayout } from '../../pipeline/job.js';
import {
  CHOOSABLE_LANGUAGES,
  avatarLabel,
  captionsLabel,
  doneLabel,
  languageName,
  layoutLabel,
  stepLabel,
  waitingSlotText,
} from '../texts.js';
import type { PageConfig } from './page/types.js';

export interface PageDeps {
  /** The folder Vite built the page into (index.html and assets/). */
  dir: string;
  uploads: PageConfig['uploads'];
  maxPdfBytes: number;
  defaults: { avatar: AvatarStyle; layout: VideoLayout; captions: boolean };
  /** Origins the page's <video> may load from besides its own (the S3 presigned URLs' origin). */
  mediaOrigins: readonly string[];
  logger: Logger;
}

/**
 * A chat text as the page shows it: the same words without the leading emoji, which chat
 * clients draw but the page replaces with its own controls, and which screen readers would
 * read out by name ("necktie Professional").
 */
export const pageWording = (text: string) => text.replace(/^\u200f?(?:\p{Extended_Pictographic}|\u200d|\ufe0f)+\s*/u, '');

/** The page's configuration in one locale (tested against the chat texts). */
export function pageConfig(locale: Locale, d: Pick<PageDeps, 'uploads' | 'maxPdfBytes' | 'defaults'>): PageConfig {
  const vars = { limit: formatBytes(d.maxPdfBytes) };
  return {
    uploads: d.uploads,
    maxPdfBytes: d.maxPdfBytes,
    defaults: d.defaults,
    avatars: AVATAR_STYLES.map((value) => ({ value, label: pageWording(avatarLabel(locale, value)) })),
    layouts: VIDEO_LAYOUTS.map((value) => ({ value, label: pageWording(layoutLabel(locale, value)) })),
    captions: { on: pageWording(captionsLabel(locale, true)), off: pageWording(captionsLabel(locale, false)) },
    languages: CHOOSABLE_LANGUAGES.map((value) => ({ value, label: languageName(value, locale) })),
    steps: Object.fromEntries(STEPS.map((s) => [s, stepLabel(locale, s)])),
    waiting: pageWording(waitingSlotText(locale)),
    done: pageWording(doneLabel(locale)),
    // The page shows the code apart, so the message goes without its "CODE: " prefix.
    errors: Object.fromEntries(ERROR_CODES.map((c) => [c, describeError(c, locale, vars).replace(/^[A-Z_]+: /, '')])),
  };
}

/**
 * The page's CSP: nothing inline (Vite emits external files only), requests to our own origin
 * only; a kept video may come from the store's presigned URLs, hence the extra media origins.
 */
function cspDirectives(mediaOrigins: readonly string[]) {
  return {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    mediaSrc: ["'self'", ...mediaOrigins],
    connectSrc: ["'self'"],
    manifestSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    objectSrc: ["'none'"],
    // Our own http://127.0.0.1 in development must keep working; TLS is the proxy's job.
    upgradeInsecureRequests: null,
  };
}

export function pageRoutes(deps: PageDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await app.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(deps.mediaOrigins) },
      crossOriginEmbedderPolicy: false,
    });

    app.get<{ Querystring: { locale?: string } }>(
      '/page.json',
      { schema: { querystring: { type: 'object', properties: { locale: { type: 'string', maxLength: 35 } } } } },
      async (request, reply) =>
        reply
          .header('cache-control', 'no-cache')
          .send(pageConfig(toLocale(request.query.locale ?? request.headers['accept-language']), deps)),
    );

    if (!existsSync(path.join(deps.dir, 'index.html'))) {
      // Say so rather than serve nothing: `npm run build` (or `npm run dev`) builds the page.
      deps.logger.warn({ event: 'web_page_missing', dir: deps.dir }, 'the upload page is not built: run npm run build');
      app.get('/', async (_request, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('doc2video: the upload page is not built. Run `npm run build`; the API is at /api/v1/openapi.json.\n'),
      );
      return;
    }
    await app.register(fastifyStatic, {
      root: deps.dir,
      prefix: '/',
      // One route per built file, found at start: no catch-all in front of the other routes.
      wildcard: false,
      index: ['index.html'],
      setHeaders(reply, file) {
        // Vite names the assets by their content hash; the page itself must be re-read.
        const immutable = file.includes(`${path.sep}assets${path.sep}`);
        void reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
      cacheControl: false,
    });
  };
}
