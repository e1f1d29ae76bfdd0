// Light clean-up of a model's script before it is counted and spoken: models sometimes add
// markdown or stage directions despite the prompt, and a TTS voice would read "asterisk" or
// "pause" aloud. Only markup is removed; words stay as written.

const LABEL = /^(?:presenter|narrator|host|speaker|script|voice ?over|المقدم|الراوي|المذيع)\s*[:：]\s*/i;

export function cleanScript(text: string): string {
  let s = text.replace(/\r\n?/g, '\n');
  // A reply wrapped in a code fence.
  s = s.replace(/^```[^\n]*\n([\s\S]*?)\n?```\s*$/m, '$1');
  // [link text](url) -> link text; bare URLs go.
  s = s.replace(/\[([^\]\n]+)\]\((?:[^)\s]+)\)/g, '$1');
  s = s.replace(/https?:\/\/\S+/g, '');
  // Stage directions: [pause], [music], (pause), (smiles), *smiles* on its own.
  s = s.replace(/\[[^\]\n]{0,40}\]/g, '');
  s = s.replace(/\((?:pause|beat|smiles?|laughs?|music|applause|sighs?|silence|وقفة|توقف)[^)\n]{0,20}\)/gi, '');
  s = s.replace(/(^|\s)\*(?:pause|beat|smiles?|laughs?|music|applause|sighs?)\*(?=\s|$)/gi, '$1');
  // Emphasis and code markers; the words inside stay.
  s = s.replace(/\*\*|__|~~|`/g, '');
  s = s.replace(/(^|[\s(])\*(?=\S)|(?<=\S)\*(?=[\s).,!?؟،]|$)/g, '$1');

  const lines = s.split('\n').map((line) =>
    line
      .replace(/^\s{0,3}#{1,6}\s*/, '') // headings: keep the words, drop the #
      .replace(/^\s*(?:[-*+•]|\d{1,2}[.)])\s+/, '') // list bullets and numbers
      .replace(/^\s*>\s?/, '') // block quotes
      .replace(LABEL, '')
      .replace(/^\s*(?:-{3,}|\*{3,}|_{3,})\s*$/, '') // horizontal rules
      .replace(/[ \t\u00a0]+/g, ' ')
      .trim(),
  );
  // Keep paragraph breaks (a natural pause for the voice), drop runs of blank lines.
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/ +([.,!?;:،؛؟])/g, '$1')
    .trim();
}
