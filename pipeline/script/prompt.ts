// The instructions an LLM gets to write a presenter script. Kept apart from the HTTP client so
// the wording can be tested (and changed) without touching the retry logic.
import type { ScriptRequest } from '../ports.js';

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

export function buildScriptMessages(request: ScriptRequest): ChatMessage[] {
  const title = request.title.trim() || 'Untitled document';
  const paged = Boolean(request.pageTexts?.length);
  const system = [
    'You write the script for a short video in which a presenter reads your text aloud, word for word.',
    'Rules:',
    `- Write in ${languageInstruction(request.language)}, whatever the language of the document.`,
    `- Length: between ${request.minWords} and ${request.maxWords} words; aim for about ${request.targetWords} words.`,
    '- Plain spoken text only: no markdown, no headings, no bullet points, no stage directions such as [pause],' +
      ' no speaker labels, no emojis, no URLs.',
    '- Use only what the document says. Do not add facts, numbers or opinions that are not in it.',
    `- Mention the title of the document, "${title}", near the start.`,
    "- The video shows the document's pages while the presenter speaks: cut the script into scenes of one to" +
      ' three sentences, in speaking order, each with the numbers of the pages it talks about' +
      (paged ? ' (the [Page N] markers in the document)' : '') +
      '. The first scene may show page 1 (the title page); the last may show no page (a closing card).',
    '- Reply with JSON only: {"scenes":[{"text":"...","pages":[1]}, ...]}. The length rule counts the words' +
      ' of all scene texts together.',
  ].join('\n');

  let user = `Title: ${title}\n\nDocument:\n<document>\n${fence(documentText(request))}\n</document>`;
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
