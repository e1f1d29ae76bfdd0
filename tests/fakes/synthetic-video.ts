// The ffmpeg command line for a made-up test video: a lavfi picture (a flat colour with a
// "presenter" box, or a test pattern), a tone or a given sound track, H.264 + AAC in MP4.
// One place for it, so the fakes and the benchmarks cannot drift in codec or pixel format.

export interface SyntheticVideo {
  /** A lavfi video source, e.g. `color=c=0x475569:s=320x180:r=25:d=2` or `testsrc2=s=1280x720:r=25:d=30`. */
  picture: string;
  /** A lavfi audio source (`sine=f=220:d=2`) or, with `audioFile`, a sound file. */
  audio: string;
  audioFile?: boolean;
  videoFilter?: string;
  audioFilter?: string;
  /** x264 preset: `ultrafast` for fakes, something closer to a real encoder for benchmarks. */
  preset?: 'ultrafast' | 'veryfast';
  /** x264 constant rate factor: lower is larger and sharper (default: x264's own, 23). */
  crf?: number;
  /** Moves the index to the front, as a real provider's downloadable MP4 has it. */
  faststart?: boolean;
}

/** A flat slate-blue frame with a skin-coloured box where a presenter's face would be. */
export function presenterPlaceholder(
  width: number,
  height: number,
  seconds?: number,
): Pick<SyntheticVideo, 'picture' | 'videoFilter'> {
  const d = seconds === undefined ? '' : `:d=${seconds}`;
  const [w, h] = [width / 4, (height * 5) / 9];
  return {
    picture: `color=c=0x475569:s=${width}x${height}:r=25${d}`,
    videoFilter: `drawbox=x=${(width - w) / 2}:y=${height / 6}:w=${w}:h=${h}:color=0xf1c27d:t=fill`,
  };
}

export function syntheticVideoArgs(spec: SyntheticVideo, out: string): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    spec.picture,
    ...(spec.audioFile ? ['-i', spec.audio] : ['-f', 'lavfi', '-i', spec.audio]),
    ...(spec.videoFilter ? ['-vf', spec.videoFilter] : []),
    ...(spec.audioFilter ? ['-af', spec.audioFilter] : []),
    '-c:v',
    'libx264',
    '-preset',
    spec.preset ?? 'ultrafast',
    ...(spec.crf === undefined ? [] : ['-crf', String(spec.crf)]),
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    ...(spec.faststart ? ['-movflags', '+faststart'] : []),
    '-shortest',
    out,
  ];
}
