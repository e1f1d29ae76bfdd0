// WAV and loudness for the offline renderer. espeak-ng writes 16-bit PCM WAV (mono, 22050 Hz; read
// generically anyway); the renderer joins the sentences into one track and needs the loudness of
// each video frame to move the presenter's mouth.
//
// Loudness is computed here from the PCM we already hold rather than with ffmpeg's astats (which
// gives the same RMS per 40 ms, ../shared/reference/video.md): one pass over an array in memory is
// cheaper and simpler than another ffmpeg run and parsing its metadata file.
import { JobError } from '../../src/errors.js';

export interface PcmFormat {
  sampleRate: number;
  channels: number;
  bits: number;
}

export interface Pcm extends PcmFormat {
  data: Buffer;
}

export function parseWav(buf: Buffer): Pcm {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new JobError('VIDEO_FAILED', 'espeak-ng wrote something that is not a WAV file');
  }
  let off = 12;
  let fmt: PcmFormat | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = { channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      // A writer that could not seek back leaves the size 0 or 0xffffffff: take the rest.
      if (size === 0 || body + size > buf.length) size = buf.length - body;
      if (!fmt || fmt.bits % 8 !== 0 || fmt.channels < 1) break;
      const block = fmt.channels * (fmt.bits / 8);
      return { ...fmt, data: buf.subarray(body, body + size - (size % block)) };
    }
    off = body + size + (size & 1);
  }
  throw new JobError('VIDEO_FAILED', 'espeak-ng wrote a WAV file without PCM data');
}

export function bytesPerSecond(f: PcmFormat): number {
  return f.sampleRate * f.channels * (f.bits / 8);
}

export function pcmSeconds(p: Pcm): number {
  return p.data.length / bytesPerSecond(p);
}

/** `seconds` of digital silence in format `f` (whole sample frames). */
export function silence(f: PcmFormat, seconds: number): Buffer {
  return Buffer.alloc(Math.round(seconds * f.sampleRate) * f.channels * (f.bits / 8));
}

export function buildWav(fmt: PcmFormat, data: Buffer): Buffer {
  const h = Buffer.alloc(44);
  const block = fmt.channels * (fmt.bits / 8);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(fmt.channels, 22);
  h.writeUInt32LE(fmt.sampleRate, 24);
  h.writeUInt32LE(fmt.sampleRate * block, 28);
  h.writeUInt16LE(block, 32);
  h.writeUInt16LE(fmt.bits, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/**
 * RMS level in dBFS of each video frame's worth of audio (1/fps seconds), first channel of 16-bit
 * PCM; -Infinity for digital silence.
 */
export function frameLoudness(p: Pcm, fps: number): number[] {
  if (p.bits !== 16) throw new JobError('VIDEO_FAILED', `expected 16-bit PCM, got ${p.bits}-bit`);
  const block = p.channels * 2;
  const samples = Math.floor(p.data.length / block);
  const perFrame = p.sampleRate / fps;
  const frames = Math.ceil(samples / perFrame);
  const out: number[] = [];
  for (let f = 0; f < frames; f++) {
    const a = Math.floor(f * perFrame);
    const b = Math.min(samples, Math.floor((f + 1) * perFrame));
    let sum = 0;
    for (let i = a; i < b; i++) {
      const v = p.data.readInt16LE(i * block) / 32768;
      sum += v * v;
    }
    const rms = b > a ? Math.sqrt(sum / (b - a)) : 0;
    out.push(rms > 0 ? 20 * Math.log10(rms) : -Infinity);
  }
  return out;
}
