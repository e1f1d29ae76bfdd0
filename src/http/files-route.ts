// GET /files/:jobId/:file?exp&sig — our own signed, expiring links to kept videos and captions
// (src/storage/links.ts), the links handed out in chats and by the API. No login: the signature
// is the permission. A bad signature answers like a missing file (404); a good but expired one
// says so (403), so a user knows to ask for a fresh link.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { checkLink } from '../storage/links.js';
import { captionsKey, videoKey, type VideoStore } from '../storage/video-store.js';
import { sendStored } from './stored-file.js';

export function keptFileRoutes(deps: { store: VideoStore; linkSecret: string | undefined }): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { jobId: string; file: string }; Querystring: Record<string, unknown> }>(
      '/files/:jobId/:file',
      async (request, reply) => {
        const { jobId, file } = request.params;
        const notFound = (r: FastifyReply) => r.code(404).send({ ok: false, error: 'not found' });
        if (!deps.linkSecret || !/^[a-z0-9]{1,40}$/.test(jobId)) return notFound(reply);
        const check = checkLink(deps.linkSecret, { jobId, file, exp: request.query.exp, sig: request.query.sig });
        if (check === 'invalid') return notFound(reply);
        if (check === 'expired') return reply.code(403).send({ ok: false, error: 'link expired' });
        const key = file === 'captions.vtt' ? captionsKey(jobId) : videoKey(jobId);
        return sendStored(request, reply, deps.store, key, { downloadName: `${jobId}-${file}`, notFound });
      },
    );
  };
}
