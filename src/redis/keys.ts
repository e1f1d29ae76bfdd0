// Every Redis key name doc2video uses, in one place, so a reader can see the whole layout and no
// two parts of the code can disagree on a name. All keys live under the configured prefix
// (REDIS_PREFIX, or a test's own); BullMQ's keys are its own (`<prefix>:video:*`).

export function redisKeys(prefix: string) {
  return {
    prefix,

    // ---- admission (src/limits/admission.ts) -------------------------------------------------
    /** string: the job id admitted for a request (its platform dedupe key), 7 days. */
    dedupe: (dedupeKey: string) => `${prefix}:dedupe:${dedupeKey}`,
    /** zset job id -> accepted at (ms): the user's sliding rate window. */
    rate: (userKey: string) => `${prefix}:rate:${userKey}`,
    /** zset job id -> admitted at (ms): jobs waiting or running, for MAX_QUEUED_JOBS. */
    intake: `${prefix}:intake`,
    /** zset job id -> admitted at (ms): admitted jobs no worker has started yet (queue position). */
    intakeWaiting: `${prefix}:intake-waiting`,

    // ---- per-user concurrency slots (src/limits/limits.ts) ------------------------------------
    /** zset job id -> lease expiry (ms): the user's jobs holding a slot. */
    activeSlots: (userKey: string) => `${prefix}:active:${userKey}`,
    /** zset job id -> first wait (ms): the user's jobs parked until a slot frees. */
    slotWait: (userKey: string) => `${prefix}:slotwait:${userKey}`,

    // ---- /status records (src/jobs/records.ts) ------------------------------------------------
    /** hash: one job's /status record. */
    record: (jobId: string) => `${prefix}:rec:${jobId}`,
    /** zset job id -> created at (ms): the user's records, newest last. */
    userJobs: (userKey: string) => `${prefix}:user-jobs:${userKey}`,
    /** zset job id -> finished at (ms): finished records, for the sweep. */
    finishedJobs: `${prefix}:finished-jobs`,

    /** string: a written script (JSON), by sha256 of the PDF and the options (src/jobs/script-cache.ts). */
    scriptCache: (digest: string) => `${prefix}:script:${digest}`,
    /** string: a long document's section notes, by sha256 of the notes request (src/jobs/script-cache.ts). */
    notesCache: (digest: string) => `${prefix}:notes:${digest}`,

    // ---- preferences, cancellation ------------------------------------------------------------
    /** hash: a user's choices that outlive a job (avatar style). */
    preferences: (userKey: string) => `${prefix}:prefs:${userKey}`,
    /** string: set while a job is cancelled (checked before every step and paid call). */
    cancelFlag: (jobId: string) => `${prefix}:cancel:${jobId}`,
    /** string: the attempt that may send a job's render create right now (src/jobs/render-claims.ts). */
    renderClaim: (jobId: string) => `${prefix}:render-claim:${jobId}`,
    /** pub/sub channel: job ids to abort in whichever worker holds them. */
    cancelChannel: `${prefix}:cancel-events`,

    // ---- operations: costs, budgets, metrics (src/ops) ----------------------------------------
    ops: {
      /** string: the job's recorded cost (JSON); its presence means "already counted". */
      jobCost: (jobId: string) => `${prefix}:ops:job-cost:${jobId}`,
      /** hash: llm_usd, video_usd, total_usd, jobs, completed, failed, cancelled, code:<CODE>, refused:<why> */
      day: (day: string) => `${prefix}:ops:day:${day}`,
      /** zsets: member -> USD or job count, for that day */
      userCost: (day: string) => `${prefix}:ops:day:${day}:user-cost`,
      userJobs: (day: string) => `${prefix}:ops:day:${day}:user-jobs`,
      workspaceCost: (day: string) => `${prefix}:ops:day:${day}:workspace-cost`,
      workspaceJobs: (day: string) => `${prefix}:ops:day:${day}:workspace-jobs`,
      /** hash job id -> {"usd":n,"user":"..."}: money held for jobs in flight (budget.ts) */
      reservations: `${prefix}:ops:reservations`,
      /** zset job id -> expires at (ms): holds of jobs that never came back lapse */
      reservationExpiry: `${prefix}:ops:reservation-expiry`,
      /** zset job id -> last seen (ms): renders in flight */
      rendering: `${prefix}:ops:rendering`,
      /** zset process -> snapshot expiry (ms): processes that published metrics */
      metricsProcesses: `${prefix}:ops:metrics-processes`,
      /** string: one process's metrics registry (JSON) */
      metricsSnapshot: (instance: string) => `${prefix}:ops:metrics:${instance}`,
    },

    /** string: failed dashboard logins of one client (IP or /64), counted in a fixed window. */
    adminLoginFailures: (client: string) => `${prefix}:admin:login-failures:${client}`,

    // ---- front doors ---------------------------------------------------------------------------
    telegram: {
      /** string: a handled update_id (a redelivered update has no effect). */
      updateSeen: (updateId: number) => `${prefix}:tg:update:${updateId}`,
      /** string: the chat's next allowed message edit (Telegram's edit rate). */
      editSlot: (chatId: string | number) => `${prefix}:tg:edit-slot:${chatId}`,
      /** hash: a job's progress message (id, last text). */
      progress: (jobId: string) => `${prefix}:tg:progress:${jobId}`,
    },
    slack: {
      /** string: a job's progress message, or 'pending' while it is being posted. */
      progress: (jobId: string) => `${prefix}:slack:progress:${jobId}`,
      /** string: a notice already sent (Slack redelivers events). */
      notice: (key: string) => `${prefix}:slack:notice:${key}`,
    },
    web: {
      /** hash: a web job's owner, progress and kept video, for the API (bots/web). */
      job: (jobId: string) => `${prefix}:web:job:${jobId}`,
    },
    /** list: what the test chat adapter was asked to do for a job. */
    testEvents: (jobId: string) => `${prefix}:test-events:${jobId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
