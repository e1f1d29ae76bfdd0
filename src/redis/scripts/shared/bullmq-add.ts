import { addStandardJob } from 'bullmq/dist/esm/scripts/addStandardJob-9.js';

/**
 * bullmqAddStandardJob(KEYS, ARGV) — BullMQ's own `addStandardJob` script, unchanged, as a Lua
 * function (a fragment, not a script of its own) that a script of ours calls to add a job in the
 * same atomic step as its own writes. Taking KEYS and ARGV as parameters shadows the globals, so
 * BullMQ's text runs as it would on its own. Its arguments are the ones BullMQ builds for it:
 * src/queue/prepared-job.ts records them from BullMQ's Job instead of sending them.
 *
 * Lua comes from the installed BullMQ (its generated script, with includes resolved), so the job
 * it writes is exactly what Queue.add writes for that version; tests/src/queue/prepared-job.test.ts
 * compares the two and fails when an upgrade changes the script's shape.
 */
if (addStandardJob.keys !== 9) {
  throw new Error(
    `BullMQ's addStandardJob script now takes ${addStandardJob.keys} keys (9 expected): update src/redis/scripts/shared/bullmq-add.ts`,
  );
}

/** How many KEYS BullMQ's addStandardJob takes (wait, paused, meta, id, completed, delayed, active, events, marker). */
export const BULLMQ_ADD_KEYS = addStandardJob.keys;

export const BULLMQ_ADD_LUA = `
local function bullmqAddStandardJob(KEYS, ARGV)
${addStandardJob.content}
end
`;
