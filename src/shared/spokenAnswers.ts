/**
 * The one list of spoken yes and no: the ARS's confirmation, the evidence check of a recording and
 * the speech hints Twilio's recogniser is given all read it from here.
 */

/** Short answers that must be the whole word ("예금주" is not a yes). */
export const YES_WORDS = ['예', '네', '넵', '응', '예요', '네요'] as const;
/** Phrases that say yes wherever they stand in the answer. */
export const YES_PHRASES = ['맞습니다', '맞아요', '맞아', '동의합니다', '동의해요', '동의', '그렇습니다', '좋습니다'] as const;
/** Phrases that say no; matched with or without spaces between their syllables. */
export const NO_PHRASES = ['동의하지않습니다', '동의안합니다', '아니오', '아니요', '아닙니다', '아니', '틀립니다', '틀려요', '틀렸'] as const;

const YES_WORD = new RegExp(`^(${YES_WORDS.join('|')})$`);

export type SpokenAnswer = 'yes' | 'no' | 'unclear';

export function classifySpeech(speech: string): SpokenAnswer {
  let text = speech.replace(/[.,!?~]+/g, ' ').trim();
  let isNo = false;
  for (const phrase of NO_PHRASES) {
    const spaced = new RegExp([...phrase].join('\\s*'), 'g');
    if (spaced.test(text)) {
      isNo = true;
      text = text.replace(spaced, ' ');
    }
  }
  const words = text.split(/\s+/).filter(Boolean);
  const compact = words.join('');
  const isYes = words.some((w) => YES_WORD.test(w)) || YES_PHRASES.some((p) => compact.includes(p));
  if (isNo && !isYes) return 'no';
  if (isYes && !isNo) return 'yes';
  return 'unclear';
}

/** Hints for the speech recogniser: the answers the ARS understands, most likely first. */
export const SPEECH_HINTS: readonly string[] = ['예', '네', '아니오', '아니요', ...YES_PHRASES.filter((p) => p !== '동의'), ...YES_WORDS, ...NO_PHRASES]
  .filter((w, i, all) => all.indexOf(w) === i);
