// Keeping a delivered video: the MP4 (and its captions, when there are any) go into the video
// store, and the job's record notes it, so the record lives as long as the video and every
// front door can hand out our own link to it (src/storage/links.ts) for VIDEO_RETENTION_DAYS.
import type { JobRecords, KeptVideo } from '../jobs/records.js';
import { captionsKey, videoKey, type VideoStore } from './video-store.js';

export interface KeepRequest {
  jobId: string;
  /** The finished MP4 on this worker's disk. */
  path: string;
  bytes: number;
  seconds?: number;
  /** A WebVTT file made beside the video. */
  captionsPath?: string;
}

export interface VideoKeeperDeps {
  store: Pick<VideoStore, 'putFile'>;
  records: Pick<JobRecords, 'keep'>;
  retentionMs: number;
}

export function createVideoKeeper(deps: VideoKeeperDeps) {
  return {
    async keep(req: KeepRequest, now = Date.now()): Promise<KeptVideo> {
      await deps.store.putFile(videoKey(req.jobId), req.path, 'video/mp4');
      if (req.captionsPath) await deps.store.putFile(captionsKey(req.jobId), req.captionsPath, 'text/vtt; charset=utf-8');
      const kept: KeptVideo = {
        bytes: req.bytes,
        ...(req.seconds !== undefined ? { seconds: req.seconds } : {}),
        expiresAt: now + deps.retentionMs,
        captions: !!req.captionsPath,
      };
      await deps.records.keep(req.jobId, kept);
      return kept;
    },
  };
}

export type VideoKeeperImpl = ReturnType<typeof createVideoKeeper>;
