// A small but real MP4 (2 s, 320x180 H.264 + AAC tone) for fakes that stand in for a video
// provider: the compose step probes and re-encodes what it gets, so a few ftyp bytes no longer do.
// Made once per process with ffmpeg (about 0.2 s).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached: Buffer | undefined;

export function sampleMp4(): Buffer {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'd2v-sample-'));
  try {
    const out = join(dir, 'sample.mp4');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=0x475569:s=320x180:r=25:d=2',
      '-f',
      'lavfi',
      '-i',
      'sine=f=220:d=2',
      '-vf',
      'drawbox=x=120:y=30:w=80:h=100:color=0xf1c27d:t=fill',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      out,
    ]);
    cached = readFileSync(out);
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
