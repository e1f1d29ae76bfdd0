// A video job prepared for the admission script (src/redis/scripts/admit.ts), which adds it in
// the same atomic step as the admission itself: one round trip on the hot path instead of two,
// and no moment where a request is admitted but its job not yet queued. BullMQ's own Job builds
// and checks the job (defaults, backoff, timestamp, option encoding); a recording client captures
// the addStandardJob call it would send, so the keys and packed arguments are BullMQ's own.
import { Job, type JobsOptions } from 'bullmq';
import type { PreparedJob } from '../limits/admission.js';
import type { JobOptions, VideoJobData } from '../../pipeline/job.js';
import type { VideoQueue } from './video-queue.js';

/** Stands in for `options` until the script has merged the remembered choices into them. */
const OPEN = '\u0000d2v:options';
const OPEN_TAIL = `${JSON.stringify(OPEN)}}`;

type RecordingClient = Parameters<Job['addJob']>[0];

/**
 * `data` and the request's own `options`, as BullMQ would add them with `opts` (which must name
 * the jobId); the data's `options` is left open (`PreparedJob.dataHead`) for the script to fill.
 */
export async function prepareVideoJob(
  queue: VideoQueue,
  name: string,
  data: Omit<VideoJobData, 'options'>,
  options: JobOptions,
  opts: JobsOptions & { jobId: string },
): Promise<PreparedJob> {
  // `options` last, so that its value ends the JSON.
  const open = { ...data, options: OPEN } as unknown as VideoJobData;
  const job = new Job<VideoJobData>(queue, name, open, { ...queue.defaultJobOptions, ...opts }, opts.jobId);
  let call: { command: string; args: unknown[] } | undefined;
  const recorder = {
    runCommand(command: string, args: unknown[]) {
      call = { command, args };
      return Promise.resolve(opts.jobId);
    },
  };
  await job.addJob(recorder as unknown as RecordingClient);
  // addStandardJob:<version>, with its 9 keys, packed args, data JSON, packed options. Any other
  // shape means BullMQ changed how it adds a job: fail loudly rather than write a job it cannot read.
  if (!call || !call.command.startsWith('addStandardJob:') || call.args.length !== 12) {
    throw new Error(
      `BullMQ would add this job with ${call?.command ?? 'nothing'} (${call?.args.length ?? 0} arguments); expected addStandardJob with 12`,
    );
  }
  const keys = call.args.slice(0, 9) as string[];
  const [packedArgs, json, packedOpts] = call.args.slice(9) as [Buffer, string, Buffer];
  if (typeof json !== 'string' || !json.endsWith(OPEN_TAIL) || !Buffer.isBuffer(packedArgs) || !Buffer.isBuffer(packedOpts)) {
    throw new Error('BullMQ changed the arguments of addStandardJob (data JSON and packed buffers expected)');
  }
  return {
    keys,
    packedArgs,
    dataHead: json.slice(0, -OPEN_TAIL.length),
    options: JSON.stringify(options),
    packedOpts,
  };
}
