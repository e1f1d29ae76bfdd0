// Requests into the Slack front door are checked the way Slack signs them: a bad signature or a
// timestamp more than 5 minutes away gets 401 and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { slackSignature } from '../../fakes/slack.js';
import { SLACK_SIGNING_SECRET, smallPdf, startSlackTestbed, type SlackTestbed } from '../../helpers/slack-testbed.js';
import { jobIdFor } from '../../../src/queue/video-queue.js';
import { readFileSync } from 'node:fs';
import { SLACK_EVENTS_PATH } from '../../../bots/slack/index.js';

describe('Slack front door: request signatures', () => {
  let t: SlackTestbed;
  const user = 'U0ALICE001';

  beforeAll(async () => {
    // No worker: these tests look at what was enqueued, not at what it became.
    t = await startSlackTestbed({ redisUrl: inject('redisUrl'), worker: false });
    t.slack.addUser(user, 'en-US');
  });
  afterAll(async () => {
    await t?.close();
  });

  const jobCount = async () => {
    const c = await t.h.services.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    return Object.values(c).reduce((a, b) => a + b, 0);
  };

  function pdfShare() {
    const f = t.slack.addFile({ name: 'crazyones.pdf', bytes: smallPdf(), user });
    const m = t.slack.userMessage(t.slack.im(user), user, '', { files: [f.id] });
    return { f, event: t.slack.fileShareEvent(m) };
  }

  it('answers the url_verification challenge when signed correctly', async () => {
    const body = JSON.stringify({ token: 'x', challenge: 'challenge-abc', type: 'url_verification' });
    const res = await t.slack.post(t.url, body, 'application/json');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ challenge: 'challenge-abc' });
  });

  it('refuses an event with a bad signature: 401 and nothing enqueued', async () => {
    const { f, event } = pdfShare();
    const before = await jobCount();
    const res = await t.slack.sendEvent(t.url, event, { signature: 'v0=' + '0'.repeat(64) });
    expect(res.status).toBe(401);
    const other = await t.slack.sendEvent(t.url, event, { secret: 'not-the-signing-secret' });
    expect(other.status).toBe(401);
    expect(await jobCount()).toBe(before);
    expect(await t.h.services.records.get(jobIdFor(`slack:${t.slack.teamId}:${f.id}`))).toBeUndefined();
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(0);
  });

  it('refuses a correctly signed event whose timestamp is more than 5 minutes old', async () => {
    const { f, event } = pdfShare();
    const before = await jobCount();
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await t.slack.sendEvent(t.url, event, { timestamp: stale });
    expect(res.status).toBe(401);
    expect(await jobCount()).toBe(before);
    expect(await t.h.services.records.get(jobIdFor(`slack:${t.slack.teamId}:${f.id}`))).toBeUndefined();
  });

  it('refuses a slash command with a bad signature and opens no form', async () => {
    const channel = t.slack.addChannel('general');
    const { body } = t.slack.commandBody({ user, channel });
    const ts = Math.floor(Date.now() / 1000);
    const res = await t.slack.post(t.url, body, 'application/x-www-form-urlencoded', {
      timestamp: ts,
      signature: slackSignature(SLACK_SIGNING_SECRET, ts, body + 'tampered'),
    });
    expect(res.status).toBe(401);
    await t.door.idle();
    expect(t.slack.callsOf('views.open')).toHaveLength(0);
  });

  it('accepts the same event signed correctly, within the window (the refusals above are the signature)', async () => {
    const { f, event } = pdfShare();
    const before = await jobCount();
    const fourMinutesAgo = Math.floor(Date.now() / 1000) - 4 * 60;
    const res = await t.slack.sendEvent(t.url, event, { timestamp: fourMinutesAgo });
    expect(res.status).toBe(200);
    expect(await jobCount()).toBe(before + 1);
    const rec = await t.h.services.records.get(jobIdFor(`slack:${t.slack.teamId}:${f.id}`));
    expect(rec).toMatchObject({ platform: 'slack', userKey: `slack:${t.slack.teamId}:${user}`, state: 'queued' });
  });
});

describe('slack/manifest.yml', () => {
  const manifest = readFileSync(new URL('../../../slack/manifest.yml', import.meta.url), 'utf8');

  it('sends the slash command, the events and the interactivity to the path the app serves', () => {
    const urls = [...manifest.matchAll(/^\s*(?:url|request_url): (\S+)$/gm)].map((m) => m[1]!);
    expect(urls).toHaveLength(3);
    for (const u of urls) expect(new URL(u).pathname).toBe(SLACK_EVENTS_PATH);
    expect(manifest).toMatch(/- command: \/doc2video$/m);
  });

  it('asks for the scopes the app uses, and subscribes to the message events it handles', () => {
    for (const scope of ['chat:write', 'commands', 'files:read', 'files:write', 'im:history', 'channels:history', 'users:read']) {
      expect(manifest).toMatch(new RegExp(`^\\s*- ${scope}\\b`, 'm'));
    }
    for (const event of ['message.im', 'message.channels']) expect(manifest).toMatch(new RegExp(`^\\s*- ${event}$`, 'm'));
  });
});
