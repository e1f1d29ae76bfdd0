// The offline presenter: a drawn 2D bust (vector art, SVG made here and rasterised by ffmpeg's
// librsvg decoder) with four mouth shapes and a blink, animated from the loudness of the speech.
// No model, no GPU, no download: eight small pictures and a frame list for ffmpeg's concat demuxer.

/** 0 closed ... 3 wide open. */
export type MouthShape = 0 | 1 | 2 | 3;

export interface PresenterFrame {
  mouth: MouthShape;
  blink: boolean;
}

const SKIN = '#e9b48f';
const SKIN_SHADE = '#d49a74';
const HAIR = '#3a2a22';
const SUIT = '#1e3a5f';
const SHIRT = '#f8fafc';
const LIPS = '#7f1d1d';

function mouthSvg(shape: MouthShape, cx: number, cy: number): string {
  switch (shape) {
    case 0:
      return `<path d="M ${cx - 24} ${cy - 2} Q ${cx} ${cy + 12} ${cx + 24} ${cy - 2}" stroke="${LIPS}" stroke-width="5" fill="none" stroke-linecap="round"/>`;
    case 1:
      return `<ellipse cx="${cx}" cy="${cy + 2}" rx="17" ry="5" fill="${LIPS}"/>`;
    case 2:
      return (
        `<ellipse cx="${cx}" cy="${cy + 3}" rx="20" ry="11" fill="${LIPS}"/>` +
        `<ellipse cx="${cx}" cy="${cy + 9}" rx="11" ry="4" fill="#e11d48" opacity="0.8"/>`
      );
    case 3:
      return (
        `<ellipse cx="${cx}" cy="${cy + 5}" rx="22" ry="17" fill="${LIPS}"/>` +
        `<rect x="${cx - 14}" y="${cy - 11}" width="28" height="6" rx="2" fill="#fff"/>` +
        `<ellipse cx="${cx}" cy="${cy + 15}" rx="12" ry="5" fill="#e11d48" opacity="0.85"/>`
      );
  }
}

function eyeSvg(x: number, y: number, blink: boolean): string {
  if (blink)
    return `<path d="M ${x - 14} ${y + 2} Q ${x} ${y + 7} ${x + 14} ${y + 2}" stroke="#1f2937" stroke-width="4" fill="none" stroke-linecap="round"/>`;
  return (
    `<ellipse cx="${x}" cy="${y}" rx="14" ry="10" fill="#fff"/>` +
    `<circle cx="${x}" cy="${y + 1}" r="7" fill="#3f2d20"/>` +
    `<circle cx="${x}" cy="${y + 1}" r="3.5" fill="#0b0f14"/>` +
    `<circle cx="${x + 2.5}" cy="${y - 2}" r="2" fill="#fff"/>`
  );
}

