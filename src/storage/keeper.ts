// The video keeper (the VideoKeeper port of pipeline/ports.ts): the delivered MP4 (and its
// captions, when there are any) go into the video store, and the job's record notes it, so the
// record lives as long as the video and every front door can hand out our own link to it
// (src/storage/links.ts) for VIDEO_RETENTION_DAYS.
import type { VideoKeeper } from '../../pipeline/ports.js';
import type { JobRecords, KeptVideo } from '../jobs/records.js';
import { keptFileLink, type LinkSettings } from './links.js';
import { captionsKey, videoKey, type VideoStore } from './video-store.js';

export interface VideoKeeperDeps {
  store: Pick<VideoStore, 'putFile' | 'directUrl'>;
  records: Pick<JobRecords, 'keep'>;
  retentionMs: number;
  links: LinkSettings;
}

export function createVideoKeeper(deps: VideoKeeperDeps): VideoKeeper {
  return {
    async keep(req) {
      const now = Date.now();
      await deps.store.putFile(videoKey(req.jobId), req.path, 'video/mp4');
      // Captions are a bonus: a job without its .vtt (made by an older worker) keeps the video.
      const captions =
        !!req.captionsPath &&
        (await deps.store.putFile(captionsKey(req.jobId), req.captionsPath, 'text/vtt; charset=utf-8').then(
          () => true,
          (err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOENT') return false;
            throw err;
          },
        ));
      const kept: KeptVideo = {
        bytes: req.bytes,
        ...(req.seconds !== undefined ? { seconds: req.seconds } : {}),
        expiresAt: now + deps.retentionMs,
        captions,
      };
      await deps.records.keep(req.jobId, kept);
      const url = await keptFileLink(deps.store, deps.links, {
        jobId: req.jobId,
        file: 'video.mp4',
        key: videoKey(req.jobId),
        expiresAt: kept.expiresAt,
        downloadName: `${req.jobId}.mp4`,
      });
      return { ...(url ? { url } : {}), expiresAt: kept.expiresAt };
    },
  };
}

/** The keeper of a process, from its services (composition roots). */
export function videoKeeperFrom(s: {
  store: VideoKeeperDeps['store'];
  records: VideoKeeperDeps['records'];
  config: { publicUrl: string | undefined; storage: { retentionDays: number; linkSecret: string | undefined } };
}): VideoKeeper {
  return createVideoKeeper({
    store: s.store,
    records: s.records,
    retentionMs: s.config.storage.retentionDays * 86_400_000,
    links: { publicUrl: s.config.publicUrl, linkSecret: s.config.storage.linkSecret },
  });
}
