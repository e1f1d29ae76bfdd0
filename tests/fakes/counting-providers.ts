// Test doubles of the two paid providers (OpenRouter, D-ID) that count every call, for tests
// that must prove a paid call did or did not happen. They answer at once with valid results:
// the script is written by the offline extractive writer (so it fits the length limits), and it
// reports an OpenRouter-like usage cost; the render is "done" on the first look.
import { Readable } from 'node:stream';
import { sampleMp4 } from './sample-mp4.js';
import { writeLocalScript } from '../../pipeline/providers/local-script.js';
import type { CallContext, RenderStatus, ScriptDraft, ScriptRequest, ScriptWriter, VideoRenderer } from '../../pipeline/ports.js';

export interface CountingWriter extends ScriptWriter {
  calls: { jobId: string; request: ScriptRequest }[];
  /** Runs inside write(), before it answers (to simulate things happening meanwhile). */
  during?: (ctx: CallContext) => Promise<void>;
}

export function countingScriptWriter(
  opts: { costUsd?: number; during?: (ctx: CallContext) => Promise<void> } = {},
): CountingWriter {
  const w: CountingWriter = {
    name: 'openrouter',
    model: 'test/counting-model',
    calls: [],
    ...(opts.during ? { during: opts.during } : {}),
    async write(request, ctx): Promise<ScriptDraft> {
      w.calls.push({ jobId: ctx.jobId, request });
      await w.during?.(ctx);
      return { text: writeLocalScript(request), model: 'test/counting-model', costUsd: opts.costUsd ?? 0.0123 };
    },
  };
  return w;
}

export interface CountingRenderer extends VideoRenderer {
  creates: { jobId: string }[];
  statusReads: number;
  downloads: number;
}

export function countingRenderer(opts: { durationSeconds?: number } = {}): CountingRenderer {
  const r: CountingRenderer = {
    name: 'd-id',
    creates: [],
    statusReads: 0,
    downloads: 0,
    async create(_request, ctx) {
      r.creates.push({ jobId: ctx.jobId });
      return { id: `counted-${ctx.jobId}-${r.creates.length}` };
    },
    async findExisting(ctx) {
      const n = r.creates.filter((c) => c.jobId === ctx.jobId).length;
      return n ? { id: `counted-${ctx.jobId}-${n}` } : undefined;
    },
    async status(videoId): Promise<RenderStatus> {
      r.statusReads++;
      return { state: 'done', resultUrl: `https://results.invalid/${videoId}.mp4`, durationSeconds: opts.durationSeconds ?? 42 };
    },
    async download() {
      r.downloads++;
      // A real (small) MP4: the compose step probes and re-encodes what it downloads.
      return Readable.from([sampleMp4()]);
    },
  };
  return r;
}

/** Paid calls made so far: LLM writes and D-ID creates. */
export const paidCalls = (w: CountingWriter, r: CountingRenderer) => w.calls.length + r.creates.length;
