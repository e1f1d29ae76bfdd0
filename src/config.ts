// The one place where the environment is read. Every process calls loadConfig() once at start
// and passes the result down; nothing else touches process.env.
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

/** Variables whose values must never be printed, even in a validation error. */
const SECRET_KEYS = [
  'OPENROUTER_API_KEY',
  'DID_API_KEY',
  'DID_WEBHOOK_SECRET',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'ADMIN_PASSWORD',
  'METRICS_TOKEN',
  'SENTRY_DSN',
  'S3_SECRET_ACCESS_KEY',
  'LINK_SECRET',
  'API_KEYS',
] as const;

// Empty strings in .env files mean "unset".
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const httpUrl = (what: string) =>
  z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^\s/]+/.test(v), { message: `${what} (an http:// or https:// URL)` })
    .transform((v) => v.replace(/\/+$/, ''));

const optionalHttpUrl = (what: string) =>
  optionalString.pipe(
    z
      .string()
      .refine((v) => /^https?:\/\/[^\s/]+/.test(v), { message: `${what} (an http:// or https:// URL)` })
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
  );

const int = (min: number, max: number, def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const decimal = (def: number | undefined) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: 'a non-negative number, e.g. 0.5' });
        return z.NEVER;
      }
      return n;
    });

/** A USD amount, or `off` for "no cap". Unset or empty takes the default. */
const budget = (def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      if (['off', 'none'].includes(v.trim().toLowerCase())) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: 'a non-negative number of USD, e.g. 50, or off' });
        return z.NEVER;
      }
      return n;
    });

/** A comma-separated list; empty means "no list". */
const list = optionalString.transform((v) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const oneOf = <T extends string>(values: readonly [T, ...T[]], def: T) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const s = v.trim().toLowerCase() as T;
      if (!values.includes(s)) {
        ctx.addIssue({ code: 'custom', message: `one of ${values.join(', ')}` });
        return z.NEVER;
      }
      return s;
    });

/**
 * TRUST_PROXY: unset/false (X-Forwarded-For is ignored), true (believe every hop: only behind a
 * proxy that overwrites the header) or a comma list of proxy addresses / CIDRs to believe.
 */
const trustProxy = z
  .string()
  .optional()
  .transform((v, ctx): boolean | string[] => {
    const s = (v ?? '').trim().toLowerCase();
    if (s === '' || s === 'false') return false;
    if (s === 'true') return true;
    const list = s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    for (const entry of list) {
      const [addr, bits, extra] = entry.split('/');
      const family = isIP(addr ?? '');
      const max = family === 6 ? 128 : 32;
      const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
      if (!family || !bitsOk || extra !== undefined) {
        ctx.addIssue({ code: 'custom', message: `true, false or a comma list of IP addresses / CIDRs (not "${entry}")` });
        return z.NEVER;
      }
    }
    return list;
  });
