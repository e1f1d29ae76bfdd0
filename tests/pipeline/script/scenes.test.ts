// Scenes from plain text (pages guessed by shared words) and the safety checks on a writer's scenes.
import { describe, expect, it } from 'vitest';
import { checkScenes, guessPage, indexPages, scenesFromText, scriptText } from '../../../pipeline/script/scenes.js';

const PAGES = [
  'Glaciers store fresh water as ice in mountain valleys.',
  'Volcanoes erupt molten rock called magma from deep underground.',
  'Deserts receive very little rainfall during the year.',
];

describe('scenes', () => {
  it('guesses the page a paragraph shares most words with; none shared keeps the page before', () => {
    const scenes = scenesFromText(
      'Today: three landscapes.\n\nMagma rises and volcanoes erupt.\n\nAnd that is all.\n\nIce fills the valleys where glaciers flow.',
      PAGES,
      'en',
    );
    expect(scenes.map((s) => s.pages)).toEqual([[], [2], [2], [1]]);
    expect(guessPage('rainfall in deserts', indexPages(PAGES, 'en'), 'en')).toBe(3);
  });
  it('without page texts every scene has no page', () => {
    expect(scenesFromText('One.\n\nTwo.', undefined, 'en')).toEqual([
      { text: 'One.', pages: [] },
      { text: 'Two.', pages: [] },
    ]);
  });
  it("checks a writer's scenes: cleaned text, real pages only, at most three, no empty scenes", () => {
    const checked = checkScenes(
      [
        { text: '**Hello** [pause] there.', pages: [1, 1, 0, 7, 2.5] },
        { text: '  ', pages: [1] },
        { text: 'Next.', pages: [3, 2, 1, 3, 2] },
      ],
      3,
    );
    expect(checked).toEqual([
      { text: 'Hello there.', pages: [1] },
      { text: 'Next.', pages: [3, 2, 1] },
    ]);
    expect(scriptText(checked)).toBe('Hello there.\n\nNext.');
  });
});
