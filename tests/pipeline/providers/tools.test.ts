import { describe, expect, it } from 'vitest';
import { checkTools, findFont, missingToolMessage, MissingToolError, TOOL_PACKAGES } from '../../../pipeline/providers/tools.js';

describe('checkTools', () => {
  it('reports nothing missing when ffmpeg, ffprobe and espeak-ng run', () => {
    expect(checkTools(['ffmpeg', 'ffprobe', 'espeak-ng'])).toEqual({ missing: [] });
  });

  it('names the Debian package of a tool that cannot be run', () => {
    const r = checkTools(['ffmpeg', 'ffprobe', 'espeak-ng'], {
      ffprobe: '/nonexistent/bin/ffprobe',
      'espeak-ng': '/nonexistent/bin/espeak-ng',
    });
    expect(r.missing).toEqual([
      { tool: 'ffprobe', debianPackage: 'ffmpeg' },
      { tool: 'espeak-ng', debianPackage: 'espeak-ng' },
    ]);
  });

  it('counts a program that exits non-zero as missing', () => {
    // `false` exists but fails: a broken install must not pass the check.
    expect(checkTools(['ffmpeg'], { ffmpeg: 'false' }).missing).toEqual([{ tool: 'ffmpeg', debianPackage: 'ffmpeg' }]);
  });

  it('checks each tool once even when listed twice', () => {
    expect(checkTools(['ffmpeg', 'ffmpeg'], { ffmpeg: '/nonexistent/ffmpeg' }).missing).toHaveLength(1);
  });

  it('words the message with the apt-get command', () => {
    expect(missingToolMessage('ffmpeg', TOOL_PACKAGES.ffmpeg)).toBe(
      'ffmpeg not found: install it with `apt-get install -y ffmpeg`',
    );
    const e = new MissingToolError('espeak-ng', 'espeak-ng');
    expect(e.message).toBe('espeak-ng not found: install it with `apt-get install -y espeak-ng`');
    expect(e.debianPackage).toBe('espeak-ng');
  });
});

describe('findFont', () => {
  it('finds DejaVu Sans (Latin and Arabic glyphs) for English and Arabic', () => {
    expect(findFont('en')).toBe('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf');
    expect(findFont('ar')).toBe('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf');
  });
});