/** The service-wide daily spending cap when DAILY_BUDGET_USD is not set (USD). */
const DEFAULT_DAILY_BUDGET_USD = 50;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const schema = z.object({
  NODE_ENV: optionalString,
  REDIS_URL: optionalString.pipe(
    z
      .string()
      .refine((v) => /^rediss?:\/\//.test(v), { message: 'a redis:// or rediss:// URL' })
      .optional(),
  ),
  REDIS_PREFIX: optionalString.transform((v) => v ?? 'd2v'),
  // rediss:// only: a PEM file with the CA that signed the server's certificate, and whether to verify it.
  REDIS_TLS_CA_FILE: optionalString,
  REDIS_TLS_VERIFY: oneOf(['true', 'false', '1', '0', 'yes', 'no'] as const, 'true'),
  PORT: int(1, 65535, 3000),
  TRUST_PROXY: trustProxy,
  HTTP_HEADERS_TIMEOUT_SECONDS: int(1, 600, 15),
  HTTP_REQUEST_TIMEOUT_SECONDS: int(1, 3600, 30),
  HTTP_UPLOAD_TIMEOUT_SECONDS: int(1, 3600, 600),
  MAX_CONNECTIONS: int(1, 1_000_000, 1000),
  METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'at least 16 characters').optional()),
  METRICS_PORT: optionalString.pipe(
    z
      .string()
      .regex(/^\d{1,5}$/, 'a port number')
      .transform(Number)
      .refine((n) => n >= 1 && n <= 65535, 'a port from 1 to 65535')
      .optional(),
  ),
  PUBLIC_URL: optionalHttpUrl('the public base URL of the web process'),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  DATA_DIR: optionalString.transform((v) => v ?? '.data'),

  SCRIPT_PROVIDER: oneOf(['auto', 'openrouter', 'local'] as const, 'auto'),
  OPENROUTER_API_KEY: optionalString,
  OPENROUTER_BASE_URL: httpUrl('the OpenRouter API base URL').default('https://openrouter.ai/api/v1'),
  OPENROUTER_MODEL: optionalString.transform((v) => v ?? 'openai/gpt-4o-mini'),
  OPENROUTER_TIMEOUT_SECONDS: int(5, 600, 60),
  OPENROUTER_NOTES_MODEL: optionalString,
  SCRIPT_SINGLE_CALL_CHARS: int(5_000, 500_000, 50_000),
  MAX_NOTES_CALLS: int(1, 50, 12),
  NOTES_CONCURRENCY: int(1, 16, 3),
  MAX_PDF_PAGES: int(1, 5_000, 500),

  VIDEO_PROVIDER: oneOf(['auto', 'd-id', 'local'] as const, 'auto'),
  DID_API_KEY: optionalString,
  DID_BASE_URL: httpUrl('the D-ID API base URL').default('https://api.d-id.com'),
  DID_API: oneOf(['clips', 'expressives'] as const, 'clips'),
  DID_WEBHOOK_SECRET: optionalString,
  DID_CLIPS_PROFESSIONAL: optionalString.transform((v) => v ?? 'v2_public_Amber@0zSz8kflCN'),
  DID_CLIPS_FRIENDLY: optionalString.transform((v) => v ?? 'v2_public_alex@qcvo4gupoy'),
  DID_EXPRESSIVE_PROFESSIONAL: optionalString.transform((v) => v ?? 'public_amber_casual@avt_PfMblk'),
  DID_EXPRESSIVE_FRIENDLY: optionalString.transform((v) => v ?? 'public_lucas_casual@avt_lu1Mzk'),
  DID_RENDER_DEADLINE_SECONDS: int(30, 3600, 600),
  DID_PRICE_PER_MINUTE: decimal(0.5),

  // The explainer's default look; each user may choose otherwise (Telegram /style, Slack form, CLI flags).
  VIDEO_LAYOUT: oneOf(['slides', 'presenter'] as const, 'slides'),
  VIDEO_CAPTIONS: oneOf(['on', 'off', 'true', 'false', '1', '0', 'yes', 'no'] as const, 'on'),

  RATE_LIMIT_MAX: int(1, 10_000, 5),
  RATE_LIMIT_WINDOW_SECONDS: int(1, 7 * 86_400, 600),
  MAX_ACTIVE_JOBS_PER_USER: int(1, 100, 2),
  // Jobs waiting or running in all; past it new requests get SERVICE_BUSY and nothing is stored.
  MAX_QUEUED_JOBS: int(1, 1_000_000, 500),
  MAX_PDF_BYTES: int(1024, 2_000 * 1024 * 1024, 20 * 1024 * 1024),
  JOB_TTL_SECONDS: int(1, 30 * 86_400, 1800),
  WORKER_CONCURRENCY: int(1, 256, 4),
  // After SIGTERM a process exits by then even if closing hangs (platforms SIGKILL at 30 s).
  SHUTDOWN_TIMEOUT_SECONDS: int(1, 3600, 29),
  // PDFs one warm parser process reads before it is replaced (sooner if its memory grows).
  PARSES_PER_PARSER: int(1, 10_000, 20),

  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_API_ROOT: httpUrl('the Telegram Bot API root').default('https://api.telegram.org'),
  TELEGRAM_WEBHOOK_SECRET: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, '1-256 characters of A-Z a-z 0-9 _ -')
      .optional(),
  ),
  // A local Bot API server (`telegram-bot-api --local`): no 20 MB download cap, uploads up to
  // 2000 MB, and getFile answers an absolute path on the shared disk.
  TELEGRAM_LOCAL_API: oneOf(['true', 'false', '1', '0', 'yes', 'no'] as const, 'false'),
  // The local Bot API server's file folder (its --dir) as the worker sees it; getFile paths
  // outside it are refused. Required with TELEGRAM_LOCAL_API.
  TELEGRAM_LOCAL_FILES_DIR: optionalString,
  // Telegram user ids allowed to make videos (empty: everyone).
  ALLOWED_TELEGRAM_USERS: list.transform((ids) => ids.map((id) => id.replace(/^tg:/, ''))),

  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  // Slack workspace (team) ids allowed to make videos (empty: every workspace the app is in).
  ALLOWED_SLACK_TEAMS: list,
  SLACK_API_URL: httpUrl('the Slack Web API URL')
    .default('https://slack.com/api')
    .transform((v) => `${v}/`),
  // Hosts (host[:port]) besides https://files.slack.com that may receive the bot token with a
  // file download: a file proxy, or a local fake in tests. Off by default; SLACK_API_URL's host
  // is not trusted with file downloads by itself.
  SLACK_FILE_HOSTS: optionalString.transform((v) =>
    (v ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  ),

  // Where finished videos (and captions, and PDFs uploaded through the API) are kept.
  VIDEO_STORE: oneOf(['local', 's3'] as const, 'local'),
  VIDEO_DIR: optionalString,
  VIDEO_RETENTION_DAYS: int(1, 365, 7),
  S3_ENDPOINT: optionalHttpUrl('the S3 endpoint URL'),
  S3_BUCKET: optionalString,
  S3_REGION: optionalString.transform((v) => v ?? 'us-east-1'),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: oneOf(['true', 'false', '1', '0', 'yes', 'no'] as const, 'false'),
  // Signs our own expiring links to kept videos (PUBLIC_URL/files/...); without it no link is handed out.
  LINK_SECRET: optionalString,

  // The web API (/api/v1): `name:secret` pairs, comma-separated; each key is a user of its own.
  API_KEYS: optionalString.transform((v, ctx): { name: string; secret: string }[] => {
    const keys: { name: string; secret: string }[] = [];
    for (const entry of (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const i = entry.indexOf(':');
      const name = i > 0 ? entry.slice(0, i) : '';
      const secret = i > 0 ? entry.slice(i + 1) : '';
      // Never echo the entry: it holds a secret.
      if (!/^[A-Za-z0-9_-]{1,40}$/.test(name) || secret.length < 16 || /\s/.test(secret)) {
        ctx.addIssue({
          code: 'custom',
          message: 'comma-separated name:secret pairs (name: 1-40 of A-Z a-z 0-9 _ -, secret: 16+ characters)',
        });
        return z.NEVER;
      }
      if (keys.some((k) => k.name === name)) {
        ctx.addIssue({ code: 'custom', message: `name:secret pairs with distinct names ("${name}" twice)` });
        return z.NEVER;
      }
      keys.push({ name, secret });
    }
    return keys;
  }),
  // Who may upload through the web API: off, keys (API_KEYS only) or public (also anonymous
  // browsers, limited per client IP). Unset: keys in `web`, public in `npm run dev`.
  WEB_UPLOADS: optionalString.pipe(z.enum(['off', 'keys', 'public']).optional()),
  // Origins (https://app.example) allowed to call /api/v1 from a browser; empty: none.
  CORS_ORIGINS: list,

  // A cap by default: an open bot with paid providers must not spend without bound (see .env.example).
  DAILY_BUDGET_USD: budget(DEFAULT_DAILY_BUDGET_USD),
  USER_DAILY_BUDGET_USD: decimal(undefined),
  // What one script is assumed to cost until OpenRouter reports it (budget reservations only).
  LLM_COST_ESTIMATE_USD: decimal(0.05),
  ADMIN_USER: optionalString,
  ADMIN_PASSWORD: optionalString,
  ADMIN_IDS: optionalString.transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
  SENTRY_DSN: optionalString,
});

