import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLocalScriptWriter, splitSentences, writeLocalScript } from '../../../pipeline/providers/local-script.js';
import type { ScriptRequest } from '../../../pipeline/ports.js';
import { countWords, limitsFor } from '../../../pipeline/script/limits.js';
import { createLogger } from '../../../src/logger.js';

const ENGLISH = `Renewable Energy in Cities

Cities use about two thirds of the world's energy and produce a similar share of its carbon emissions. This report looks at how cities can move to renewable energy during the next twenty years.
Introduction
Rooftop solar panels are the most visible change. A typical family home can cover half of its electricity needs with a small rooftop installation. Prices for panels have dropped by almost ninety percent since 2010, which makes them affordable for many households.
Heat pumps replace gas boilers in many new buildings. They move heat from the air or the ground into the house and need far less energy than electric heaters. In cold climates, ground source heat pumps work better than air source models.
District heating networks connect many buildings to one central heat source. Some networks use waste heat from factories, data centres or sewage water. Copenhagen heats almost all of its buildings this way.
Transport is the second big area. Electric buses are already common in Chinese cities, and European cities are following. Charging stations for private cars are still too rare in older neighbourhoods.
Storage remains the hardest problem. Batteries can shift solar power from noon to the evening, but not from summer to winter. Hydrogen and large heat stores are being tested for longer periods.
Money matters as much as technology. Cities that offer cheap loans for insulation see much faster progress than cities that only give advice. Public buildings such as schools can lead by example and show residents what works.
The report ends with ten recommendations for city councils. The most important one is to publish a clear plan with yearly targets. Residents trust plans that they can check.
Conclusion
A city that starts now can cut its emissions by more than half within fifteen years. The technology exists; the main barriers are planning, money and patience.`;

const ARABIC = `الطاقة المتجددة في المدن
تستهلك المدن نحو ثلثي الطاقة في العالم وتنتج حصة مماثلة من انبعاثات الكربون. يتناول هذا التقرير كيف يمكن للمدن أن تنتقل إلى الطاقة المتجددة خلال العشرين عاماً القادمة.
الألواح الشمسية على الأسطح هي التغيير الأكثر وضوحاً. يمكن لمنزل عائلي نموذجي أن يغطي نصف احتياجاته من الكهرباء بتركيب صغير على السطح. انخفضت أسعار الألواح بنحو تسعين بالمئة منذ عام 2010، مما يجعلها في متناول كثير من الأسر.
تحل المضخات الحرارية محل غلايات الغاز في كثير من المباني الجديدة. فهل تكفي وحدها لتدفئة المدينة؟ تنقل هذه المضخات الحرارة من الهواء أو الأرض إلى داخل المنزل وتحتاج إلى طاقة أقل بكثير من المدافئ الكهربائية۔
يعد النقل المجال الكبير الثاني. أصبحت الحافلات الكهربائية شائعة في المدن الصينية، وتتبعها المدن الأوروبية. ولا تزال محطات شحن السيارات الخاصة نادرة في الأحياء القديمة.
يبقى التخزين أصعب مشكلة. يمكن للبطاريات أن تنقل الطاقة الشمسية من الظهيرة إلى المساء، لكن ليس من الصيف إلى الشتاء.
المال مهم بقدر أهمية التقنية. المدن التي تقدم قروضاً رخيصة للعزل تحقق تقدماً أسرع بكثير من المدن التي تكتفي بتقديم النصائح.`;

const req = (text: string, language: string, title = 'Renewable Energy in Cities'): ScriptRequest => {
  const { minWords, maxWords, wordsPerMinute } = limitsFor(language);
  return { title, text, language, minWords, maxWords, targetWords: Math.round((wordsPerMinute * 90) / 60) };
};

const ctx = { jobId: 'job-local', logger: createLogger({ level: 'silent' }) };

function expectWithin(script: string, r: ScriptRequest) {
  const n = countWords(script, r.language);
  expect(n).toBeGreaterThanOrEqual(r.minWords);
  expect(n).toBeLessThanOrEqual(r.maxWords);
  return n;
}

