// Script step: extracted text -> presenter script of the right length, via the configured
// ScriptWriter, cached per PDF + options so the same document never pays the LLM twice.
//
// A document longer than one call (SCRIPT_SINGLE_CALL_CHARS) is written in two stages when the
// writer can take notes: each section (or group of small ones, at most MAX_NOTES_CALLS) is
// summarised into short notes, several at a time, each cached by the hash of its text and saved
// in the checkpoint as it arrives; then the script is written from the title, the opening page
// and all the notes in document order, each part with its share of the words.
import pLimit from 'p-limit';
import { JobError } from '../../src/errors.js';
import type { ExtractResult, JobOptions, ScriptResult, SectionNotes } from '../job.js';
import type {
  CallContext,
  NotesCache,
  NotesSection,
  ScriptCache,
  ScriptCacheKey,
  ScriptDraft,
  ScriptRequest,
  ScriptWriter,
} from '../ports.js';
import {
  DEFAULT_LONG_DOCUMENTS,
  documentChars,
  leadOf,
  notesKey,
  notesWordsFor,
  planNotesParts,
  wordShares,
  type LongDocumentSettings,
} from '../script/long-document.js';
import { cleanScript } from '../script/clean.js';
import { checkScenes, scenesFromText, scriptText } from '../script/scenes.js';
import { checkScript, limitsFor } from '../script/limits.js';

/** Seconds of speech we aim at: long enough to say something, short enough to stay cheap. */
const TARGET_SECONDS = 90;

function scriptRequestFor(extract: ExtractResult, language: string): ScriptRequest {
  const { minWords, maxWords, wordsPerMinute } = limitsFor(language);
  const targetWords = Math.min(maxWords, Math.max(minWords, Math.round((wordsPerMinute * TARGET_SECONDS) / 60)));
  return {
    title: extract.title,
    text: extract.text,
    ...(extract.pageTexts?.length ? { pageTexts: extract.pageTexts } : {}),
    ...(extract.sections?.length ? { sections: extract.sections } : {}),
    language,
    minWords,
    maxWords,
    targetWords,
  };
}

export interface ScriptStepDeps {
  writer: ScriptWriter;
  cache: ScriptCache;
  ctx: CallContext;
  /** Notes already written for this text by any job (absent: notes are not shared between jobs). */
  notesCache?: NotesCache;
  long?: LongDocumentSettings;
  /** Persist the notes written so far (the job's checkpoint), before the next is paid for. */
  saveNotes?(notes: Record<string, SectionNotes>): Promise<void>;
  /** Budget hold before paid calls (PipelineObserver.beforeLlmCalls); throws to stop. */
  beforeLlmCalls?(plan: { spentUsd: number; callsLeft: number }): Promise<void>;
  /** "Summarising N sections…" */
  onSummarising?(sections: number): Promise<void>;
}

const paidCost = (n: SectionNotes) => (n.cached ? 0 : n.costUsd);

/**
 * Notes for every part of a long document: from the checkpoint, else the notes cache, else the
 * notes model (bounded concurrency). Each is saved as it arrives. Returns the request for the
 * script call and what the notes cost this job.
 */