export type Env = z.infer<typeof schema>;

export type AvatarStyle = 'professional' | 'friendly';
export const AVATAR_STYLES: readonly AvatarStyle[] = ['professional', 'friendly'];

export interface Config {
  env: Env;
  redisUrl: string | undefined;
  redisPrefix: string;
  redisTls: { caFile: string | undefined; verify: boolean };
  port: number;
  publicUrl: string | undefined;
  /** The web process's HTTP server (src/http/server.ts). */
  http: {
    /** Fastify's trustProxy: false, true, or the proxies (addresses / CIDRs) to believe. */
    trustProxy: boolean | string[];
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    /** Time to receive a PDF upload's whole request (POST /api/v1/videos): slow links need long. */
    uploadTimeoutMs: number;
    maxConnections: number;
  };
  /** GET /metrics: on the public port with this bearer token, and/or on its own port. */
  metrics: { token: string | undefined; port: number | undefined };
  logLevel: (typeof LOG_LEVELS)[number];
  dataDir: string;
  limits: {
    rateMax: number;
    rateWindowSeconds: number;
    maxActivePerUser: number;
    /** MAX_QUEUED_JOBS: jobs waiting or running in all before new requests get SERVICE_BUSY. */
    maxQueuedJobs: number;
    maxPdfBytes: number;
    /** MAX_PDF_PAGES: pages whose text is read; past it the first N, and the user is told. */
    maxPdfPages: number;
    jobTtlSeconds: number;
  };
  workerConcurrency: number;
  /** SHUTDOWN_TIMEOUT_SECONDS: how long a stopping process may take before it exits anyway. */
  shutdownTimeoutSeconds: number;
  /** PARSES_PER_PARSER: a parser child serves this many PDFs, or fewer if its memory grows. */
  parsesPerParser: number;
  script: {
    provider: 'openrouter' | 'local';
    openrouter: {
      apiKey: string | undefined;
      baseUrl: string;
      model: string;
      timeoutMs: number;
      /** OPENROUTER_NOTES_MODEL: the (cheaper) model that summarises a long document's sections. */
      notesModel: string;
    };
    /** How a document longer than one call is written: notes per section, then the script from them. */
    longDocuments: { singleCallChars: number; maxNotesCalls: number; notesConcurrency: number };
  };
  video: {
    provider: 'd-id' | 'local';
    did: {
      apiKey: string | undefined;
      baseUrl: string;
      api: 'clips' | 'expressives';
      webhookSecret: string | undefined;
      /** avatar style -> presenter_id (clips) or avatar_id (expressives) for the configured API */
      avatars: Record<AvatarStyle, string>;
      deadlineMs: number;
      pricePerMinuteUsd: number;
    };
    /** Defaults for JobOptions.layout / JobOptions.captions. */
    layout: 'slides' | 'presenter';
    captions: boolean;
  };
  telegram: {
    token: string | undefined;
    apiRoot: string;
    webhookSecret: string | undefined;
    localApi: boolean;
    /** Absolute; set exactly when localApi is. */
    localFilesDir: string | undefined;
  };
  slack: {
    botToken: string | undefined;
    signingSecret: string | undefined;
    appToken: string | undefined;
    apiUrl: string;
    /** SLACK_FILE_HOSTS: extra hosts trusted with the token for file downloads (default none). */
    fileHosts: string[];
  };
  storage: {
    kind: 'local' | 's3';
    /** VIDEO_STORE=local: the folder (default DATA_DIR/videos). */
    dir: string;
    retentionDays: number;
    s3:
      | {
          endpoint: string | undefined;
          bucket: string;
          region: string;
          accessKeyId: string | undefined;
          secretAccessKey: string | undefined;
          forcePathStyle: boolean;
        }
      | undefined;
    linkSecret: string | undefined;
  };
  budgets: { dailyUsd: number | undefined; userDailyUsd: number | undefined; llmEstimateUsd: number };
  /** The web front door (bots/web): the /api/v1 API. */
  web: {
    apiKeys: { name: string; secret: string }[];
    /** WEB_UPLOADS; undefined = the process's default (keys for `web`, public for `dev`). */
    uploads: 'off' | 'keys' | 'public' | undefined;
    corsOrigins: string[];
  };
  /** Who may make videos; an empty list lets everyone in. */
  access: { telegramUsers: string[]; slackTeams: string[] };
  admin: { user: string | undefined; password: string | undefined; ids: string[] };
  sentryDsn: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parse and validate the environment. Throws ConfigError whose message is one line naming the
 * first bad variable and what it expects; values of secrets are never included.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${key} must be ${issue.message}`);
  }
  const e = parsed.data;

  const scriptProvider = e.SCRIPT_PROVIDER === 'auto' ? (e.OPENROUTER_API_KEY ? 'openrouter' : 'local') : e.SCRIPT_PROVIDER;
  if (scriptProvider === 'openrouter' && !e.OPENROUTER_API_KEY) {
    throw new ConfigError('Invalid configuration: OPENROUTER_API_KEY must be set when SCRIPT_PROVIDER=openrouter');
  }
  const videoProvider = e.VIDEO_PROVIDER === 'auto' ? (e.DID_API_KEY ? 'd-id' : 'local') : e.VIDEO_PROVIDER;
  if (videoProvider === 'd-id' && !e.DID_API_KEY) {
    throw new ConfigError('Invalid configuration: DID_API_KEY must be set when VIDEO_PROVIDER=d-id');
  }
  if (videoProvider === 'd-id' && e.PUBLIC_URL && !e.DID_WEBHOOK_SECRET) {
    throw new ConfigError(
      'Invalid configuration: DID_WEBHOOK_SECRET must be set when PUBLIC_URL is set (it signs the D-ID webhook URL)',
    );
  }
  if (e.HTTP_HEADERS_TIMEOUT_SECONDS > e.HTTP_REQUEST_TIMEOUT_SECONDS) {
    throw new ConfigError(
      'Invalid configuration: HTTP_HEADERS_TIMEOUT_SECONDS must not be greater than HTTP_REQUEST_TIMEOUT_SECONDS',
    );
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) {
    throw new ConfigError('Invalid configuration: METRICS_PORT must differ from PORT');
  }
  if (e.TELEGRAM_WEBHOOK_SECRET && !e.TELEGRAM_BOT_TOKEN) {
    throw new ConfigError('Invalid configuration: TELEGRAM_BOT_TOKEN must be set when TELEGRAM_WEBHOOK_SECRET is set');
  }
  const localApi = ['true', '1', 'yes'].includes(e.TELEGRAM_LOCAL_API);
  if (localApi && !e.TELEGRAM_LOCAL_FILES_DIR) {
    throw new ConfigError(
      'Invalid configuration: TELEGRAM_LOCAL_FILES_DIR must be set when TELEGRAM_LOCAL_API=true (the folder the local Bot API server keeps files in)',
    );
  }
  if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    throw new ConfigError(
      'Invalid configuration: SLACK_SIGNING_SECRET must be set when SLACK_BOT_TOKEN is set (or SLACK_APP_TOKEN for Socket Mode)',
    );
  }

  if (e.VIDEO_STORE === 's3' && !e.S3_BUCKET) {
    throw new ConfigError('Invalid configuration: S3_BUCKET must be set when VIDEO_STORE=s3');
  }

  const avatars: Record<AvatarStyle, string> =
    e.DID_API === 'clips'
      ? { professional: e.DID_CLIPS_PROFESSIONAL, friendly: e.DID_CLIPS_FRIENDLY }
      : { professional: e.DID_EXPRESSIVE_PROFESSIONAL, friendly: e.DID_EXPRESSIVE_FRIENDLY };

  return {
    env: e,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    redisTls: { caFile: e.REDIS_TLS_CA_FILE, verify: ['true', '1', 'yes'].includes(e.REDIS_TLS_VERIFY) },
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    http: {
      trustProxy: e.TRUST_PROXY,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      uploadTimeoutMs: e.HTTP_UPLOAD_TIMEOUT_SECONDS * 1000,
      maxConnections: e.MAX_CONNECTIONS,
    },
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT },
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    limits: {
      rateMax: e.RATE_LIMIT_MAX,
      rateWindowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      maxActivePerUser: e.MAX_ACTIVE_JOBS_PER_USER,
      maxQueuedJobs: e.MAX_QUEUED_JOBS,
      maxPdfBytes: e.MAX_PDF_BYTES,
      maxPdfPages: e.MAX_PDF_PAGES,
      jobTtlSeconds: e.JOB_TTL_SECONDS,
    },
    workerConcurrency: e.WORKER_CONCURRENCY,
    parsesPerParser: e.PARSES_PER_PARSER,
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS,
    script: {
      provider: scriptProvider,
      openrouter: {
        apiKey: e.OPENROUTER_API_KEY,
        baseUrl: e.OPENROUTER_BASE_URL,
        model: e.OPENROUTER_MODEL,
        timeoutMs: e.OPENROUTER_TIMEOUT_SECONDS * 1000,
        notesModel: e.OPENROUTER_NOTES_MODEL ?? e.OPENROUTER_MODEL,
      },
      longDocuments: {
        singleCallChars: e.SCRIPT_SINGLE_CALL_CHARS,
        maxNotesCalls: e.MAX_NOTES_CALLS,
        notesConcurrency: e.NOTES_CONCURRENCY,
      },
    },
    video: {
      provider: videoProvider,
      did: {
        apiKey: e.DID_API_KEY,
        baseUrl: e.DID_BASE_URL,
        api: e.DID_API,
        webhookSecret: e.DID_WEBHOOK_SECRET,
        avatars,
        deadlineMs: e.DID_RENDER_DEADLINE_SECONDS * 1000,
        pricePerMinuteUsd: e.DID_PRICE_PER_MINUTE ?? 0.5,
      },
      layout: e.VIDEO_LAYOUT,
      captions: ['on', 'true', '1', 'yes'].includes(e.VIDEO_CAPTIONS),
    },
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      apiRoot: e.TELEGRAM_API_ROOT,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
      localApi,
      localFilesDir: localApi && e.TELEGRAM_LOCAL_FILES_DIR ? path.resolve(e.TELEGRAM_LOCAL_FILES_DIR) : undefined,
    },
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      fileHosts: e.SLACK_FILE_HOSTS,
    },
    storage: {
      kind: e.VIDEO_STORE,
      dir: e.VIDEO_DIR ?? `${e.DATA_DIR}/videos`,
      retentionDays: e.VIDEO_RETENTION_DAYS,
      s3:
        e.VIDEO_STORE === 's3'
          ? {
              endpoint: e.S3_ENDPOINT,
              bucket: e.S3_BUCKET!,
              region: e.S3_REGION,
              accessKeyId: e.S3_ACCESS_KEY_ID,
              secretAccessKey: e.S3_SECRET_ACCESS_KEY,
              forcePathStyle: ['true', '1', 'yes'].includes(e.S3_FORCE_PATH_STYLE),
            }
          : undefined,
      linkSecret: e.LINK_SECRET,
    },
    budgets: {
      dailyUsd: e.DAILY_BUDGET_USD,
      userDailyUsd: e.USER_DAILY_BUDGET_USD,
      llmEstimateUsd: e.LLM_COST_ESTIMATE_USD ?? 0.05,
    },
    web: { apiKeys: e.API_KEYS, uploads: e.WEB_UPLOADS, corsOrigins: e.CORS_ORIGINS },
    access: { telegramUsers: e.ALLOWED_TELEGRAM_USERS, slackTeams: e.ALLOWED_SLACK_TEAMS },
    admin: { user: e.ADMIN_USER, password: e.ADMIN_PASSWORD, ids: e.ADMIN_IDS },
    sentryDsn: e.SENTRY_DSN,
  };
}

/** All secret values present in a config, for redaction of free text (error messages, URLs). */
export function secretValues(config: Config): string[] {
  return [...SECRET_KEYS.map((k) => config.env[k]), ...config.web.apiKeys.map((k) => k.secret)].filter(
    (v): v is string => typeof v === 'string' && v.length >= 6,
  );
}
