// The offline video provider shells out to a few Debian programs. This tells, before any work
// starts, which of them are missing and which Debian package brings each one, so the renderer
// and the CLI can print one actionable line instead of a spawn ENOENT.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type ToolName = 'ffmpeg' | 'ffprobe' | 'espeak-ng';

/** The Debian package that provides each tool (ffprobe ships in the ffmpeg package). */
export const TOOL_PACKAGES: Record<ToolName, string> = {
  ffmpeg: 'ffmpeg',
  ffprobe: 'ffmpeg',
  'espeak-ng': 'espeak-ng',
};

// The cheapest invocation of each tool that exits 0 when it works.
const VERSION_ARGS: Record<ToolName, string[]> = {
  ffmpeg: ['-hide_banner', '-version'],
  ffprobe: ['-hide_banner', '-version'],
  'espeak-ng': ['--version'],
};

export interface MissingTool {
  tool: ToolName;
  debianPackage: string;
}

export class MissingToolError extends Error {
  override name = 'MissingToolError';
  constructor(
    readonly tool: string,
    readonly debianPackage: string,
  ) {
    super(missingToolMessage(tool, debianPackage));
  }
}

/** "ffmpeg not found: install it with `apt-get install -y ffmpeg`" */
export function missingToolMessage(tool: string, debianPackage: string): string {
  return `${tool} not found: install it with \`apt-get install -y ${debianPackage}\``;
}

/**
 * Which of `names` cannot be run. A tool counts as present when `<tool> -version` (or the path
 * given in `paths`) starts and exits 0. Running it, rather than searching PATH, asks the OS the
 * same question the later spawn() will ask, and also catches a binary that cannot start.
 */
export function checkTools(
  names: readonly ToolName[],
  paths: Partial<Record<ToolName, string>> = {},
): { missing: MissingTool[] } {
  const missing: MissingTool[] = [];
  for (const tool of new Set(names)) {
    const bin = paths[tool] ?? tool;
    const r = spawnSync(bin, VERSION_ARGS[tool], { stdio: 'ignore', timeout: 10_000, shell: false });
    if (r.error || r.status !== 0) missing.push({ tool, debianPackage: TOOL_PACKAGES[tool] });
  }
  return { missing };
}

// Arabic-script languages. DejaVu Sans is preferred even for them: drawtext uses one font per
// line with no fallback, and DejaVu Sans has Arabic *and* Latin glyphs (scripts mix in "PDF",
// numbers, names), whereas Noto Sans Arabic has no Latin letters.
const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', // fonts-dejavu-core
  '/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf', // fonts-noto-core
  '/usr/share/fonts/truetype/freefont/FreeSans.ttf', // fonts-freefont-ttf
];
// Scripts DejaVu Sans lacks: use a Noto font when one is installed (tofu boxes otherwise).
const SCRIPT_FONTS: Record<string, string[]> = {
  zh: ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'], // fonts-noto-cjk
  ja: ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'],
  ko: ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'],
  hi: ['/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf'], // fonts-noto-core
  th: ['/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf'],
};

/** A font file for slides in `language`, or undefined when none of the known fonts is installed. */
export function findFont(language: string): string | undefined {
  const list = [...(SCRIPT_FONTS[language] ?? []), ...FONT_CANDIDATES];
  return list.find((f) => existsSync(f));
}
