// A video provider that answers at once, for end-to-end tests of the front doors: create()
// records the request, status() says done, download() hands back a few bytes. It stands in for
// D-ID (an external service); the pipeline around it is the real one.
import { Readable } from 'node:stream';
import type { CallContext, RenderRequest, RenderStatus, VideoRenderer } from '../../pipeline/ports.js';
import { sampleMp4 } from './sample-mp4.js';

export interface InstantRenderer extends VideoRenderer {
  created: Array<RenderRequest & { jobId: string }>;
  bytes: Buffer;
}

export function createInstantRenderer(bytes: Buffer = sampleMp4()): InstantRenderer {
  const created: InstantRenderer['created'] = [];
  return {
    name: 'local',
    created,
    bytes,
    async create(request: RenderRequest, ctx: CallContext) {
      created.push({ ...request, jobId: ctx.jobId });
      return { id: `instant-${ctx.jobId}-${created.length}` };
    },
    async findExisting(ctx: CallContext) {
      const c = created.findLast((r) => r.jobId === ctx.jobId);
      return c ? { id: `instant-${ctx.jobId}-${created.lastIndexOf(c) + 1}` } : undefined;
    },
    async status(videoId: string): Promise<RenderStatus> {
      return { state: 'done', resultUrl: `instant://${videoId}`, durationSeconds: 42 };
    },
    async download() {
      return Readable.from([bytes]);
    },
  };
}
