// Regenerates examples/the-water-cycle.pdf, the sample document of the README's first command.
// Run: npx tsx scripts/make-example-pdf.ts
import { writeFile } from 'node:fs/promises';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';

const title = 'The Water Cycle';
const paragraphs = [
  'Water on Earth is always moving. The water cycle describes how water evaporates from the surface, rises into the atmosphere, cools and condenses into clouds, and falls again as precipitation.',
  'Evaporation is driven by the energy of the sun. Oceans provide most of the water vapour in the air, but lakes, rivers, soil and the leaves of plants contribute as well. The release of water vapour from plants is called transpiration.',
  'As warm, moist air rises it expands and cools. When it cools enough, the vapour condenses on tiny particles of dust and salt, forming the droplets that we see as clouds and fog.',
  'When droplets grow heavy enough they fall as rain, snow, sleet or hail. Some of this water runs off the land into streams and rivers, some soaks into the ground to recharge aquifers, and some is stored for long periods in glaciers and ice sheets.',
  'Groundwater moves slowly through soil and rock and may stay underground for thousands of years before it reaches a spring, a river or the sea. Because the cycle has no beginning and no end, the same water has been reused for billions of years.',
  'Human activity changes the water cycle. Cities cover soil with concrete, which increases runoff and flooding. Farming draws large amounts of water from rivers and aquifers. A warmer climate lets the air hold more moisture, which makes heavy rainfall and droughts more intense.',
  'Understanding the water cycle helps communities plan for floods and droughts, protect drinking water, and use water wisely in agriculture and industry.',
];

const doc = await PDFDocument.create();
doc.setTitle(title);
doc.setAuthor('doc2video');
doc.setLanguage('en');
const font = await doc.embedFont(StandardFonts.Helvetica);
const bold = await doc.embedFont(StandardFonts.HelveticaBold);
const page = doc.addPage([595, 842]);
let y = 780;
page.drawText(title, { x: 60, y, size: 24, font: bold, color: rgb(0.1, 0.2, 0.4) });
y -= 40;
const width = 475;
for (const p of paragraphs) {
  let line = '';
  for (const word of p.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (font.widthOfTextAtSize(next, 11) > width) {
      page.drawText(line, { x: 60, y, size: 11, font });
      y -= 16;
      line = word;
    } else line = next;
  }
  page.drawText(line, { x: 60, y, size: 11, font });
  y -= 26;
}
await writeFile(new URL('../examples/the-water-cycle.pdf', import.meta.url), await doc.save({ useObjectStreams: false }));
console.log('wrote examples/the-water-cycle.pdf');