describe('splitSentences', () => {
  it('splits Latin, Arabic and CJK sentences and keeps abbreviations and decimals whole', () => {
    expect(splitSentences('Dr. Smith measured 3.5 volts. It worked! Did it? Yes.')).toEqual([
      'Dr. Smith measured 3.5 volts.',
      'It worked!',
      'Did it?',
      'Yes.',
    ]);
    expect(splitSentences('ما هذا؟ إنه كتاب۔ وهو جديد.')).toEqual(['ما هذا؟', 'إنه كتاب۔', 'وهو جديد.']);
    expect(splitSentences('太阳能很重要。价格下降了。')).toEqual(['太阳能很重要。', '价格下降了。']);
  });

  it('keeps a heading line apart from the sentence after it and joins wrapped lines', () => {
    expect(splitSentences('Introduction\nThis report looks at\ncities and energy.')).toEqual([
      'Introduction',
      'This report looks at cities and energy.',
    ]);
  });
});

describe('local script writer', () => {
  it('is named local, costs nothing and is deterministic', async () => {
    const writer = createLocalScriptWriter();
    expect(writer.name).toBe('local');
    const a = await writer.write(req(ENGLISH, 'en'), ctx);
    const b = await writer.write(req(ENGLISH, 'en'), ctx);
    expect(a.costUsd).toBe(0);
    expect(a.text).toBe(b.text);
  });

  it('writes an English script within limits, near the target, from the document in document order', () => {
    const r = req(ENGLISH, 'en');
    const script = writeLocalScript(r);
    const n = expectWithin(script, r);
    expect(n).toBeGreaterThanOrEqual(r.targetWords * 0.7);
    expect(n).toBeLessThanOrEqual(r.targetWords * 1.3);
    expect(script.startsWith('Hello! Today we take a short look at "Renewable Energy in Cities".')).toBe(true);
    expect(script.trimEnd().endsWith('Thank you for watching.')).toBe(true);
    // Every body sentence comes from the document, in the order the document has them.
    const body = splitSentences(script).slice(2, -2);
    const positions = body.map((s) => ENGLISH.replace(/\s+/g, ' ').indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
    // Headings are not narrated as sentences.
    expect(script).not.toMatch(/\bIntroduction\b/);
  });

  it('writes an Arabic script within limits, in Arabic', () => {
    const r = req(ARABIC, 'ar', 'الطاقة المتجددة في المدن');
    const script = writeLocalScript(r);
    expectWithin(script, r);
    expect(script).toContain('مرحباً بكم');
    expect(script).toContain('«الطاقة المتجددة في المدن»');
    expect(script).not.toMatch(/[A-Za-z]/);
  });

  it('repeats key sentences of a short text until the minimum is reached', () => {
    const r = req('Solar panels turn sunlight into electricity. They are cheap now.', 'en', 'Solar');
    const script = writeLocalScript(r);
    expectWithin(script, r);
    expect(script).toContain('To sum up the key points:');
    expect(script.split('Solar panels turn sunlight into electricity.').length).toBeGreaterThan(2);
  });

  it('stays within any requested range, deterministically, for arbitrary text', () => {
    const word = fc.stringMatching(/^[a-z]{1,9}$/);
    const sentence = fc.array(word, { minLength: 1, maxLength: 40 }).map((ws) => `${ws.join(' ')}.`);
    fc.assert(
      fc.property(
        fc.array(sentence, { maxLength: 40 }),
        fc.integer({ min: 20, max: 200 }),
        fc.integer({ min: 0, max: 300 }),
        fc.constantFrom('en', 'de', 'fr', 'es', 'it'),
        (sentences, minWords, span, language) => {
          const maxWords = minWords + span;
          const r: ScriptRequest = {
            title: 'T',
            text: sentences.join(' '),
            language,
            minWords,
            maxWords,
            targetWords: Math.round((minWords + maxWords) / 2),
          };
          const script = writeLocalScript(r);
          expectWithin(script, r);
          expect(writeLocalScript(r)).toBe(script);
        },
      ),
      { numRuns: 150 },
    );
  });
});
