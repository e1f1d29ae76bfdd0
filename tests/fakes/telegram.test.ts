// The fake Bot API is only useful if it answers like Telegram: these drive it with grammY's own
// client (the same request bodies the bot sends) and check the answers the reference describes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, GrammyError, InputFile } from 'grammy';
import { request } from 'undici';
import { FakeTelegram, entitiesOf, parseMultipart } from './telegram.js';

let fake: FakeTelegram;
let api: Api;

beforeAll(async () => {
  fake = await FakeTelegram.start();
  api = new Api(fake.token, { apiRoot: fake.apiRoot });
});
afterAll(async () => fake.close());

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as GrammyError,
  );

describe('fake Telegram Bot API', () => {
  it('answers getMe, and 401 Unauthorized for a wrong token', async () => {
    expect((await api.getMe()).username).toBe('doc2video_test_bot');
    const wrong = new Api(`${fake.token}x`, { apiRoot: fake.apiRoot });
    const err = await errorOf(wrong.getMe());
    expect(err).toBeInstanceOf(GrammyError);
    expect(err!.error_code).toBe(401);
    expect(err!.description).toBe('Unauthorized');
  });

  it("takes grammY's multipart upload (attach:// part, unquoted non-ASCII filename) byte for byte", async () => {
    const u = fake.user(1);
    const chat = fake.privateChat(u);
    const bytes = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255, 0x66, 0x74, 0x79, 0x70]);
    const msg = await api.sendVideo(chat.id, new InputFile(bytes, 'Mein Titel — عنوان.mp4'), {
      caption: 'c',
      reply_parameters: { message_id: 999, allow_sending_without_reply: true },
    });
    expect(msg.video.file_size).toBe(bytes.length);
    const call = fake.callsOf('sendVideo').at(-1)!;
    expect(call.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(String(call.params.video)).toMatch(/^attach:\/\//);
    const stored = fake.videosTo(chat.id).at(-1)!;
    expect(stored.videoBytes!.equals(bytes)).toBe(true);
    expect(stored.videoFileName).toBe('Mein Titel — عنوان.mp4');
    expect(stored.replyTo).toBeUndefined();
  });

  it('parses quoted, unquoted and RFC 5987 filenames', () => {
    const b = 'XyZ';
    const body = Buffer.from(
      [
        `--${b}`,
        'Content-Disposition: form-data; name="a"',
        '',
        'one',
        `--${b}`,
        'content-disposition:form-data;name="f1";filename="x y.bin"',
        'content-type:application/octet-stream',
        '',
        'AB',
        `--${b}`,
        'content-disposition: form-data; name="f2"; filename*=UTF-8\'\'%D8%B9.mp4',
        '',
        'CD',
        `--${b}--`,
        '',
      ].join('\r\n'),
    );
    const { fields, files } = parseMultipart(body, b);
    expect(fields).toEqual({ a: 'one' });
    expect(files.f1!.filename).toBe('x y.bin');
    expect(files.f1!.bytes.toString()).toBe('AB');
    expect(files.f2!.filename).toBe('ع.mp4');
  });

  it('answers "message is not modified" for an edit with the same text, and 403 once the user blocked the bot', async () => {
    const u = fake.user(2);
    const chat = fake.privateChat(u);
    const m = await api.sendMessage(chat.id, 'hello');
    const err = await errorOf(api.editMessageText(chat.id, m.message_id, 'hello'));
    expect(err!.error_code).toBe(400);
    expect(err!.description).toMatch(/^Bad Request: message is not modified/);
    await api.editMessageText(chat.id, m.message_id, 'hello again');
    fake.block(chat.id);
    const blocked = await errorOf(api.sendMessage(chat.id, 'still there?'));
    expect(blocked!.error_code).toBe(403);
    expect(blocked!.description).toBe('Forbidden: bot was blocked by the user');
  });

  it('answers 400 "chat not found" and "message to be replied not found" like Telegram', async () => {
    expect((await errorOf(api.sendMessage(424242, 'x')))!.description).toBe('Bad Request: chat not found');
    const chat = fake.privateChat(fake.user(3));
    const err = await errorOf(api.sendMessage(chat.id, 'x', { reply_parameters: { message_id: 77 } }));
    expect(err!.description).toBe('Bad Request: message to be replied not found');
  });

  it('serves files through getFile and /file/bot<token>/<path>, refusing files over 20 MB', async () => {
    const small = fake.addFile(Buffer.from('%PDF-1.4 hi'));
    const file = await api.getFile(small.file_id);
    const res = await request(`${fake.apiRoot}/file/bot${fake.token}/${file.file_path}`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('%PDF-1.4 hi');
    const bad = await request(`${fake.apiRoot}/file/botWRONG/${file.file_path}`);
    expect(bad.statusCode).toBe(401);
    await bad.body.dump();

    const big = fake.addFile(Buffer.from('%PDF'), 21 * 1024 * 1024);
    const err = await errorOf(api.getFile(big.file_id));
    expect(err!.error_code).toBe(400);
    expect(err!.description).toBe('Bad Request: file is too big');
  });

  it('programs 429 with parameters.retry_after', async () => {
    fake.rateLimitNext('getMe', 7);
    const err = await errorOf(api.getMe());
    expect(err!.error_code).toBe(429);
    expect(err!.parameters.retry_after).toBe(7);
    expect((await api.getMe()).is_bot).toBe(true);
  });

  it('long-polls getUpdates until an update arrives, confirms by offset, and refuses while a webhook is set', async () => {
    const u = fake.user(4);
    const chat = fake.privateChat(u);
    const polled = api.getUpdates({ timeout: 10, offset: 0 });
    await new Promise((r) => setTimeout(r, 50));
    const update = fake.textUpdate({ from: u, chat, text: 'hi /start @someone_else' });
    await fake.send(update);
    const got = await polled;
    expect(got.map((x) => x.update_id)).toEqual([update.update_id]);
    expect(got[0]!.message!.entities).toEqual(entitiesOf('hi /start @someone_else'));
    expect(await api.getUpdates({ offset: Number(update.update_id) + 1, timeout: 0 })).toEqual([]);
    expect(fake.pendingUpdateIds()).toEqual([]);

    await api.setWebhook('http://127.0.0.1:9/hook', { secret_token: 'abc' });
    const err = await errorOf(api.getUpdates({ timeout: 0 }));
    expect(err!.error_code).toBe(409);
    await api.deleteWebhook();
  });
});
