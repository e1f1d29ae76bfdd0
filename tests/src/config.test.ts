import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, secretValues } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.limits).toEqual({
      rateMax: 5,
      rateWindowSeconds: 600,
      maxActivePerUser: 2,
      maxQueuedJobs: 500,
      maxPdfBytes: 20971520,
      maxPdfPages: 500,
      jobTtlSeconds: 1800,
    });
    // Long documents: one call up to 50,000 characters, else at most 12 notes calls, 3 at a time.
    expect(c.script.longDocuments).toEqual({ singleCallChars: 50_000, maxNotesCalls: 12, notesConcurrency: 3 });
    expect(c.script.openrouter.baseUrl).toBe('https://openrouter.ai/api/v1');
    expect(c.video.did.baseUrl).toBe('https://api.d-id.com');
    expect(c.video.did.avatars.professional).toBe('v2_public_Amber@0zSz8kflCN');
    // No keys: the offline providers.
    expect(c.script.provider).toBe('local');
    expect(c.video.provider).toBe('local');
    expect(c.slack.apiUrl).toBe('https://slack.com/api/');
    // A daily cap unless the operator says otherwise; everyone may use the bots.
    expect(c.budgets).toEqual({ dailyUsd: 50, userDailyUsd: undefined, llmEstimateUsd: 0.05 });
    expect(c.access).toEqual({ telegramUsers: [], slackTeams: [] });
    expect(c.parsesPerParser).toBe(20);
    expect(c.shutdownTimeoutSeconds).toBe(29);
  });

  it('reads how many PDFs a parser process serves, at least one', () => {
    expect(loadConfig({ PARSES_PER_PARSER: '1' }).parsesPerParser).toBe(1);
    expect(() => loadConfig({ PARSES_PER_PARSER: '0' })).toThrow(ConfigError);
  });

  it('reads the abuse settings: budget off, intake ceiling, allow-lists', () => {
    const c = loadConfig({
      DAILY_BUDGET_USD: 'off',
      MAX_QUEUED_JOBS: '20',
      ALLOWED_TELEGRAM_USERS: '123, tg:456,',
      ALLOWED_SLACK_TEAMS: 'T0A,T0B',
    });
    expect(c.budgets.dailyUsd).toBeUndefined();
    expect(c.limits.maxQueuedJobs).toBe(20);
    expect(c.access).toEqual({ telegramUsers: ['123', '456'], slackTeams: ['T0A', 'T0B'] });
    expect(loadConfig({ DAILY_BUDGET_USD: '7.5' }).budgets.dailyUsd).toBe(7.5);
    expect(() => loadConfig({ DAILY_BUDGET_USD: 'lots' })).toThrow(/DAILY_BUDGET_USD must be a non-negative number of USD/);
    expect(() => loadConfig({ MAX_QUEUED_JOBS: '0' })).toThrow(/MAX_QUEUED_JOBS/);
  });

  it('needs the local Bot API file folder in local mode, and keeps it absolute', () => {
    expect(() => loadConfig({ TELEGRAM_LOCAL_API: 'true' })).toThrow(
      /TELEGRAM_LOCAL_FILES_DIR must be set when TELEGRAM_LOCAL_API=true/,
    );
    const c = loadConfig({ TELEGRAM_LOCAL_API: 'true', TELEGRAM_LOCAL_FILES_DIR: 'bot-api-files' });
    expect(c.telegram.localFilesDir).toBe(path.resolve('bot-api-files'));
    // Without local mode the folder means nothing: absolute paths are refused whatever it says.
    expect(loadConfig({ TELEGRAM_LOCAL_FILES_DIR: '/srv/x' }).telegram.localFilesDir).toBeUndefined();
  });

  it('picks the paid providers when their keys are set, and the expressives avatars', () => {
    const c = loadConfig({ OPENROUTER_API_KEY: 'sk-or-123456', DID_API_KEY: 'user:pass', DID_API: 'expressives' });
    expect(c.script.provider).toBe('openrouter');
    // The notes model is the script model unless set.
    expect(c.script.openrouter.notesModel).toBe(c.script.openrouter.model);
    expect(loadConfig({ OPENROUTER_NOTES_MODEL: 'meta-llama/llama-3.1-8b-instruct' }).script.openrouter.notesModel).toBe(
      'meta-llama/llama-3.1-8b-instruct',
    );
    expect(() => loadConfig({ MAX_NOTES_CALLS: '0' })).toThrow(/MAX_NOTES_CALLS/);
    expect(c.video.provider).toBe('d-id');
    expect(c.video.did.avatars.professional).toBe('public_amber_casual@avt_PfMblk');
    expect(c.video.did.avatars.friendly).toMatch(/@avt_/);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer from 1 to 65535'],
    [{ RATE_LIMIT_MAX: '0' }, 'RATE_LIMIT_MAX must be an integer from 1'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL must be a redis:// or rediss:// URL'],
    [{ DID_API: 'talks' }, 'DID_API must be one of clips, expressives'],
    [{ PUBLIC_URL: 'example.com' }, 'PUBLIC_URL must be the public base URL of the web process'],
    [{ TELEGRAM_BOT_TOKEN: '1:x', TELEGRAM_WEBHOOK_SECRET: 'has space' }, 'TELEGRAM_WEBHOOK_SECRET must be'],
    [{ VIDEO_PROVIDER: 'd-id' }, 'DID_API_KEY must be set when VIDEO_PROVIDER=d-id'],
  ])('rejects %o with one line naming the variable', (env, message) => {
    let err: unknown;
    try {
      loadConfig(env as NodeJS.ProcessEnv);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('sets the web server up safely by default: X-Forwarded-For ignored, timeouts, a connection cap, no /metrics', () => {
    const c = loadConfig({});
    expect(c.http).toEqual({
      trustProxy: false,
      headersTimeoutMs: 15_000,
      requestTimeoutMs: 30_000,
      uploadTimeoutMs: 600_000,
      maxConnections: 1000,
    });
    expect(c.metrics).toEqual({ token: undefined, port: undefined });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['', false],
    ['10.0.0.1', ['10.0.0.1']],
    [' 10.0.0.0/8, 192.168.1.7 ,::1, fd00::/8 ', ['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8']],
  ])('reads TRUST_PROXY=%o', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
  });

  it.each([
    [{ TRUST_PROXY: 'yes please' }, 'TRUST_PROXY must be true, false or a comma list of IP addresses / CIDRs'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY must be'],
    [{ TRUST_PROXY: '10.0.0.1, 2' }, 'TRUST_PROXY must be'],
    [{ TRUST_PROXY: '1' }, 'TRUST_PROXY must be'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must be at least 16 characters'],
    [{ METRICS_PORT: '3000' }, 'METRICS_PORT must differ from PORT'],
    [{ METRICS_PORT: '70000' }, 'METRICS_PORT must be a port from 1 to 65535'],
    [
      { HTTP_HEADERS_TIMEOUT_SECONDS: '60', HTTP_REQUEST_TIMEOUT_SECONDS: '30' },
      'HTTP_HEADERS_TIMEOUT_SECONDS must not be greater',
    ],
    [{ MAX_CONNECTIONS: '0' }, 'MAX_CONNECTIONS must be an integer from 1'],
  ])('rejects %o', (env, message) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrowError(message);
  });

  it('reads the web API keys as name:secret pairs, never printing one, and treats them as secrets', () => {
    const c = loadConfig({
      API_KEYS: ' n8n:abcdefghijklmnop0123 , intranet:0123456789abcdefXYZ ',
      WEB_UPLOADS: 'public',
      CORS_ORIGINS: 'https://a.example',
    });
    expect(c.web).toEqual({
      apiKeys: [
        { name: 'n8n', secret: 'abcdefghijklmnop0123' },
        { name: 'intranet', secret: '0123456789abcdefXYZ' },
      ],
      uploads: 'public',
      corsOrigins: ['https://a.example'],
    });
    expect(secretValues(c)).toEqual(expect.arrayContaining(['abcdefghijklmnop0123', '0123456789abcdefXYZ']));
    expect(loadConfig({}).web).toEqual({ apiKeys: [], uploads: undefined, corsOrigins: [] });
    for (const bad of [
      'short:tooshort',
      'no-colon-here-0123456789',
      'a:0123456789abcdef,a:0123456789abcdeX',
      'bad name:0123456789abcdef',
    ]) {
      let message = '';
      try {
        loadConfig({ API_KEYS: bad });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/^Invalid configuration: API_KEYS must be/);
      expect(message).not.toContain('0123456789abcdef');
      expect(message).not.toContain('tooshort');
    }
    expect(() => loadConfig({ WEB_UPLOADS: 'everyone' })).toThrow(/WEB_UPLOADS/);
  });

  it('never prints a secret value in its error', () => {
    const secret = 'sk-or-very-secret-value';
    expect(() =>
      loadConfig({ OPENROUTER_API_KEY: secret, TELEGRAM_WEBHOOK_SECRET: `bad value ${secret}`, TELEGRAM_BOT_TOKEN: '1:x' }),
    ).toThrowError(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
  });
});
