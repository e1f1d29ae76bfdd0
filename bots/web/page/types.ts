// The shapes the page reads from the server: its configuration (GET /page.json, built by
// bots/web/page-routes.ts from the same texts the chat doors use) and a job as the API answers
// it (bots/web/api.ts, ApiVideo; tests check the two agree). Plain types: no DOM, no Node.

export type PageLocale = 'en' | 'ar';

export interface Choice {
  value: string;
  label: string;
}

export interface PageConfig {
  /** WEB_UPLOADS: `public` lets this page upload; `keys` and `off` do not. */
  uploads: 'off' | 'keys' | 'public';
  maxPdfBytes: number;
  defaults: { avatar: string; layout: string; captions: boolean };
  avatars: Choice[];
  layouts: Choice[];
  captions: { on: string; off: string };
  /** Document languages (ISO 639-1) besides "detect it". */
  languages: Choice[];
  /** The chat progress wording: each step, waiting behind your other videos, done. */
  steps: Record<string, string>;
  waiting: string;
  done: string;
  /** Every error code's message (what happened, and what to do next) in this locale. */
  errors: Record<string, string>;
}

export type JobStatus = 'queued' | 'running' | 'waiting' | 'done' | 'failed' | 'cancelled';

export interface JobView {
  id: string;
  status: JobStatus;
  step: string | null;
  progress: number;
  error: { code: string; message: string } | null;
  video: { url: string; bytes: number; seconds: number | null; captionsUrl: string | null } | null;
}

export interface UploadAnswer {
  id: string;
  status: JobStatus;
  position: number;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}
