// A small but real MP4 (2 s, 320x180 H.264 + AAC tone) for fakes that stand in for a video
// provider: the compose step probes and re-encodes what it gets, so a few ftyp bytes no longer do.
// Made once per process with ffmpeg (about 0.2 s).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presenterPlaceholder, syntheticVideoArgs } from './synthetic-video.js';

let cached: Buffer | undefined;

export function sampleMp4(): Buffer {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'd2v-sample-'));
  try {
    const out = join(dir, 'sample.mp4');
    execFileSync('ffmpeg', syntheticVideoArgs({ ...presenterPlaceholder(320, 180, 2), audio: 'sine=f=220:d=2' }, out));
    cached = readFileSync(out);
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
