// Runs the Debian tools the offline renderer, the page renderer and the compositor shell out to
// (ffmpeg, ffprobe, espeak-ng, pdftoppm), and maps every way a run can fail to a JobError with a
// clear detail. execFile's own timeout / killSignal / maxBuffer / signal do the policing: no
// hand-written timers. Arguments go as an array (no shell), so no quoting of user text.
import { execFile, type ExecFileException } from 'node:child_process';
import { setPriority } from 'node:os';
import { JobError } from '../../src/errors.js';
import { MissingToolError } from './tools.js';

/** Debian package of each tool we run (for the "install it with" line). */
const TOOL_DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  ffmpeg: 'ffmpeg',
  ffprobe: 'ffmpeg',
  'espeak-ng': 'espeak-ng',
  pdftoppm: 'poppler-utils',
  pdfinfo: 'poppler-utils',
  prlimit: 'util-linux',
  tesseract: 'tesseract-ocr',
};

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  cwd?: string;
  /** Bytes of stdout or stderr before the tool is killed. Default 8 MB. */
  maxBuffer?: number;
  env?: NodeJS.ProcessEnv;
  /** The error code a failure (non-zero exit, timeout) becomes. Default VIDEO_FAILED. */
  failCode?: 'VIDEO_FAILED' | 'PDF_CORRUPT';
  /** Run the tool at this niceness (0-19): batch work that should yield the CPU to short steps. */
  niceness?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** The last lines of a tool's stderr: they say why it failed. */
function tail(stderr: string): string {
  return stderr.trim().split('\n').slice(-3).join(' | ').slice(-600);
}

/** Missing tools are an operator problem: not retryable, and the detail says what to install. */
function missingTool(tool: string): JobError {
  const err = new MissingToolError(tool, TOOL_DEBIAN_PACKAGES[tool] ?? tool);
  return new JobError('VIDEO_FAILED', err.message, { retryable: false, cause: err });
}

/**
 * Run `bin args`. `tool` names it in errors ("ffmpeg exited with 1: ..."). Throws JobError:
 * CANCELLED (signal), VIDEO_TIMEOUT (timeoutMs, retryable), `failCode` (non-zero exit, output
 * too large; retryable), VIDEO_FAILED not retryable (the tool is not installed).
 */
export function runTool(tool: string, bin: string, args: readonly string[], o: RunOptions): Promise<RunResult> {
  if (o.signal?.aborted) return Promise.reject(new JobError('CANCELLED', `${tool} not started: job cancelled`));
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      args,
      {
        cwd: o.cwd,
        env: o.env,
        timeout: Math.max(1, Math.round(o.timeoutMs)),
        killSignal: 'SIGKILL',
        maxBuffer: o.maxBuffer ?? 8 * 1024 * 1024,
        signal: o.signal,
        encoding: 'utf8',
        windowsHide: true,
      },
      (err: ExecFileException | null, stdout: string, stderr: string) => {
        if (!err) return resolve({ stdout, stderr });
        const code = err.code;
        if (code === 'ENOENT' || code === 'EACCES') return reject(missingTool(tool));
        if (err.name === 'AbortError' || o.signal?.aborted) {
          return reject(new JobError('CANCELLED', `${tool} stopped: job cancelled`));
        }
        if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          return reject(
            new JobError(o.failCode ?? 'VIDEO_FAILED', `${tool} wrote more output than allowed`, { retryable: true }),
          );
        }
        // execFile kills with killSignal on timeout and reports killed + signal.
        if (err.killed && err.signal === 'SIGKILL') {
          return reject(
            new JobError('VIDEO_TIMEOUT', `${tool} took longer than ${Math.round(o.timeoutMs / 1000)} s`, { retryable: true }),
          );
        }
        const how = err.signal ?? code;
        reject(new JobError(o.failCode ?? 'VIDEO_FAILED', `${tool} exited with ${how}: ${tail(stderr)}`, { retryable: true }));
      },
    );
    if (o.niceness && child.pid !== undefined) {
      try {
        setPriority(child.pid, o.niceness);
      } catch {
        // Already exited, or not permitted: the tool runs at normal priority, which is still correct.
      }
    }
  });
}

/** An environment with enough to run a tool and none of our secrets (API keys stay home). */
export function toolEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'FONTCONFIG_PATH', 'FONTCONFIG_FILE', 'XDG_CACHE_HOME'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}
