// The upload page: pick or drop a PDF (checked here for size and type before a byte is sent),
// choose the presenter, layout, captions and language, upload with a progress bar
// (XMLHttpRequest: fetch has no upload progress), then follow the job's steps (EventSource on
// /api/v1/videos/{id}/events) until the video plays here. The anonymous owner cookie the API
// sets at the first upload is what lets this browser read its jobs; localStorage only remembers
// which ids to ask about after a reload.
import { forgetJob, saveJob, savedJobs, type SavedJob } from './saved-jobs.js';
import { formatSize, pageLocale, t, type PageText } from './texts.js';
import type { ApiErrorBody, JobView, PageConfig, PageLocale, UploadAnswer } from './types.js';

const API = '/api/v1';
const FINAL = new Set(['done', 'failed', 'cancelled']);
/** The same rule as the server and the worker: `%PDF-` within the first 1024 bytes. */
const PDF_HEADER_WINDOW = 1024;

const locale: PageLocale = pageLocale(location.search, navigator.languages ?? [navigator.language]);

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing from the page`);
  return found as T;
}

const ui = {
  notice: el('notice'),
  resume: el('resume'),
  resumeList: el<HTMLUListElement>('resume-list'),
  form: el<HTMLFormElement>('upload'),
  drop: el('drop'),
  file: el<HTMLInputElement>('file'),
  fileHint: el('file-hint'),
  fileChosen: el('file-chosen'),
  avatarField: el<HTMLFieldSetElement>('avatar-field'),
  layoutField: el<HTMLFieldSetElement>('layout-field'),
  captionsField: el<HTMLFieldSetElement>('captions-field'),
  language: el<HTMLSelectElement>('language'),
  formError: el('form-error'),
  submit: el<HTMLButtonElement>('submit'),
  job: el('job'),
  jobTitle: el('job-title'),
  jobFile: el('job-file'),
  progress: el<HTMLProgressElement>('progress'),
  jobStatus: el('job-status'),
  jobError: el('job-error'),
  result: el('result'),
  video: el<HTMLVideoElement>('video'),
  downloadVideo: el<HTMLAnchorElement>('download-video'),
  captionsItem: el('captions-item'),
  downloadCaptions: el<HTMLAnchorElement>('download-captions'),
  cancel: el<HTMLButtonElement>('cancel'),
  again: el<HTMLButtonElement>('again'),
};

let config: PageConfig;
let chosen: File | undefined;
/** The job on screen, and its event stream. */
let current: { id: string; name: string; events?: EventSource; last?: JobView } | undefined;

// ---- text and language ----------------------------------------------------------------------

function applyLocale(): void {
  document.documentElement.lang = locale;
  document.documentElement.dir = locale === 'ar' ? 'rtl' : 'ltr';
  for (const node of document.querySelectorAll<HTMLElement>('[data-t]')) {
    node.textContent = t(locale, node.dataset.t as PageText);
  }
  document.title = t(locale, 'title');
}

/** A user's file name, shown as text in its own direction inside ours. */
function bidiName(name: string): HTMLElement {
  const b = document.createElement('bdi');
  b.textContent = name;
  return b;
}

function setText(node: HTMLElement, text: string, ...inline: HTMLElement[]): void {
  // `{name}` markers become the given elements (user text never goes through innerHTML).
  node.replaceChildren();
  const parts = text.split('\u0000');
  parts.forEach((part, i) => {
    node.append(part);
    if (i < inline.length) node.append(inline[i]!);
  });
}

// ---- errors ---------------------------------------------------------------------------------

function showError(target: HTMLElement, code: string, message: string, focus = true): void {
  const codeLine = document.createElement('p');
  codeLine.className = 'error-code';
  codeLine.textContent = t(locale, 'errorCode', { code });
  const text = document.createElement('p');
  text.className = 'error-message';
  text.textContent = message;
  target.replaceChildren(codeLine, text);
  target.dataset.code = code;
  target.hidden = false;
  if (focus) target.focus();
}

function clearError(target: HTMLElement): void {
  target.hidden = true;
  target.replaceChildren();
  delete target.dataset.code;
}

/** The message of a code in the page's language (the API's own message as a fallback). */
const messageOf = (code: string, fallback?: string) => config.errors[code] ?? fallback ?? code;

// ---- the form -------------------------------------------------------------------------------

function radios(field: HTMLFieldSetElement, name: string, choices: PageConfig['avatars'], selected: string): void {
  for (const c of choices) {
    const label = document.createElement('label');
    label.className = 'radio';
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = name;
    input.value = c.value;
    input.checked = c.value === selected;
    label.append(input, ' ', c.label);
    field.append(label);
  }
}

function buildForm(): void {
  ui.fileHint.textContent = t(locale, 'fileHint', { size: formatSize(config.maxPdfBytes, locale) });
  radios(ui.avatarField, 'avatar', config.avatars, config.defaults.avatar);
  radios(ui.layoutField, 'layout', config.layouts, config.defaults.layout);
  const captions = [
    { value: 'true', label: config.captions.on },
    { value: 'false', label: config.captions.off },
  ];
  radios(ui.captionsField, 'captions', captions, String(config.defaults.captions));
  const auto = new Option(t(locale, 'autoLanguage'), 'auto', true, true);
  ui.language.append(auto, ...config.languages.map((l) => new Option(l.label, l.value)));
}

/** Size and type, checked before anything is sent; undefined when the file may go. */
async function checkFile(file: File): Promise<{ code: string; message: string } | undefined> {
  if (file.size > config.maxPdfBytes) return { code: 'PDF_TOO_LARGE', message: messageOf('PDF_TOO_LARGE') };
  const head = new Uint8Array(await file.slice(0, PDF_HEADER_WINDOW).arrayBuffer());
  if (!new TextDecoder('latin1').decode(head).includes('%PDF-')) return { code: 'NOT_A_PDF', message: messageOf('NOT_A_PDF') };
  return undefined;
}

async function choose(file: File | undefined): Promise<void> {
  clearError(ui.formError);
  chosen = undefined;
  ui.fileChosen.replaceChildren();
  ui.drop.classList.remove('has-file');
  if (!file) return;
  setText(ui.fileChosen, t(locale, 'chosen', { name: '\u0000', size: formatSize(file.size, locale) }), bidiName(file.name));
  const problem = await checkFile(file);
  if (problem) {
    showError(ui.formError, problem.code, problem.message);
    ui.file.value = '';
    return;
  }
  chosen = file;
  ui.drop.classList.add('has-file');
}

function wireDrop(): void {
  ui.file.addEventListener('change', () => void choose(ui.file.files?.[0]));
  const over = (e: DragEvent) => {
    e.preventDefault();
    ui.drop.classList.add('dragging');
  };
  ui.drop.addEventListener('dragenter', over);
  ui.drop.addEventListener('dragover', over);
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('dragging'));
  ui.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.drop.classList.remove('dragging');
    void choose(e.dataTransfer?.files[0]);
  });
}

function formValues(): Record<string, string> {
  const data = new FormData(ui.form);
  const values: Record<string, string> = {
    avatar: String(data.get('avatar') ?? config.defaults.avatar),
    layout: String(data.get('layout') ?? config.defaults.layout),
    captions: String(data.get('captions') ?? config.defaults.captions),
  };
  if (ui.language.value !== 'auto') values.language = ui.language.value;
  return values;
}

// ---- upload ---------------------------------------------------------------------------------

type UploadResult = { ok: true; answer: UploadAnswer } | { ok: false; code: string; message: string };

function upload(file: File, fields: Record<string, string>, onProgress: (fraction: number) => void): Promise<UploadResult> {
  return new Promise((resolve) => {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    body.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API}/videos`);
    xhr.responseType = 'json';
    // Errors come back in the page's language.
    xhr.setRequestHeader('accept-language', locale);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      const res = xhr.response as (UploadAnswer & Partial<ApiErrorBody>) | null;
      if (xhr.status === 202 && res?.id) return resolve({ ok: true, answer: res });
      const code = res?.error?.code ?? 'INTERNAL';
      resolve({ ok: false, code, message: res?.error?.message ?? messageOf(code) });
    });
    const failed = () =>
      resolve({ ok: false, code: 'UPLOAD_FAILED', message: `${t(locale, 'uploadFailed')} ${t(locale, 'uploadFailedNext')}` });
    xhr.addEventListener('error', failed);
    xhr.addEventListener('abort', failed);
    xhr.addEventListener('timeout', failed);
    xhr.send(body);
  });
}

