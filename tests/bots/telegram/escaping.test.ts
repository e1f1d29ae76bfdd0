// Hostile names and titles on Telegram (issue 13). Our messages are plain text (no parse_mode),
// so markup in a name cannot become a hidden link; what is left to stop are the invisible format
// characters that reorder what a user reads (a right-to-left override turns "fdp.exe" around).
// The checks read what the fake Bot API recorded.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { waitFor } from '../../helpers/harness.js';
import { startTelegramRig, type TelegramRig } from '../../helpers/telegram.js';
import { telegramUserText } from '../../../bots/telegram/texts.js';

const RLO = '\u202e';
const FORMAT_CHARS = /[\u200b-\u200d\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;

async function pdfTitled(title: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  [
    'The water cycle moves water between the oceans, the air and the land.',
    'Heat from the sun evaporates water from seas, lakes and rivers into the air.',
    'The vapour cools as it rises and condenses into the droplets that make clouds.',
    'When the droplets grow heavy they fall as rain or snow onto hills and fields.',
  ].forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 16, size: 11, font }));
  return Buffer.from(await doc.save());
}

describe('Telegram: user-derived text is made safe at the edge', () => {
  let rig: TelegramRig;
  let nextUser = 9100;

  beforeAll(async () => {
    rig = await startTelegramRig({ redisUrl: inject('redisUrl'), mode: 'webhook' });
  });
  afterAll(async () => rig?.close());

  function newUser() {
    const u = rig.fake.user(++nextUser, { language_code: 'en' });
    return { u, chat: rig.fake.privateChat(u) };
  }

  it('telegramUserText drops bidi overrides, isolates and zero-width characters', () => {
    expect(telegramUserText(`a${RLO}b\u2066c\u2069\u200bd\ufeffe\u200ff`)).toBe('abcdef');
  });

  it('/status shows a file name with a right-to-left override without it, and the video caption too', async () => {
    const { fake } = rig;
    const { u, chat } = newUser();
    await fake.send(
      fake.documentUpdate({
        from: u,
        chat,
        bytes: await pdfTitled(`Quarterly ${RLO}fdp.exe\u2066 [report](https://evil.example)`),
        fileName: `invoice ${RLO}fdp.exe.pdf`,
        mimeType: 'application/pdf',
      }),
    );
    await fake.send(fake.textUpdate({ from: u, chat, text: '/status' }));
    const status = await fake.waitUntil(() => fake.textsTo(chat.id).find((t) => t.startsWith('Your jobs')), 'the status');
    expect(status).toContain('invoice fdp.exe');
    expect(status).not.toMatch(FORMAT_CHARS);

    const video = await fake.waitUntil(() => fake.videosTo(chat.id)[0], 'the video');
    expect(video.caption).toBeDefined();
    expect(video.caption).not.toMatch(FORMAT_CHARS);
    // Plain text: the markdown-looking link stays visible characters, not a hidden link.
    expect(video.caption).toContain('[report](https://evil.example)');
  });

  it('sends nothing with a parse_mode: markup in user text can never become a hidden link', async () => {
    const { fake } = rig;
    await waitFor(async () => fake.callsOf('sendVideo').length > 0 || undefined, 'a video sent');
    const withParseMode = [
      ...fake.callsOf('sendMessage'),
      ...fake.callsOf('sendVideo'),
      ...fake.callsOf('editMessageText'),
    ].filter((c) => c.params.parse_mode !== undefined);
    expect(withParseMode).toEqual([]);
  });
});
