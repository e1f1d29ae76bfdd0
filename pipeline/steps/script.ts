// Script step: extracted text -> presenter script of the right length, via the configured
// ScriptWriter, cached per PDF + options so the same document never pays the LLM twice.
import { JobError } from '../../src/errors.js';
import type { ExtractResult, JobOptions, ScriptResult } from '../job.js';
import type { CallContext, ScriptCache, ScriptCacheKey, ScriptDraft, ScriptRequest, ScriptWriter } from '../ports.js';
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
    language,
    minWords,
    maxWords,
    targetWords,
  };
}

export async function scriptStep(
  input: { extract: ExtractResult; pdfSha256: string; options: JobOptions },
  deps: { writer: ScriptWriter; cache: ScriptCache; ctx: CallContext },
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

  const request = scriptRequestFor(input.extract, language);
  const drafts: ScriptDraft[] = [];
  const attempt = async (feedback?: string) => {
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
    },
    'script ready',
  );
  return script;
}
