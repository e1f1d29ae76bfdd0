import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { verifyWebhookToken, webhookToken, webhookUrl } from '../../../pipeline/render/webhook-token.js';

const SECRET = 'a-webhook-secret-of-some-length';

describe('webhookToken', () => {
  it('is HMAC-SHA256(secret, jobId) in base64url', () => {
    const expected = createHmac('sha256', SECRET).update('job-42').digest('base64url');
    expect(webhookToken('job-42', SECRET)).toBe(expected);
    expect(webhookToken('job-42', SECRET)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('differs per job and per secret', () => {
    expect(webhookToken('job-1', SECRET)).not.toBe(webhookToken('job-2', SECRET));
    expect(webhookToken('job-1', SECRET)).not.toBe(webhookToken('job-1', `${SECRET}x`));
  });
});

describe('verifyWebhookToken', () => {
  it('accepts the token of the job', () => {
    expect(verifyWebhookToken('job-42', webhookToken('job-42', SECRET), SECRET)).toBe(true);
  });

  it("refuses another job's token, another secret's token, and malformed input", () => {
    const tok = webhookToken('job-42', SECRET);
    expect(verifyWebhookToken('job-43', tok, SECRET)).toBe(false);
    expect(verifyWebhookToken('job-42', webhookToken('job-42', 'other-secret-value'), SECRET)).toBe(false);
    expect(verifyWebhookToken('job-42', tok.slice(0, -1), SECRET)).toBe(false);
    expect(verifyWebhookToken('job-42', `${tok}A`, SECRET)).toBe(false);
    expect(verifyWebhookToken('job-42', '', SECRET)).toBe(false);
    expect(verifyWebhookToken('job-42', undefined, SECRET)).toBe(false);
    expect(verifyWebhookToken('job-42', 42, SECRET)).toBe(false);
    // Same length, multi-byte characters: must not throw inside timingSafeEqual.
    expect(verifyWebhookToken('job-42', 'é'.repeat(21) + 'a', SECRET)).toBe(false);
  });

  it('round-trips for any job id and refuses any single-character change', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), fc.nat(), (jobId, pos) => {
        const tok = webhookToken(jobId, SECRET);
        if (!verifyWebhookToken(jobId, tok, SECRET)) return false;
        const i = pos % tok.length;
        const changed = tok.slice(0, i) + (tok[i] === 'A' ? 'B' : 'A') + tok.slice(i + 1);
        return !verifyWebhookToken(jobId, changed, SECRET);
      }),
    );
  });
});

describe('webhookUrl', () => {
  it('builds /did/webhook/<jobId>/<token> under the public URL', () => {
    const tok = webhookToken('job-42', SECRET);
    expect(webhookUrl('https://d2v.example.com', 'job-42', SECRET)).toBe(`https://d2v.example.com/did/webhook/job-42/${tok}`);
  });

  it('drops trailing slashes and encodes odd job ids', () => {
    const tok = webhookToken('a/b c', SECRET);
    expect(webhookUrl('https://x.example//', 'a/b c', SECRET)).toBe(`https://x.example/did/webhook/a%2Fb%20c/${tok}`);
  });

  it('carries a token the verifier accepts for the decoded job id', () => {
    const u = new URL(webhookUrl('https://x.example', 'job:7', SECRET));
    const [, , , jobId, token] = u.pathname.split('/');
    expect(verifyWebhookToken(decodeURIComponent(jobId!), token, SECRET)).toBe(true);
  });
});
