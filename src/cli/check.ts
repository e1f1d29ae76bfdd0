// `doc2video check`: the fetch and extract steps' validation alone, with no paid call.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { isJobError, type ErrorCode } from '../errors.js';
import { savePdfStream } from '../../pipeline/steps/fetch.js';
import { extractPdf } from '../../pipeline/pdf/extract.js';
import type { ParserPool } from '../../pipeline/pdf/parser-pool.js';

export interface CheckResult {
  ok: boolean;
  code?: ErrorCode;
  message?: string;
  pages: number;
  chars: number;
  language: string | null;
}

/** `parser`: where the parse runs (default: the process's shared warm pool). */
export async function checkPdf(file: string, config: Config, parser?: ParserPool): Promise<CheckResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'd2v-check-'));
  try {
    const dest = path.join(dir, 'input.pdf');
    await savePdfStream(createReadStream(file), dest, config.limits.maxPdfBytes);
    const r = await extractPdf({ path: dest }, parser ? { parser } : {});
    return { ok: true, pages: r.pages, chars: r.chars, language: r.language };
  } catch (err) {
    if (!isJobError(err)) throw err;
    return { ok: false, code: err.code, message: err.userMessage(), pages: 0, chars: 0, language: null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