async function submit(e: SubmitEvent): Promise<void> {
  e.preventDefault();
  if (ui.submit.disabled) return;
  if (!chosen) {
    const file = ui.file.files?.[0];
    if (file) await choose(file);
    if (!chosen) {
      if (ui.formError.hidden) showError(ui.formError, 'BAD_REQUEST', t(locale, 'noFile'));
      else ui.formError.focus();
      return;
    }
  }
  const file = chosen;
  ui.submit.disabled = true;
  showJob(file.name);
  setProgress(0, t(locale, 'uploading', { percent: 0 }));
  let lastPercent = -1;
  const result = await upload(file, formValues(), (fraction) => {
    const percent = Math.floor(fraction * 100);
    if (percent === lastPercent) return;
    lastPercent = percent;
    // The bar moves with every step; the words (read out) only at 0, 50 and 100%.
    ui.progress.value = percent;
    if (percent % 50 === 0) ui.jobStatus.textContent = t(locale, 'uploading', { percent });
  });
  ui.submit.disabled = false;
  if (!result.ok) {
    ui.cancel.hidden = true;
    ui.again.hidden = false;
    showError(ui.jobError, result.code, result.message);
    ui.jobStatus.textContent = '';
    return;
  }
  const job: SavedJob = { id: result.answer.id, name: file.name, at: Date.now() };
  saveJob(localStorage, job);
  follow(job);
}

