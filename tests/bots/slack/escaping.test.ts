// Hostile names and titles on Slack (issue 13): a file name or PDF /Title with `<!channel>` or
// `<https://evil|this>` must post as the characters it has, never as a ping or a disguised link,
// and invisible format characters (a right-to-left override) must not reach the channel. What the
// fake Slack recorded is what a user would see.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { waitFor } from '../../helpers/harness.js';
import { startSlackTestbed, type SlackTestbed } from '../../helpers/slack-testbed.js';
import { jobIdFor } from '../../../src/queue/video-queue.js';
import { slackUserText } from '../../../bots/slack/texts.js';

const PING = '<!channel>';
const LINK = '<https://evil.example|re-enter your Slack password>';
const RLO = '\u202e';

/** A small real text PDF whose Info dictionary carries `title`. */
async function pdfTitled(title: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  const lines = [
    'The water cycle moves water between the oceans, the air and the land.',
    'Heat from the sun evaporates water from seas, lakes and rivers into the air.',
    'The vapour cools as it rises and condenses into the droplets that make clouds.',
    'When the droplets grow heavy they fall as rain or snow onto hills and fields.',
    'Rivers carry the water back to the sea, and the cycle begins again each day.',
  ];
  lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 16, size: 11, font }));
  return Buffer.from(await doc.save());
}

/** Nothing Slack would read as markup, and no invisible format characters. */
function expectInert(text: string | undefined) {
  expect(text).toBeDefined();
  expect(text).not.toContain('<!');
  expect(text).not.toContain('<http');
  expect(text).not.toMatch(/[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/);
}

describe('Slack: user-derived text is escaped at the edge', () => {
  let t: SlackTestbed;

  beforeAll(async () => {
    t = await startSlackTestbed({ redisUrl: inject('redisUrl') });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('slackUserText escapes & < > and drops format characters', () => {
    expect(slackUserText(`a & b ${PING} ${LINK} ${RLO}fdp.exe`)).toBe(
      'a &amp; b &lt;!channel&gt; &lt;https://evil.example|re-enter your Slack password&gt; fdp.exe',
    );
  });

  it('a PDF whose /Title pings the channel with a disguised link: the video comment shows it as text', async () => {
    const user = t.slack.addUser('U0EVE00001', 'en-US');
    const dm = t.slack.im(user);
    const f = t.slack.addFile({ name: 'urgent.pdf', bytes: await pdfTitled(`${PING} Urgent: ${LINK}`), user });
    const m = t.slack.userMessage(dm, user, '', { files: [f.id] });
    expect((await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m))).status).toBe(200);

    const jobId = jobIdFor(`slack:${t.slack.teamId}:${f.id}`);
    const rec = await waitFor(async () => {
      const r = await t.h.services.records.get(jobId);
      return r && ['completed', 'failed'].includes(r.state) ? r : undefined;
    }, 'the job to finish');
    expect(rec.state).toBe('completed');
    const up = t.slack.completedUploads().find((u) => u.channel_id === dm)!;
    expectInert(up.initial_comment);
    expect(up.initial_comment).toContain('&lt;!channel&gt; Urgent: &lt;https://evil.example|re-enter your Slack password&gt;');
  });

  it('a shared file named like a ping and a link is named as text in the NOT_A_PDF reply', async () => {
    const user = t.slack.addUser('U0MALLORY1', 'en-US');
    const dm = t.slack.im(user);
    const f = t.slack.addFile({ name: `${PING} see <https://evil.example|this>${RLO}.txt`, bytes: Buffer.from('hello'), user });
    const m = t.slack.userMessage(dm, user, '', { files: [f.id] });
    expect((await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m))).status).toBe(200);
    await t.door.idle();
    const reply = t.slack.thread(dm, m.ts).find((x) => x.bot && x.text?.includes('NOT_A_PDF'));
    expectInert(reply?.text);
    expect(reply!.text).toContain('&lt;!channel&gt; see &lt;https://evil.example|this&gt;.txt');
  });

  it('/doc2video status lists a hostile file name as text', async () => {
    const user = t.slack.addUser('U0TRUDY001', 'en-US');
    const dm = t.slack.im(user);
    const f = t.slack.addFile({ name: `${RLO}fdp.exe ${PING}.pdf`, bytes: await pdfTitled('Water'), user });
    const m = t.slack.userMessage(dm, user, '', { files: [f.id] });
    await t.slack.sendEvent(t.url, t.slack.fileShareEvent(m));
    const res = await t.slack.sendCommand(t.url, { user, channel: dm, text: 'status' });
    const id = res.response_url.split('/').pop()!;
    const answer = await waitFor(async () => t.slack.responses.find((r) => r.id === id), 'the status answer');
    const text = answer.body.text as string;
    expect(text).toContain('fdp.exe &lt;!channel&gt;');
    expectInert(text);
  });
});
