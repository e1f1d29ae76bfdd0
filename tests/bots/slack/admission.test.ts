// The new admission answers as a Slack user sees them (file_share events, real Bolt app): the
// intake ceiling (SERVICE_BUSY) and the workspace allow-list (NOT_ALLOWED), nothing stored.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { smallPdf, startSlackTestbed, type SlackTestbed } from '../../helpers/slack-testbed.js';
import { jobIdFor } from '../../../src/queue/video-queue.js';
import { describeError } from '../../../src/errors.js';

async function shareIn(t: SlackTestbed, userId: string) {
  const user = t.slack.addUser(userId, 'en-US');
  const dm = t.slack.im(user);
  const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
  const m = t.slack.userMessage(dm, user, '', { files: [f.id] });
  const res = await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m));
  await t.door.idle();
  return {
    status: res.status,
    replies: t.slack
      .thread(dm, m.ts)
      .filter((x) => x.bot)
      .map((x) => x.text),
    jobId: jobIdFor(`slack:${t.slack.teamId}:${f.id}`),
  };
}

describe('Slack answers to admission refusals', () => {
  let t: SlackTestbed;
  afterAll(async () => t?.close());

  describe('the intake ceiling', () => {
    beforeAll(async () => {
      t = await startSlackTestbed({ redisUrl: inject('redisUrl'), worker: false, env: { MAX_QUEUED_JOBS: '1' } });
    });
    it('answers SERVICE_BUSY in the thread once the service holds MAX_QUEUED_JOBS, and stores nothing', async () => {
      expect((await shareIn(t, 'U0BUSY0001')).status).toBe(200);
      const busy = await shareIn(t, 'U0BUSY0002');
      expect(busy.status).toBe(200);
      expect(busy.replies).toEqual([describeError('SERVICE_BUSY', 'en')]);
      expect(await t.h.services.records.get(busy.jobId)).toBeUndefined();
      expect(await t.h.services.queue.count()).toBe(1);
    });
  });

  describe('the workspace allow-list', () => {
    beforeAll(async () => {
      await t?.close();
      t = await startSlackTestbed({ redisUrl: inject('redisUrl'), worker: false, env: { ALLOWED_SLACK_TEAMS: 'T0SOMEONEELSE' } });
    });
    it('answers NOT_ALLOWED to a workspace not on ALLOWED_SLACK_TEAMS', async () => {
      const r = await shareIn(t, 'U0OUTSIDE1');
      expect(r.replies).toEqual([describeError('NOT_ALLOWED', 'en')]);
      expect(await t.h.services.records.get(r.jobId)).toBeUndefined();
    });
  });
});
