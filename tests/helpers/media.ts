// Looking at videos the way a user would, in tests: probe them, take a frame at a time (or a
// region of it), and read the words on it with tesseract (scaled up 2x: OCR of 720p text is
// much better at double size).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import { parseSilences } from '../../pipeline/providers/ffmpeg-media.js';

const run = promisify(execFile);

export interface Probe {
  width: number;
  height: number;
  duration: number;
  codecs: string[];
  pixFmt?: string;
}

export async function probe(file: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  const j = JSON.parse(stdout) as {
    streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; pix_fmt?: string }>;
    format: { duration: string };
  };
  const v = j.streams.find((s) => s.codec_type === 'video')!;
  return {
    width: v.width!,
    height: v.height!,
    duration: Number(j.format.duration),
    codecs: j.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(),
    ...(v.pix_fmt ? { pixFmt: v.pix_fmt } : {}),
  };
}

export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A PNG of the frame at `t` seconds (optionally a region of it, scaled, greyscale or negated). */
export async function frameAt(
  video: string,
  t: number,
  out: string,
  o: { region?: Region; scale?: number; negate?: boolean; gray?: boolean } = {},
): Promise<string> {
  const filters: string[] = [];
  if (o.region) filters.push(`crop=${o.region.w}:${o.region.h}:${o.region.x}:${o.region.y}`);
  if (o.scale) filters.push(`scale=iw*${o.scale}:ih*${o.scale}:flags=lanczos`);
  if (o.gray) filters.push('format=gray');
  if (o.negate) filters.push('negate');
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-ss',
    t.toFixed(3),
    '-i',
    video,
    ...(filters.length ? ['-vf', filters.join(',')] : []),
    '-frames:v',
    '1',
    out,
  ]);
  return out;
}

/** Words tesseract reads on an image, lower-cased. */
export async function ocr(png: string, lang = 'eng', psm = 3): Promise<string> {
  const { stdout } = await run('tesseract', [png, '-', '-l', lang, '--psm', String(psm)]);
  return stdout.toLowerCase();
}

/** Mean luma (0-255) of a region of the frame at `t`. */
export async function meanLuma(video: string, t: number, region: Region): Promise<number> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-ss',
      t.toFixed(3),
      '-i',
      video,
      '-vf',
      `crop=${region.w}:${region.h}:${region.x}:${region.y},format=gray,scale=1:1:flags=area`,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-',
    ],
    { encoding: 'buffer' },
  );
  return (stdout as unknown as Buffer)[0]!;
}

/** Pauses (silences) of a media file's audio, as ffmpeg's silencedetect finds them. */
export async function silencesOf(file: string, noiseDb = -35, minSeconds = 0.8): Promise<Array<{ start: number; end: number }>> {
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-nostats',
    '-i',
    file,
    '-vn',
    '-af',
    `silencedetect=noise=${noiseDb}dB:d=${minSeconds}`,
    '-f',
    'null',
    '-',
  ]);
  return parseSilences(stderr);
}

/** A PDF whose pages carry different, large words (one list per page), for page-on-screen tests. */
export async function makeScenePdf(dir: string, pages: ReadonlyArray<readonly string[]>, name = 'scenes.pdf'): Promise<string> {
  const doc = await PDFDocument.create();
  doc.setTitle('Three Landscapes');
  const font = await doc.embedFont(StandardFonts.HelveticaBold);
  for (const lines of pages) {
    const page = doc.addPage([842, 595]); // A4 landscape, like a slide
    lines.forEach((line, i) => page.drawText(line, { x: 60, y: 500 - i * 70, size: 44, font, color: rgb(0.05, 0.05, 0.1) }));
  }
  const path = join(dir, name);
  await writeFile(path, await doc.save());
  return path;
}
