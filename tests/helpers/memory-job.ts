// A PipelineJob kept in memory, for testing steps on their own. Its checkpoint survives a
// "crash" (a new handle over the same data), like a BullMQ job's data in Redis.
import type { PipelineJob } from '../../pipeline/ports.js';
import type { Checkpoint, VideoJobData } from '../../pipeline/job.js';

export class Parked extends Error {
  constructor(readonly until: number) {
    super(`parked until ${until}`);
  }
}

export function memoryJob(
  id: string,
  data: VideoJobData,
  signal = new AbortController().signal,
): PipelineJob & { saves: Partial<Checkpoint>[] } {
  const saves: Partial<Checkpoint>[] = [];
  return {
    id,
    data,
    signal,
    saves,
    async saveCheckpoint(patch) {
      saves.push(patch);
      data.checkpoint = { ...data.checkpoint, ...patch };
    },
    async saveChat(patch) {
      data.chat = { ...data.chat, ...patch };
    },
    async sleepUntil(at: number): Promise<never> {
      throw new Parked(at);
    },
  };
}

export function jobData(partial: Partial<VideoJobData> = {}): VideoJobData {
  return {
    requester: { platform: 'test', userKey: 'test:u', userId: 'u', chatId: 'c' },
    file: { kind: 'path', path: '/dev/null' },
    options: {},
    checkpoint: {},
    chat: {},
    createdAt: Date.now(),
    ...partial,
  };
}
