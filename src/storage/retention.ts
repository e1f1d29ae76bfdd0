// The store's own clean-up: kept videos go VIDEO_RETENTION_DAYS after they were written, PDFs
// waiting in the uploads area go once their job can no longer need them. Our own sweep rather
// than bucket lifecycle rules: those count whole days, run late, and s3rver or a local folder
// has none (a lifecycle rule is still a good backstop on real S3).
import type { VideoStore } from './video-store.js';

export interface RetentionSettings {
  videoRetentionMs: number;
  uploadTtlMs: number;
}

export async function sweepStore(
  store: Pick<VideoStore, 'listOlderThan' | 'delete'>,
  s: RetentionSettings,
  now = Date.now(),
): Promise<{ videos: number; uploads: number }> {
  const videos = await store.listOlderThan('videos/', now - s.videoRetentionMs);
  const uploads = await store.listOlderThan('uploads/', now - s.uploadTtlMs);
  await store.delete([...videos, ...uploads]);
  return { videos: videos.length, uploads: uploads.length };
}
