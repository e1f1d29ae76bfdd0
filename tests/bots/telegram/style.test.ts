// /style (issue 12): the layout and burned-in captions, chosen with inline buttons, remembered
// per user like /avatar, listed in /help and in the command menu, and carried into the next job's
// options. No worker runs: the job's options are read back from the queue.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { UserPreferences } from '../../../src/jobs/preferences.js';
import { jobIdFor } from '../../../src/queue/video-queue.js';
import { corpus, startTelegramRig, type TelegramRig } from '../../helpers/telegram.js';
import type { StoredMessage } from '../../fakes/telegram.js';

type Keyboard = { text: string; callback_data: string }[][];
const keyboardOf = (m: StoredMessage) => (m.reply_markup as { inline_keyboard: Keyboard }).inline_keyboard;

describe('Telegram /style', () => {
  let rig: TelegramRig;
  let nextUser = 9300;

  beforeAll(async () => {
    rig = await startTelegramRig({ redisUrl: inject('redisUrl'), mode: 'webhook', worker: false });
  });
  afterAll(async () => rig?.close());

  function newUser(lang = 'en') {
    const u = rig.fake.user(++nextUser, { language_code: lang });
    return { u, chat: rig.fake.privateChat(u) };
  }

  it('offers both layouts and captions on/off, marks the defaults, and remembers each press for the next job', async () => {
    const { fake, h } = rig;
    const { u, chat } = newUser();
    await fake.send(fake.textUpdate({ from: u, chat, text: '/style' }));
    const prompt = fake.botMessages(chat.id)[0]!;
    expect(keyboardOf(prompt).map((row) => row.map((b) => b.callback_data))).toEqual([
      ['style:layout:slides', 'style:layout:presenter'],
      ['style:captions:on', 'style:captions:off'],
    ]);
    // The configuration's defaults (slides, captions on) are the current choice.
    expect(
      keyboardOf(prompt)
        .flat()
        .filter((b) => b.text.startsWith('✓ '))
        .map((b) => b.callback_data),
    ).toEqual(['style:layout:slides', 'style:captions:on']);

    await fake.send(fake.callbackUpdate({ from: u, message: prompt, data: 'style:layout:presenter' }));
    await fake.send(fake.callbackUpdate({ from: u, message: prompt, data: 'style:captions:off' }));
    const answers = fake
      .callsOf('answerCallbackQuery')
      .filter((c) => c.params.text !== undefined)
      .slice(-2);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const shown = fake.message(chat.id, prompt.message_id)!;
    expect(shown.text).toMatch(/Presenter only/);
    expect(shown.text).toMatch(/Captions off/);
    expect(
      keyboardOf(shown)
        .flat()
        .filter((b) => b.text.startsWith('✓ '))
        .map((b) => b.callback_data),
    ).toEqual(['style:layout:presenter', 'style:captions:off']);

    const prefs = new UserPreferences(h.services.redis, h.prefix);
    expect(await prefs.getOptions(`tg:${u.id}`)).toEqual({ layout: 'presenter', captions: false });

    const doc = fake.documentUpdate({
      from: u,
      chat,
      bytes: await corpus('crazyones-pdfa.pdf'),
      fileName: 'c.pdf',
      mimeType: 'application/pdf',
    });
    await fake.send(doc);
    const messageId = (doc as { message: { message_id: number } }).message.message_id;
    const job = (await h.services.queue.getJob(jobIdFor(`tg:${chat.id}:${messageId}`)))!;
    expect(job.data.options).toMatchObject({ layout: 'presenter', captions: false });
  });

  it('a press is saved for the user who pressed, and unknown values are only answered', async () => {
    const { fake, h } = rig;
    const owner = newUser();
    const other = newUser();
    await fake.send(fake.textUpdate({ from: owner.u, chat: owner.chat, text: '/style' }));
    const prompt = fake.botMessages(owner.chat.id)[0]!;
    await fake.send(fake.callbackUpdate({ from: other.u, message: prompt, data: 'style:captions:off' }));
    await fake.send(fake.callbackUpdate({ from: other.u, message: prompt, data: 'style:layout:cinema' }));
    const prefs = new UserPreferences(h.services.redis, h.prefix);
    expect(await prefs.getOptions(`tg:${other.u.id}`)).toEqual({ captions: false });
    expect(await prefs.getOptions(`tg:${owner.u.id}`)).toEqual({});
  });

  it('is in /help and in the command menu, in English and Arabic', async () => {
    const { fake } = rig;
    for (const lang of ['en', 'ar']) {
      const { u, chat } = newUser(lang);
      await fake.send(fake.textUpdate({ from: u, chat, text: '/help' }));
      expect(fake.textsTo(chat.id)[0]).toContain('/style');
    }
    for (const call of fake.callsOf('setMyCommands')) {
      expect((call.params.commands as { command: string }[]).map((c) => c.command)).toContain('style');
    }
  });
});