async function writeNotes(
  request: ScriptRequest,
  extract: ExtractResult,
  saved: Record<string, SectionNotes>,
  deps: ScriptStepDeps & { long: LongDocumentSettings; summarise: NonNullable<ScriptWriter['summarise']> },
): Promise<{ request: ScriptRequest; notesCostUsd: number; calls: number }> {
  const { ctx, long, writer } = deps;
  const pageTexts = extract.pageTexts ?? [];
  const parts = planNotesParts(extract.sections ?? [], pageTexts, {
    maxParts: long.maxNotesCalls,
    maxCharsPerPart: long.singleCallChars,
  });
  const shares = wordShares(parts, request.targetWords);
  const jobs = parts.map((part, i) => {
    const maxWords = notesWordsFor(shares[i]!);
    return { part, maxWords, key: notesKey(part, maxWords, request.language, writer.notesModel ?? writer.model) };
  });
  const notes: Record<string, SectionNotes> = { ...saved };
  // Notes another job already paid for cost nothing here.
  for (const j of jobs) {
    if (notes[j.key] || !deps.notesCache) continue;
    const hit = await deps.notesCache.get(j.key).catch(() => undefined);
    if (hit) notes[j.key] = { notes: hit, costUsd: 0, cached: true };
  }
  const missing = jobs.filter((j) => !notes[j.key]);
  const spent = () => Object.values(notes).reduce((n, x) => n + paidCost(x), 0);
  ctx.logger.info(
    {
      event: 'notes_plan',
      jobId: ctx.jobId,
      parts: parts.length,
      from_checkpoint: Object.keys(saved).length,
      to_write: missing.length,
      chars: documentChars(pageTexts),
    },
    'long document: notes per section',
  );
  await deps.onSummarising?.(parts.length);
  if (missing.length > 0) {
    // The hold covers every notes call still to make and the script call after them.
    await deps.beforeLlmCalls?.({ spentUsd: spent(), callsLeft: missing.length + 1 });
    const limit = pLimit(Math.max(1, long.notesConcurrency));
    // Saves go one after another, each with every note so far.
    let saving = Promise.resolve();
    const save = () => {
      saving = saving.then(() => deps.saveNotes?.({ ...notes }));
      return saving;
    };
    const failures: unknown[] = [];
    await Promise.all(
      missing.map((j) =>
        limit(async () => {
          if (failures.length > 0) return; // one failed (402, cancelled...): pay for no more
          try {
            const d = await deps.summarise(
              {
                title: request.title,
                section: j.part.section,
                text: j.part.text,
                language: request.language,
                maxWords: j.maxWords,
              },
              ctx,
            );
            notes[j.key] = {
              notes: d.text.trim(),
              ...(d.model ? { model: d.model } : {}),
              costUsd: d.costUsd ?? 0,
              ...(d.promptTokens !== undefined ? { promptTokens: d.promptTokens } : {}),
              ...(d.completionTokens !== undefined ? { completionTokens: d.completionTokens } : {}),
              cached: false,
            };
            await save();
            await deps.notesCache?.set(j.key, d.text.trim()).catch((err: unknown) => {
              ctx.logger.warn({ event: 'notes_cache_error', jobId: ctx.jobId, err: String(err) }, 'notes cache write failed');
            });
          } catch (err) {
            failures.push(err);
          }
        }),
      ),
    );
    await saving;
    if (failures.length > 0) throw failures[0];
  }
  const sections: NotesSection[] = jobs.map((j, i) => ({
    ...j.part.section,
    notes: notes[j.key]!.notes,
    words: shares[i]!,
  }));
  const lead = leadOf(pageTexts);
  return {
    request: { ...request, notes: sections, ...(lead ? { lead } : {}) },
    notesCostUsd: jobs.reduce((n, j) => n + paidCost(notes[j.key]!), 0),
    calls: jobs.length,
  };
}

function paidSoFar(drafts: readonly ScriptDraft[]): number {
  return drafts.reduce((n, d) => n + (d.costUsd ?? 0), 0);
}

