import { describe, expect, it } from 'vitest';
import { cleanScript } from '../../../pipeline/script/clean.js';

describe('cleanScript', () => {
  it('removes markdown and stage directions but keeps the words', () => {
    const raw = [
      '# Solar Power',
      '',
      '**Presenter:** Hello and welcome! [pause] Today we look at *solar* power.',
      '- Panels are __cheap__ now.',
      '(smiles) See [the report](https://example.com/r) for details.',
    ].join('\n');
    expect(cleanScript(raw)).toBe(
      'Solar Power\n\nHello and welcome! Today we look at solar power.\nPanels are cheap now.\nSee the report for details.',
    );
  });

  it('leaves plain text alone', () => {
    const plain = 'مرحباً بكم. نتحدث اليوم عن الطاقة الشمسية (وهي طاقة نظيفة).';
    expect(cleanScript(plain)).toBe(plain);
  });
});
