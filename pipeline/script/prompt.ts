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
export function languageInstruction(code: string): string {
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

export function buildScriptMessages(request: ScriptRequest): ChatMessage[] {
  const title = request.title.trim() || 'Untitled document';
  const system = [
    'You write the script for a short video in which a presenter reads your text aloud, word for word.',
    'Rules:',
    `- Write in ${languageInstruction(request.language)}, whatever the language of the document.`,
    `- Length: between ${request.minWords} and ${request.maxWords} words; aim for about ${request.targetWords} words.`,
    '- Plain spoken text only: no markdown, no headings, no bullet points, no stage directions such as [pause],' +
      ' no speaker labels, no emojis, no URLs.',
    '- Use only what the document says. Do not add facts, numbers or opinions that are not in it.',
    `- Mention the title of the document, "${title}", near the start.`,
    '- Reply with the script and nothing else.',
  ].join('\n');

  let user = `Title: ${title}\n\nDocument:\n<document>\n${fence(request.text)}\n</document>`;
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