// ---- a job ----------------------------------------------------------------------------------

function showJob(name: string): void {
  ui.form.hidden = true;
  ui.resume.hidden = true;
  ui.job.hidden = false;
  ui.result.hidden = true;
  ui.again.hidden = true;
  ui.cancel.hidden = false;
  ui.cancel.disabled = false;
  clearError(ui.jobError);
  ui.video.removeAttribute('src');
  ui.video.replaceChildren();
  setText(ui.jobFile, '\u0000', bidiName(name));
  ui.jobTitle.focus();
}

function setProgress(percent: number, text: string): void {
  ui.progress.value = Math.max(0, Math.min(100, percent));
  if (ui.jobStatus.textContent !== text) ui.jobStatus.textContent = text;
}

function stepText(view: JobView): string {
  switch (view.status) {
    case 'queued':
      return t(locale, 'queued');
    case 'waiting':
      return config.waiting;
    case 'running':
      return (view.step && config.steps[view.step]) || t(locale, 'queued');
    case 'done':
      return config.done;
    default:
      return '';
  }
}

function render(view: JobView): void {
  if (!current || current.id !== view.id) return;
  current.last = view;
  ui.job.dataset.status = view.status;
  setProgress(Math.round(view.progress * 100), stepText(view));
  if (view.status === 'done') showVideo(view);
  if (view.status === 'failed' || view.status === 'cancelled') {
    const code = view.error?.code ?? (view.status === 'cancelled' ? 'CANCELLED' : 'INTERNAL');
    showError(ui.jobError, code, messageOf(code, view.error?.message));
  }
  if (FINAL.has(view.status)) {
    ui.cancel.hidden = true;
    ui.again.hidden = false;
  }
}

function showVideo(view: JobView): void {
  const id = view.id;
  const videoUrl = `${API}/videos/${id}/video`;
  if (ui.video.getAttribute('src') !== videoUrl) {
    ui.video.replaceChildren();
    if (view.video?.captionsUrl) {
      const track = document.createElement('track');
      track.kind = 'captions';
      track.src = `${API}/videos/${id}/captions`;
      track.label = config.captions.on;
      track.srclang = locale;
      ui.video.append(track);
    }
    ui.video.src = videoUrl;
    ui.video.setAttribute('aria-label', t(locale, 'videoLabel', { name: current?.name ?? id }));
  }
  ui.downloadVideo.href = videoUrl;
  ui.downloadVideo.setAttribute('download', `${id}.mp4`);
  ui.captionsItem.hidden = !view.video?.captionsUrl;
  ui.downloadCaptions.href = `${API}/videos/${id}/captions`;
  ui.downloadCaptions.setAttribute('download', `${id}.vtt`);
  const wasHidden = ui.result.hidden;
  ui.result.hidden = false;
  if (wasHidden) ui.jobTitle.focus();
}

async function fetchJob(id: string): Promise<JobView | 'gone' | 'unreachable'> {
  try {
    const res = await fetch(`${API}/videos/${id}`, { headers: { accept: 'application/json', 'accept-language': locale } });
    if (res.status === 404 || res.status === 401) return 'gone';
    if (!res.ok) return 'unreachable';
    return (await res.json()) as JobView;
  } catch {
    return 'unreachable';
  }
}

/** Follow a job's events until it ends; a stream that breaks is re-read and reopened by EventSource. */
function follow(job: SavedJob, first?: JobView): void {
  stopFollowing();
  current = { id: job.id, name: job.name };
  if (first) render(first);
  else setProgress(0, t(locale, 'queued'));
  const events = new EventSource(`${API}/videos/${job.id}/events`);
  current.events = events;
  events.addEventListener('status', (e) => {
    const view = JSON.parse((e as MessageEvent<string>).data) as JobView;
    render(view);
    if (FINAL.has(view.status)) events.close();
  });
  events.addEventListener('error', () => {
    if (events.readyState !== EventSource.CLOSED || current?.events !== events) return;
    // The server refused the stream (the job is gone) or it ended: ask once what is left.
    void fetchJob(job.id).then((view) => {
      if (current?.id !== job.id) return;
      if (view === 'gone') {
        forgetJob(localStorage, job.id);
        showError(ui.jobError, 'NOT_FOUND', messageOf('NOT_FOUND'));
        ui.cancel.hidden = true;
        ui.again.hidden = false;
      } else if (view === 'unreachable') {
        ui.jobStatus.textContent = t(locale, 'lost');
        setTimeout(() => current?.id === job.id && follow(job, current.last), 3000);
      } else {
        render(view);
        if (!FINAL.has(view.status)) follow(job, view);
      }
    });
  });
}

