// The Telegram bot end to end in long-polling mode (no PUBLIC_URL): @grammyjs/runner fetches
// updates from the fake's getUpdates; real Redis, real worker, real pipeline steps.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { acceptedText, doneText } from '../../../bots/texts.js';
import type { JobRecord } from '../../../src/jobs/records.js';
import { waitFor } from '../../helpers/harness.js';
import { corpus, startTelegramRig, tinyMp4, type TelegramRig } from '../../helpers/telegram.js';
import type { FakeChat, FakeUser } from '../../fakes/telegram.js';

/** The test PDF has one page: the finished message says the video covers it. */
const ONE_PAGE = { pagesCovered: 1, pages: 1 };

const JOB_ID = /Job ([a-z0-9]{10})/;
let rig: TelegramRig;

beforeAll(async () => {
  rig = await startTelegramRig({ redisUrl: inject('redisUrl'), mode: 'polling' });
});
afterAll(async () => rig?.close());

let nextUser = 3000;
function newUser(): { u: FakeUser; chat: FakeChat } {
  const u = rig.fake.user(++nextUser);
  return { u, chat: rig.fake.privateChat(u) };
}

async function finished(jobId: string): Promise<JobRecord> {
  return waitFor(
    async () => {
      const r = await rig.h.services.records.get(jobId);
      return r && ['completed', 'failed', 'cancelled'].includes(r.state) ? r : undefined;
    },
    `job ${jobId} to finish`,
    45_000,
  );
}

describe('Telegram long polling', () => {
  it('starts by deleting any webhook and long-polls getUpdates for the update types it handles', async () => {
    const { fake } = rig;
    expect(rig.door?.mode).toBe('polling');
    expect(fake.callsOf('deleteWebhook')).toHaveLength(1);
    expect(fake.callsOf('setWebhook')).toHaveLength(0);
    // The fake records a long poll when it answers: give it an update to answer with.
    const { u, chat } = newUser();
    await fake.send(fake.textUpdate({ from: u, chat, text: '/help' }));
    await fake.waitUntil(() => fake.textsTo(chat.id).length === 1, 'the /help answer');
    const call = fake.callsOf('getUpdates')[0]!;
    expect(Number(call.params.timeout)).toBe(30);
    expect(call.params.allowed_updates).toEqual(['message', 'callback_query']);
  });

  it('a PDF: acknowledgement, one progress message, exactly one MP4 as a reply; the update is confirmed', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    const update = fake.documentUpdate({
      from: u,
      chat,
      bytes: await corpus('crazyones-pdfa.pdf'),
      fileName: 'c.pdf',
      mimeType: 'application/pdf',
    });
    const pdfId = (update.message as { message_id: number }).message_id;
    await fake.send(update);

    const ack = await fake.waitUntil(() => fake.textsTo(chat.id).find((t) => JOB_ID.test(t)), 'the acknowledgement');
    const jobId = JOB_ID.exec(ack)![1]!;
    expect(ack).toBe(acceptedText('en', jobId, 1));
    expect((await finished(jobId)).state).toBe('completed');
    await fake.waitUntil(() => fake.botMessages(chat.id).some((m) => m.text === doneText('en', ONE_PAGE)), 'done');

    const videos = fake.videosTo(chat.id);
    expect(videos).toHaveLength(1);
    expect(videos[0]!.replyTo).toBe(pdfId);
    // The explainer composed from the renderer's video, not the renderer's raw bytes.
    expect(videos[0]!.videoBytes!.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(videos[0]!.videoBytes!.equals(await tinyMp4())).toBe(false);
    expect(fake.botMessages(chat.id).filter((m) => m.history[0]?.text.startsWith('▰'))).toHaveLength(1);

    // The runner asked for the next updates past this one: Telegram will not send it again.
    expect(fake.pendingUpdateIds()).not.toContain(update.update_id);
  });

  it('keeps polling through a 429 on getUpdates, after retry_after', async () => {
    const { fake } = rig;
    fake.rateLimitNext('getUpdates', 1);
    const a = newUser();
    await fake.send(fake.textUpdate({ from: a.u, chat: a.chat, text: '/status' }));
    await fake.waitUntil(() => fake.textsTo(a.chat.id).length === 1, 'the first /status answer');
    const b = newUser();
    await fake.send(fake.textUpdate({ from: b.u, chat: b.chat, text: '/status' }));
    await fake.waitUntil(() => fake.textsTo(b.chat.id).length === 1, 'the /status answer after the 429');
    const polls = fake.callsOf('getUpdates');
    const limited = polls.findIndex((c) => c.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    expect(polls[limited + 1]!.at - polls[limited]!.at).toBeGreaterThanOrEqual(950);
    expect(fake.textsTo(b.chat.id)[0]).toBe('You have no recent jobs.');
  });

  it('stops polling when the front door stops', async () => {
    const { fake } = rig;
    await rig.door!.stop();
    const after = fake.callsOf('getUpdates').length;
    const { u, chat } = newUser();
    const update = fake.textUpdate({ from: u, chat, text: '/help' });
    await fake.send(update);
    // The long poll that was open at stop() (abandoned by the runner, still held by the fake) is
    // answered by this update; wait for that instead of sleeping. A running poller would confirm
    // the update with its next offset and answer /help; a stopped one leaves it pending.
    await fake.waitUntil(() => !fake.isPolled() || undefined, 'the abandoned long poll to be answered');
    expect(fake.callsOf('getUpdates').length).toBeLessThanOrEqual(after + 1);
    expect(fake.isPolled()).toBe(false);
    expect(fake.pendingUpdateIds()).toContain(update.update_id);
    expect(fake.textsTo(chat.id)).toEqual([]);
  });
});