/** The presenter as SVG, `width`x`height` (16:9), the face centred a little above the middle. */
export function presenterSvg(frame: PresenterFrame, width = 854, height = 480): string {
  const cx = 427;
  // Drawn on an 854x480 canvas; the viewBox scales it to any 16:9 size.
  const body = [
    `<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#dbeafe"/><stop offset="1" stop-color="#93c5fd"/></linearGradient></defs>`,
    `<rect width="854" height="480" fill="url(#bg)"/>`,
    `<circle cx="${cx}" cy="210" r="190" fill="#ffffff" opacity="0.35"/>`,
    // Shoulders and suit, shirt collar, neck.
    `<path d="M 240 480 C 250 380 320 350 ${cx} 345 C 534 350 604 380 614 480 Z" fill="${SUIT}"/>`,
    `<path d="M ${cx - 48} 348 L ${cx} 430 L ${cx + 48} 348 Z" fill="${SHIRT}"/>`,
    `<path d="M ${cx - 8} 372 L ${cx + 8} 372 L ${cx + 12} 440 L ${cx} 452 L ${cx - 12} 440 Z" fill="#b91c1c"/>`,
    `<rect x="${cx - 34}" y="270" width="68" height="85" rx="22" fill="${SKIN_SHADE}"/>`,
    // Ears, head, hair.
    `<ellipse cx="${cx - 84}" cy="205" rx="14" ry="24" fill="${SKIN_SHADE}"/>`,
    `<ellipse cx="${cx + 84}" cy="205" rx="14" ry="24" fill="${SKIN_SHADE}"/>`,
    `<ellipse cx="${cx}" cy="200" rx="84" ry="102" fill="${SKIN}"/>`,
    `<path d="M ${cx - 88} 190 C ${cx - 96} 90 ${cx - 40} 78 ${cx} 80 C ${cx + 52} 78 ${cx + 100} 100 ${cx + 88} 190 C ${cx + 80} 140 ${cx + 50} 118 ${cx} 122 C ${cx - 40} 118 ${cx - 78} 140 ${cx - 88} 190 Z" fill="${HAIR}"/>`,
    // Brows, eyes, nose, cheeks, mouth.
    `<path d="M ${cx - 48} 166 Q ${cx - 32} 157 ${cx - 16} 164" stroke="${HAIR}" stroke-width="5" fill="none" stroke-linecap="round"/>`,
    `<path d="M ${cx + 16} 164 Q ${cx + 32} 157 ${cx + 48} 166" stroke="${HAIR}" stroke-width="5" fill="none" stroke-linecap="round"/>`,
    eyeSvg(cx - 32, 188, frame.blink),
    eyeSvg(cx + 32, 188, frame.blink),
    `<path d="M ${cx - 2} 200 Q ${cx - 10} 226 ${cx - 2} 230 Q ${cx + 6} 232 ${cx + 9} 228" stroke="${SKIN_SHADE}" stroke-width="4" fill="none" stroke-linecap="round"/>`,
    `<circle cx="${cx - 50}" cy="232" r="14" fill="#f472b6" opacity="0.18"/>`,
    `<circle cx="${cx + 50}" cy="232" r="14" fill="#f472b6" opacity="0.18"/>`,
    mouthSvg(frame.mouth, cx, 256),
  ].join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 854 480">${body}</svg>`;
}

/** Every frame the animation uses: four mouths, eyes open or closed. */
export const ALL_FRAMES: PresenterFrame[] = ([0, 1, 2, 3] as MouthShape[]).flatMap((mouth) => [
  { mouth, blink: false },
  { mouth, blink: true },
]);

export function frameName(f: PresenterFrame): string {
  return `presenter_m${f.mouth}_${f.blink ? 'blink' : 'open'}.png`;
}

/**
 * Mouth shape per frame from its loudness (dBFS), relative to how loud this speech is (its 90th
 * percentile), so a quiet voice opens the mouth as much as a loud one.
 */
export function mouthShapes(loudness: readonly number[]): MouthShape[] {
  const finite = loudness.filter((d) => Number.isFinite(d)).sort((a, b) => a - b);
  const loud = finite.length ? finite[Math.floor(finite.length * 0.9)]! : -20;
  return loudness.map((d) => {
    if (!Number.isFinite(d) || d < loud - 30) return 0;
    if (d < loud - 16) return 1;
    if (d < loud - 7) return 2;
    return 3;
  });
}

/** Blinks: about every four seconds (varied so it does not look mechanical), four frames long. */
export function blinkFrames(frames: number, fps: number): boolean[] {
  const out = new Array<boolean>(frames).fill(false);
  const gaps = [3.1, 4.4, 2.6, 5.0, 3.7];
  let t = 1.6;
  for (let k = 0; t * fps < frames; k++) {
    const start = Math.round(t * fps);
    for (let i = start; i < Math.min(frames, start + 4); i++) out[i] = true;
    t += gaps[k % gaps.length]!;
  }
  return out;
}

/** An ffconcat list: each run of equal frames once, with its duration (the last listed twice). */
export function frameList(frames: readonly PresenterFrame[], fps: number): string {
  const lines = ['ffconcat version 1.0'];
  let i = 0;
  let last = '';
  while (i < frames.length) {
    let j = i + 1;
    const name = frameName(frames[i]!);
    while (j < frames.length && frameName(frames[j]!) === name) j++;
    lines.push(`file '${name}'`, `duration ${((j - i) / fps).toFixed(3)}`);
    last = name;
    i = j;
  }
  if (last) lines.push(`file '${last}'`);
  return `${lines.join('\n')}\n`;
}
