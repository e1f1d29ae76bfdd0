// The instructions an LLM gets to write a presenter script. Kept apart from the HTTP client so
// the wording can be tested (and changed) without touching the retry logic.
import type { NotesRequest, ScriptRequest } from '../ports.js';

let displayNames: Intl.DisplayNames | undefined;

/** English name of an ISO 639-1 code ("ar" -> "Arabic"); the code itself when unknown. */
export function languageName(code: string): string {
  try {
    displayNames ??= new Intl.DisplayNames(['en'], { type: 'language' });
    return displayNames.of(code) ?? code;
  } catch {
    // Intl.DisplayNames throws RangeError on codes that are not well-formed BCP 47.
    return code;
  }
}

// Where a language has a spoken standard the model should pick rather than a dialect.
const VARIETY: Record<string, string> = {
  ar: 'Modern Standard Arabic (الفصحى), not a dialect',
  zh: 'Mandarin Chinese in simplified characters',
  no: 'Norwegian Bokmål',
};

/** The language instruction: "Arabic, written in Modern Standard Arabic (...)". */
function languageInstruction(code: string): string {
  const name = languageName(code);
  const variety = VARIETY[code];
  return variety ? `${name}, written in ${variety}` : name;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

// The document is user content inside our prompt: a closing tag in it must not end the block.
const fence = (s: string) => s.replace(/<\/?document>/gi, '');

/** The JSON the model is asked for (OpenRouter structured output, strict). */
export const SCENES_JSON_SCHEMA = {
  name: 'presenter_script',
  strict: true,
  schema: {
    type: 'object',
    properties: {
      scenes: {
        type: 'array',
        description: 'The script in speaking order, one to three sentences per scene.',
        items: {
          type: 'object',
          properties: {
            text: { type: 'string', description: 'What the presenter says in this scene.' },
            pages: {
              type: 'array',
              description: 'Numbers of the document pages this scene talks about ([Page N] markers); empty for none.',
              items: { type: 'integer' },
            },
          },
          required: ['text', 'pages'],
          additionalProperties: false,
        },
      },
    },
    required: ['scenes'],
    additionalProperties: false,
  },
} as const;

/** The document for the prompt: its pages marked "[Page N]" when the page texts are known. */
function documentText(request: Pick<ScriptRequest, 'text' | 'pageTexts'>): string {
  if (!request.pageTexts?.length) return request.text;
  return request.pageTexts
    .map((t, i) => (t.trim() ? `[Page ${i + 1}]\n${t}` : ''))
    .filter(Boolean)
    .join('\n\n');
}

/** "pages 3–20", "page 7". */
export function pageRange(first: number, last: number): string {
  return first === last ? `page ${first}` : `pages ${first}–${last}`;
}

/** A long document's notes for the prompt: the lead, then each part with its pages and word share. */
function notesDocument(request: ScriptRequest): string {
  const parts: string[] = [];
  const lead = request.lead;
  if (lead?.text.trim()) parts.push(`[Page ${lead.page}]\nOpening of the document:\n${lead.text.trim()}`);
  (request.notes ?? []).forEach((n, i) => {
    const name = n.title ? `"${n.title}"` : 'untitled';
    parts.push(
      `[Page ${n.firstPage}]\nPart ${i + 1}, ${name} (${pageRange(n.firstPage, n.lastPage)}); give it about ${n.words} words of the script:\n${n.notes.trim()}`,
    );
  });
  return parts.join('\n\n');
}

/** Instructions for one section's notes (a long document is written from these). */
export function buildNotesMessages(request: NotesRequest): ChatMessage[] {
  const title = request.title.trim() || 'Untitled document';
  const { section } = request;
  const min = Math.max(10, Math.round(request.maxWords / 2));
  const system = [
    'You take notes on one part of a long document; a script for a short video about the whole document is written from the notes of all its parts.',
    'Rules:',
    `- Write in ${languageInstruction(request.language)}.`,
    `- Length: between ${min} and ${request.maxWords} words; aim for about ${Math.round((min + request.maxWords) / 2)} words.`,
    '- Plain sentences, most important first: the findings, numbers, names and conclusions of this part. Only what the text says.',
    '- Name the page ([Page N] markers) of each point in brackets, e.g. (p. 12).',
    '- No introduction, no markdown.',
  ].join('\n');
  const heading = section.title ? `Part: ${section.title}\n` : '';
  const user =
    `Title: ${title}\n${heading}Pages: ${section.firstPage}–${section.lastPage}\n\n` +
    `Document:\n<document>\n${fence(request.text)}\n</document>`;
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

export function buildScriptMessages(request: ScriptRequest): ChatMessage[] {
  const title = request.title.trim() || 'Untitled document';
  const fromNotes = Boolean(request.notes?.length);
  const paged = fromNotes || Boolean(request.pageTexts?.length);
  const system = [
    'You write the script for a short video in which a presenter reads your text aloud, word for word.',
    'Rules:',
    `- Write in ${languageInstruction(request.language)}, whatever the language of the document.`,
    `- Length: between ${request.minWords} and ${request.maxWords} words; aim for about ${request.targetWords} words.`,
    '- Plain spoken text only: no markdown, no headings, no bullet points, no stage directions such as [pause],' +
      ' no speaker labels, no emojis, no URLs.',
    '- Use only what the document says. Do not add facts, numbers or opinions that are not in it.',
    ...(fromNotes
      ? [
          '- The document is long: you get its opening and notes on each of its parts, in order. Cover every part in that' +
            ' order, each with about the number of words given for it.',
        ]
      : []),
    `- Mention the title of the document, "${title}", near the start.`,
    "- The video shows the document's pages while the presenter speaks: cut the script into scenes of one to" +
      ' three sentences, in speaking order, each with the numbers of the pages it talks about' +
      (paged ? ' (the [Page N] markers in the document)' : '') +
      '. The first scene may show page 1 (the title page); the last may show no page (a closing card).',
    '- Reply with JSON only: {"scenes":[{"text":"...","pages":[1]}, ...]}. The length rule counts the words' +
      ' of all scene texts together.',
  ].join('\n');

  const doc = fromNotes ? notesDocument(request) : documentText(request);
  let user = `Title: ${title}\n\nDocument:\n<document>\n${fence(doc)}\n</document>`;
  if (request.feedback) {
    user +=
      `\n\nYour previous draft was refused: ${request.feedback}.` +
      ` Write a new script between ${request.minWords} and ${request.maxWords} words that fixes this.`;
  }
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}
