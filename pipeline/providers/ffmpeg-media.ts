// ffmpeg behind the MediaToolkit port: probing, silence detection, slide frames, the explainer
// composite and the re-encode that fits an upload limit. The compose step decides what to make
// (pipeline/steps/compose.ts, pipeline/render/*); this file only knows how to ask ffmpeg for it.
// Facts behind the filter choices are in ../shared/reference/video.md (checked by running them).
import { basename, dirname } from 'node:path';
import { stat, writeFile } from 'node:fs/promises';
import { JobError } from '../../src/errors.js';
import { runTool, toolEnv } from './process.js';
import type { CallContext, CompositionPlan, MediaInfo, MediaToolkit, SlideRequest } from '../ports.js';

export interface FfmpegMediaOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  /** libx264 preset of the composite. Default veryfast (BENCHMARKS.md: ~5x real time at 720p here). */
  preset?: string;
}

/** Frames per second of every video we make. */
export const FPS = 25;

// ISO 639-1 -> 639-2 for the MP4 audio track's language tag.
export const ISO639_2: Record<string, string> = {
  en: 'eng',
  ar: 'ara',
  de: 'ger',
  fr: 'fre',
  es: 'spa',
  it: 'ita',
  pt: 'por',
  nl: 'dut',
  ru: 'rus',
  tr: 'tur',
  fa: 'per',
  he: 'heb',
  hi: 'hin',
  zh: 'chi',
  ja: 'jpn',
  ko: 'kor',
  pl: 'pol',
  uk: 'ukr',
};

/** The geq alpha of a disc filling a square frame (1 px of anti-alias at the edge). */
const DISC_ALPHA = "'clip((W/2-hypot(X-(W-1)/2,Y-(H-1)/2))*255,0,255)'";

/** Parse silencedetect's log lines into spans. A silence running to the end has an end too. */
/** The pauses silencedetect reported in an ffmpeg log (a start without an end is dropped). */
export function parseSilences(log: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let start: number | undefined;
  for (const line of log.split('\n')) {
    const s = /silence_start: (-?[\d.]+)/.exec(line);
    if (s) start = Math.max(0, Number(s[1]));
    const e = /silence_end: ([\d.]+)/.exec(line);
    if (e && start !== undefined) {
      out.push({ start, end: Number(e[1]) });
      start = undefined;
    }
  }
  return out;
}

/** The niceness ffmpeg runs at (see run() below). */
export const MEDIA_NICENESS = 10;