function stopFollowing(): void {
  current?.events?.close();
  current = undefined;
}

async function cancel(): Promise<void> {
  if (!current) return;
  ui.cancel.disabled = true;
  try {
    const res = await fetch(`${API}/videos/${current.id}`, { method: 'DELETE', headers: { 'accept-language': locale } });
    if (res.ok) render((await res.json()) as JobView);
  } finally {
    ui.cancel.disabled = false;
  }
}

function again(): void {
  stopFollowing();
  ui.job.hidden = true;
  ui.form.hidden = false;
  ui.form.reset();
  void choose(undefined);
  void offerResume();
  ui.file.focus();
}

// ---- resume ---------------------------------------------------------------------------------

function ago(at: number): string {
  const minutes = Math.floor((Date.now() - at) / 60_000);
  return minutes < 1 ? t(locale, 'justNow') : t(locale, 'minutesAgo', { n: minutes });
}

/** Jobs this browser started in the last 30 minutes that the server still knows. */
async function offerResume(): Promise<void> {
  const jobs = savedJobs(localStorage);
  ui.resumeList.replaceChildren();
  ui.resume.hidden = true;
  const found = await Promise.all(jobs.map(async (job) => ({ job, view: await fetchJob(job.id) })));
  for (const { job, view } of found) {
    if (view === 'gone') {
      forgetJob(localStorage, job.id);
      continue;
    }
    const item = document.createElement('li');
    item.className = 'resume-item';
    const text = document.createElement('p');
    setText(text, t(locale, 'resumeItem', { name: '\u0000', time: ago(job.at) }), bidiName(job.name));
    if (view !== 'unreachable') {
      const state = document.createElement('span');
      state.className = 'resume-state';
      state.textContent =
        view.status === 'failed' || view.status === 'cancelled' ? (view.error?.code ?? view.status) : stepText(view);
      text.append(' · ', state);
    }
    const resume = document.createElement('button');
    resume.type = 'button';
    resume.className = 'primary';
    resume.textContent = t(locale, 'resume');
    resume.setAttribute('aria-describedby', `resume-${job.id}`);
    text.id = `resume-${job.id}`;
    resume.addEventListener('click', () => {
      showJob(job.name);
      follow(job, view === 'unreachable' ? undefined : view);
    });
    const dismiss = document.createElement('button');
    dismiss.type = 'button';
    dismiss.className = 'secondary';
    dismiss.textContent = t(locale, 'dismiss');
    dismiss.setAttribute('aria-describedby', `resume-${job.id}`);
    dismiss.addEventListener('click', () => {
      forgetJob(localStorage, job.id);
      item.remove();
      if (!ui.resumeList.children.length) ui.resume.hidden = true;
      ui.file.focus();
    });
    const buttons = document.createElement('div');
    buttons.className = 'resume-buttons';
    buttons.append(resume, dismiss);
    item.append(text, buttons);
    ui.resumeList.append(item);
  }
  ui.resume.hidden = ui.resumeList.children.length === 0;
}

// ---- start ----------------------------------------------------------------------------------

async function start(): Promise<void> {
  applyLocale();
  try {
    const res = await fetch(`/page.json?locale=${locale}`, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(String(res.status));
    config = (await res.json()) as PageConfig;
  } catch {
    ui.notice.textContent = t(locale, 'loadFailed');
    ui.notice.hidden = false;
    document.body.dataset.ready = 'true';
    return;
  }
  if (config.uploads !== 'public') {
    ui.notice.textContent = t(locale, config.uploads === 'off' ? 'uploadsOff' : 'uploadsKeys');
    ui.notice.hidden = false;
    document.body.dataset.ready = 'true';
    return;
  }
  buildForm();
  wireDrop();
  ui.form.addEventListener('submit', (e) => void submit(e));
  ui.cancel.addEventListener('click', () => void cancel());
  ui.again.addEventListener('click', again);
  ui.form.hidden = false;
  await offerResume();
  document.body.dataset.ready = 'true';
}

void start();
