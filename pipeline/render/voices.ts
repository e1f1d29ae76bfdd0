// Microsoft Azure neural voices (D-ID's default TTS provider; `voice_id` is the Azure short name).
// Each language has a female and a male voice. With an avatar style, the voice's gender follows
// the default presenters of that style (professional: Amber, a woman; friendly: Alex / Lucas,
// men) so a presenter does not speak with the other gender's voice. Without a style the
// language's usual default is used.
import type { AvatarStyle } from '../../src/config.js';

interface VoicePair {
  female: string;
  male: string;
  /** Used when no avatar style is given. */
  default: 'female' | 'male';
}

const pair = (female: string, male: string, def: 'female' | 'male' = 'female'): VoicePair => ({
  female,
  male,
  default: def,
});

/** ISO 639-1 code (or a regional locale, lower case) -> voices. */
const VOICES: Record<string, VoicePair> = {
  en: pair('en-US-JennyNeural', 'en-US-GuyNeural'),
  'en-gb': pair('en-GB-SoniaNeural', 'en-GB-RyanNeural'),
  ar: pair('ar-SA-ZariyahNeural', 'ar-SA-HamedNeural', 'male'),
  'ar-eg': pair('ar-EG-SalmaNeural', 'ar-EG-ShakirNeural', 'male'),
  'ar-ae': pair('ar-AE-FatimaNeural', 'ar-AE-HamdanNeural'),
  de: pair('de-DE-KatjaNeural', 'de-DE-ConradNeural'),
  fr: pair('fr-FR-DeniseNeural', 'fr-FR-HenriNeural'),
  'fr-ca': pair('fr-CA-SylvieNeural', 'fr-CA-JeanNeural'),
  es: pair('es-ES-ElviraNeural', 'es-ES-AlvaroNeural'),
  'es-mx': pair('es-MX-DaliaNeural', 'es-MX-JorgeNeural'),
  it: pair('it-IT-ElsaNeural', 'it-IT-DiegoNeural'),
  pt: pair('pt-BR-FranciscaNeural', 'pt-BR-AntonioNeural'),
  'pt-pt': pair('pt-PT-RaquelNeural', 'pt-PT-DuarteNeural'),
  nl: pair('nl-NL-ColetteNeural', 'nl-NL-MaartenNeural'),
  ru: pair('ru-RU-SvetlanaNeural', 'ru-RU-DmitryNeural'),
  uk: pair('uk-UA-PolinaNeural', 'uk-UA-OstapNeural'),
  pl: pair('pl-PL-ZofiaNeural', 'pl-PL-MarekNeural'),
  tr: pair('tr-TR-EmelNeural', 'tr-TR-AhmetNeural'),
  zh: pair('zh-CN-XiaoxiaoNeural', 'zh-CN-YunxiNeural'),
  'zh-tw': pair('zh-TW-HsiaoChenNeural', 'zh-TW-YunJheNeural'),
  ja: pair('ja-JP-NanamiNeural', 'ja-JP-KeitaNeural'),
  ko: pair('ko-KR-SunHiNeural', 'ko-KR-InJoonNeural'),
  hi: pair('hi-IN-SwaraNeural', 'hi-IN-MadhurNeural'),
  bn: pair('bn-IN-TanishaaNeural', 'bn-IN-BashkarNeural'),
  ur: pair('ur-PK-UzmaNeural', 'ur-PK-AsadNeural'),
  fa: pair('fa-IR-DilaraNeural', 'fa-IR-FaridNeural'),
  he: pair('he-IL-HilaNeural', 'he-IL-AvriNeural'),
  el: pair('el-GR-AthinaNeural', 'el-GR-NestorasNeural'),
  sv: pair('sv-SE-SofieNeural', 'sv-SE-MattiasNeural'),
  da: pair('da-DK-ChristelNeural', 'da-DK-JeppeNeural'),
  nb: pair('nb-NO-PernilleNeural', 'nb-NO-FinnNeural'),
  fi: pair('fi-FI-NooraNeural', 'fi-FI-HarriNeural'),
  cs: pair('cs-CZ-VlastaNeural', 'cs-CZ-AntoninNeural'),
  ro: pair('ro-RO-AlinaNeural', 'ro-RO-EmilNeural'),
  hu: pair('hu-HU-NoemiNeural', 'hu-HU-TamasNeural'),
  id: pair('id-ID-GadisNeural', 'id-ID-ArdiNeural'),
  ms: pair('ms-MY-YasminNeural', 'ms-MY-OsmanNeural'),
  vi: pair('vi-VN-HoaiMyNeural', 'vi-VN-NamMinhNeural'),
  th: pair('th-TH-PremwadeeNeural', 'th-TH-NiwatNeural'),
};

// Aliases: old or alternative 639-1 codes, and 639-3 codes (franc's output) in case one slips
// through the extract step unconverted.
const ALIASES: Record<string, string> = {
  iw: 'he',
  no: 'nb',
  nn: 'nb',
  in: 'id',
  eng: 'en',
  arb: 'ar',
  ara: 'ar',
  deu: 'de',
  ger: 'de',
  fra: 'fr',
  fre: 'fr',
  spa: 'es',
  ita: 'it',
  por: 'pt',
  nld: 'nl',
  dut: 'nl',
  rus: 'ru',
  ukr: 'uk',
  pol: 'pl',
  tur: 'tr',
  cmn: 'zh',
  zho: 'zh',
  chi: 'zh',
  jpn: 'ja',
  kor: 'ko',
  hin: 'hi',
  ben: 'bn',
  urd: 'ur',
  pes: 'fa',
  fas: 'fa',
  per: 'fa',
  heb: 'he',
  ell: 'el',
  swe: 'sv',
  dan: 'da',
  nob: 'nb',
  fin: 'fi',
  ces: 'cs',
  ron: 'ro',
  hun: 'hu',
  ind: 'id',
  zsm: 'ms',
  msa: 'ms',
  vie: 'vi',
  tha: 'th',
};

function lookup(language: string): VoicePair | undefined {
  const tag = language.trim().toLowerCase().replace(/_/g, '-');
  if (!tag) return undefined;
  if (VOICES[tag]) return VOICES[tag];
  const base = tag.split('-')[0]!;
  const region = tag.slice(base.length); // "-eg" or ""
  const canonical = ALIASES[base] ?? base;
  return VOICES[`${canonical}${region}`] ?? VOICES[canonical];
}

/**
 * Azure voice short name for a language ("ar", "ar-EG", "de", "arb"), falling back to
 * en-US-JennyNeural (en-US-GuyNeural for the friendly style) for languages we have no voice for.
 */
export function voiceFor(language: string, style?: AvatarStyle): string {
  // Unknown language: the English pair (Jenny without a style; the style's gender with one).
  const voices = lookup(language ?? '') ?? VOICES.en!;
  const gender = style === 'professional' ? 'female' : style === 'friendly' ? 'male' : voices.default;
  return voices[gender];
}

/** Languages with a dedicated voice (ISO 639-1 and regional tags, lower case). */
export const VOICE_LANGUAGES: readonly string[] = Object.keys(VOICES);