export function createFfmpegMedia(opts: FfmpegMediaOptions = {}): MediaToolkit {
  const ffmpeg = opts.ffmpegPath ?? 'ffmpeg';
  const ffprobe = opts.ffprobePath ?? 'ffprobe';
  const preset = opts.preset ?? 'superfast';
  const env = toolEnv();

  // Compositing is a worker's long batch work; fetching, parsing and the calls that start renders
  // are short and someone waits on them. At niceness 10 the kernel gives those the CPU first.
  const run = (args: string[], ctx: CallContext, timeoutMs: number, cwd?: string) =>
    runTool('ffmpeg', ffmpeg, ['-hide_banner', '-nostdin', '-nostats', ...args], {
      timeoutMs,
      signal: ctx.signal,
      env,
      niceness: MEDIA_NICENESS,
      maxBuffer: 16 * 1024 * 1024,
      ...(cwd ? { cwd } : {}),
    });

  async function probe(file: string, ctx: CallContext): Promise<MediaInfo> {
    const { stdout } = await runTool(
      'ffprobe',
      ffprobe,
      ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,width,height', '-of', 'json', file],
      { timeoutMs: 30_000, signal: ctx.signal, env },
    );
    const j = JSON.parse(stdout) as {
      format?: { duration?: string };
      streams?: Array<{ codec_type?: string; width?: number; height?: number }>;
    };
    const video = j.streams?.find((s) => s.codec_type === 'video');
    const durationSeconds = Number(j.format?.duration);
    if (!video || !Number.isFinite(durationSeconds)) {
      throw new JobError('VIDEO_FAILED', `${basename(file)} has no video stream or no duration`, { retryable: false });
    }
    return {
      durationSeconds,
      width: video.width ?? 0,
      height: video.height ?? 0,
      hasAudio: Boolean(j.streams?.some((s) => s.codec_type === 'audio')),
    };
  }

  return {
    probe,

    async silences(file, o, ctx) {
      const { stderr } = await run(
        [
          '-loglevel',
          'info',
          '-i',
          file,
          '-vn',
          '-af',
          `silencedetect=noise=${o.noiseDb}dB:d=${o.minSeconds}`,
          '-f',
          'null',
          '-',
        ],
        ctx,
        120_000,
      );
      return parseSilences(stderr);
    },

    async slide(req: SlideRequest, ctx) {
      const { box, width, height, background } = req;
      const cwd = dirname(req.output);
      if (!req.page) {
        await run(
          [
            '-loglevel',
            'error',
            '-y',
            '-f',
            'lavfi',
            '-i',
            `color=c=${background}:s=${width}x${height}:d=1`,
            '-frames:v',
            '1',
            basename(req.output),
          ],
          ctx,
          30_000,
          cwd,
        );
        return;
      }
      // Fit inside the box less a 2 px frame, area-average down (legible small print), frame it,
      // place it centred in the box on the background. force_divisible_by keeps libx264 happy;
      // setsar=1 undoes pdftoppm's DPI in the PNG (a non-square SAR otherwise reaches the MP4).
      const chain = [
        `scale=${box.w - 4}:${box.h - 4}:force_original_aspect_ratio=decrease:force_divisible_by=2:flags=area`,
        'pad=iw+4:ih+4:2:2:color=0xaab4c0',
        `pad=${width}:${height}:${box.x}+(${box.w}-iw)/2:${box.y}+(${box.h}-ih)/2:color=${background}`,
        'setsar=1',
        'format=rgb24',
      ].join(',');
      await run(
        ['-loglevel', 'error', '-y', '-i', req.page, '-vf', chain, '-frames:v', '1', basename(req.output)],
        ctx,
        30_000,
        cwd,
      );
    },

    async compose(plan: CompositionPlan, ctx) {
      const cwd = dirname(plan.output);
      const { width: W, height: H } = plan;
      const inputs: string[] = ['-i', plan.presenter];
      const graph: string[] = [];
      if (plan.layout === 'slides') {
        // The slides as one concat input: each still for its seconds (the last listed twice, or
        // the concat demuxer drops its duration).
        const list = ['ffconcat version 1.0'];
        for (const s of plan.slides) list.push(`file '${s.image.replace(/'/g, "'\\''")}'`, `duration ${s.seconds.toFixed(3)}`);
        const last = plan.slides[plan.slides.length - 1];
        if (last) list.push(`file '${last.image.replace(/'/g, "'\\''")}'`);
        await writeFile(`${plan.output}.ffconcat`, `${list.join('\n')}\n`);
        inputs.push('-f', 'concat', '-safe', '0', '-i', `${plan.output}.ffconcat`);
        const pip = plan.pip!;
        const S = pip.size;
        const R = S + 8;
        graph.push(
          // Convert each still once, then repeat it: converting after fps would redo it 25 times a second.
          `[1:v]scale=${W}:${H},setsar=1,format=yuv420p,fps=${FPS}[bg]`,
          // Square from the presenter (a little above centre: faces sit high in a frame), into a circle.
          `[0:v]fps=${FPS},crop='min(iw,ih)':'min(iw,ih)':(iw-ow)/2:(ih-oh)/5,scale=${S}:${S},setsar=1,format=yuva420p[face]`,
          `color=c=black:s=${S}x${S}:r=${FPS}:d=0.04,format=gray,geq=lum=${DISC_ALPHA}[mask]`,
          '[face][mask]alphamerge[pip]',
          `color=c=white:s=${R}x${R}:r=${FPS}:d=0.04,format=yuva420p,geq=lum=235:cb=128:cr=128:a=${DISC_ALPHA}[ring]`,
          `[bg][ring]overlay=${pip.x - 4}:${pip.y - 4}[b1]`,
          `[b1][pip]overlay=${pip.x}:${pip.y}:shortest=1[v0]`,
        );
      } else {
        graph.push(
          `color=c=${plan.background}:s=${W}x${H}:r=${FPS}[bg]`,
          `[0:v]fps=${FPS},scale=${W}:${H}:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[p]`,
          '[bg][p]overlay=(W-w)/2:(H-h)/2:shortest=1[v0]',
        );
      }
      // The ASS file sits next to the output: a bare name needs no filtergraph escaping. The `ass`
      // filter with complex shaping (HarfBuzz): with libass's default simple shaping the Arabic
      // lam-alef ligature of "الأنهار" came out as a missing-glyph box (looked at in a frame).
      graph.push(plan.assFile ? `[v0]ass=${basename(plan.assFile)}:shaping=complex,format=yuv420p[v]` : '[v0]format=yuv420p[v]');
      await writeFile(`${plan.output}.graph`, graph.join(';\n'));
      const lang3 = ISO639_2[plan.language] ?? 'und';
      const args = [
        '-loglevel',
        'error',
        '-y',
        ...inputs,
        '-filter_complex_script',
        `${basename(plan.output)}.graph`,
        '-map',
        '[v]',
        '-map',
        '0:a?',
        '-t',
        plan.durationSeconds.toFixed(3),
        '-c:v',
        'libx264',
        '-preset',
        preset,
        '-crf',
        '23',
        '-pix_fmt',
        'yuv420p',
        '-r',
        String(FPS),
        '-c:a',
        'aac',
        '-b:a',
        '128k',
        '-ar',
        '44100',
        '-movflags',
        '+faststart',
        '-metadata',
        `title=${plan.title.slice(0, 200)}`,
        '-metadata:s:a:0',
        `language=${lang3}`,
        basename(plan.output),
      ];
      await run(args, ctx, 120_000 + plan.durationSeconds * 4000, cwd);
    },

    async shrink(input, output, maxBytes, ctx) {
      const info = await probe(input, ctx);
      const audioKbps = 64;
      // 8% for the container and the encoder's overshoot.
      let videoKbps = Math.floor((maxBytes * 8 * 0.92) / info.durationSeconds / 1000) - audioKbps;
      for (let attempt = 0; attempt < 2; attempt++) {
        if (videoKbps < 120) break;
        await run(
          [
            '-loglevel',
            'error',
            '-y',
            '-i',
            input,
            '-c:v',
            'libx264',
            '-preset',
            preset,
            '-b:v',
            `${videoKbps}k`,
            '-maxrate',
            `${Math.round(videoKbps * 1.2)}k`,
            '-bufsize',
            `${videoKbps * 2}k`,
            '-pix_fmt',
            'yuv420p',
            '-c:a',
            'aac',
            '-b:a',
            `${audioKbps}k`,
            '-movflags',
            '+faststart',
            output,
          ],
          ctx,
          120_000 + info.durationSeconds * 4000,
        );
        const bytes = (await stat(output)).size;
        if (bytes <= maxBytes) return bytes;
        videoKbps = Math.floor(videoKbps * 0.8 * (maxBytes / bytes));
      }
      throw new JobError('VIDEO_TOO_LARGE', `cannot fit ${Math.round(info.durationSeconds)} s of video into ${maxBytes} bytes`);
    },
  };
}