export async function scriptStep(
  input: { extract: ExtractResult; pdfSha256: string; options: JobOptions; notes?: Record<string, SectionNotes> },
  deps: ScriptStepDeps,
): Promise<ScriptResult> {
  const { writer, cache, ctx } = deps;
  const log = ctx.logger;
  const language = input.options.language ?? input.extract.language;
  const key: ScriptCacheKey = { language, provider: writer.name, ...(writer.model ? { model: writer.model } : {}) };

  // A cache that cannot be read is a cache miss: paying once more beats failing the job.
  const hit = await cache.get(input.pdfSha256, key).catch((err: unknown) => {
    log.warn({ event: 'script_cache_error', jobId: ctx.jobId, op: 'get', err: String(err) }, 'script cache read failed');
    return undefined;
  });
  if (hit) {
    log.info(
      { event: 'script_cache_hit', jobId: ctx.jobId, language, provider: writer.name, words: hit.words },
      'script from cache',
    );
    return hit;
  }

  let request = scriptRequestFor(input.extract, language);
  const long = deps.long ?? DEFAULT_LONG_DOCUMENTS;
  const summarise = writer.summarise?.bind(writer);
  const fromNotes =
    summarise !== undefined &&
    (input.extract.sections?.length ?? 0) > 0 &&
    documentChars(input.extract.pageTexts ?? []) > long.singleCallChars;
  let notesCostUsd = 0;
  let notesCalls: number | undefined;
  if (fromNotes) {
    const planned = await writeNotes(request, input.extract, input.notes ?? {}, { ...deps, long, summarise });
    request = planned.request;
    notesCostUsd = planned.notesCostUsd;
    notesCalls = planned.calls;
  }
  const drafts: ScriptDraft[] = [];
  const attempt = async (feedback?: string) => {
    if (fromNotes) await deps.beforeLlmCalls?.({ spentUsd: notesCostUsd + paidSoFar(drafts), callsLeft: 1 });
    const draft = await writer.write(feedback ? { ...request, feedback } : request, ctx);
    drafts.push(draft);
    // Scenes from the writer when it gave usable ones; else the plain text cut by paragraph.
    let scenes = draft.scenes ? checkScenes(draft.scenes, input.extract.pages) : [];
    if (scenes.length === 0) scenes = scenesFromText(cleanScript(draft.text), request.pageTexts, language);
    const text = scriptText(scenes);
    return { text, scenes, draft, check: checkScript(text, language) };
  };

  let result = await attempt();
  if (result.check.problem) {
    // One more request that tells the writer what was wrong; a second miss is not worth paying
    // for again (the model is evidently not following the length instruction for this text).
    log.warn(
      { event: 'script_out_of_range', jobId: ctx.jobId, words: result.check.words, problem: result.check.problem, attempt: 1 },
      'script out of range, asking again',
    );
    result = await attempt(result.check.problem);
    if (result.check.problem) {
      log.warn(
        { event: 'script_out_of_range', jobId: ctx.jobId, words: result.check.words, problem: result.check.problem, attempt: 2 },
        'script still out of range',
      );
      throw new JobError('SCRIPT_INVALID', `script ${result.check.problem} (after one retry with feedback)`);
    }
  }

  const costs = drafts.map((d) => d.costUsd).filter((c): c is number => typeof c === 'number');
  if (notesCostUsd > 0) costs.push(notesCostUsd);
  const model = result.draft.model ?? writer.model;
  const script: ScriptResult = {
    text: result.text,
    scenes: result.scenes,
    language,
    words: result.check.words,
    estimatedSeconds: result.check.seconds,
    provider: writer.name,
    ...(model ? { model } : {}),
    // Both drafts were paid for when the first one was refused.
    ...(costs.length ? { costUsd: costs.reduce((a, b) => a + b, 0) } : {}),
    cached: false,
    pagesCovered: input.extract.pagesRead ?? input.extract.pageTexts?.length ?? input.extract.pages,
    ...(notesCalls !== undefined ? { notesCalls } : {}),
  };

  await cache.set(input.pdfSha256, key, script).catch((err: unknown) => {
    log.warn({ event: 'script_cache_error', jobId: ctx.jobId, op: 'set', err: String(err) }, 'script cache write failed');
  });
  log.info(
    {
      event: 'script_ready',
      jobId: ctx.jobId,
      language,
      provider: writer.name,
      model,
      words: script.words,
      seconds: script.estimatedSeconds,
      cost: script.costUsd,
      requests: drafts.length,
      scenes: result.scenes.length,
      scenes_from: result.draft.scenes?.length ? 'writer' : 'paragraphs',
      notes_calls: notesCalls,
      pages_covered: script.pagesCovered,
    },
    'script ready',
  );
  return script;
}
