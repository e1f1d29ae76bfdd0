// This browser's recent jobs, kept in localStorage so a reload or a closed tab can pick a job up
// again. Only ids, file names and start times: the job itself is read from the API (whose owner
// cookie proves it is ours). Entries older than 30 minutes are dropped.
export interface SavedJob {
  id: string;
  name: string;
  /** Epoch ms when it was uploaded. */
  at: number;
}

const KEY = 'doc2video.jobs';
export const KEEP_MS = 30 * 60 * 1000;

function read(storage: Storage): SavedJob[] {
  try {
    const v: unknown = JSON.parse(storage.getItem(KEY) ?? '[]');
    if (!Array.isArray(v)) return [];
    return v.filter(
      (j): j is SavedJob =>
        typeof j === 'object' &&
        j !== null &&
        typeof (j as SavedJob).id === 'string' &&
        /^[a-z0-9]{10}$/.test((j as SavedJob).id) &&
        typeof (j as SavedJob).name === 'string' &&
        typeof (j as SavedJob).at === 'number',
    );
  } catch {
    return [];
  }
}

function write(storage: Storage, jobs: SavedJob[]): void {
  try {
    storage.setItem(KEY, JSON.stringify(jobs));
  } catch {
    // Storage full or disabled (private mode): resuming is a convenience, the job goes on.
  }
}

/** The jobs still worth resuming, newest first (and the stale ones forgotten). */
export function savedJobs(storage: Storage, now = Date.now()): SavedJob[] {
  const all = read(storage);
  const fresh = all.filter((j) => now - j.at < KEEP_MS).sort((a, b) => b.at - a.at);
  if (fresh.length !== all.length) write(storage, fresh);
  return fresh;
}

export function saveJob(storage: Storage, job: SavedJob): void {
  write(storage, [job, ...savedJobs(storage).filter((j) => j.id !== job.id)].slice(0, 10));
}

export function forgetJob(storage: Storage, id: string): void {
  write(
    storage,
    savedJobs(storage).filter((j) => j.id !== id),
  );
}
