/*
 * Text helpers shared by menu matching, campaign keywords and rendering. Customers type on phones:
 * what they write is compared after folding case, accents, repeated spaces and the punctuation that
 * ends a sentence, so "HELP  PACKAGE!", "help package" and "Hélp package?" are the same words.
 */

/** Closing punctuation ignored at the end of a message (and Spanish opening marks at its start). */
const TRAILING = /[\s!?.,;:…]+$/u;
const LEADING = /^[\s¡¿]+/u;

/**
 * Folds text for whole-message comparison: compatibility-decomposed (fullwidth letters become
 * ASCII), combining marks removed (é → e), lower case, inner whitespace collapsed to one space,
 * trimmed, trailing ! ? . , ; : … and leading ¡ ¿ dropped. Emoji and inner punctuation are kept.
 */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .replace(LEADING, '')
    .replace(TRAILING, '');
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Shortens text to at most `max` UTF-16 code units (the strictest way a channel can count
 * characters), cutting only between grapheme clusters so that no surrogate pair, combining accent
 * or emoji sequence is split, and ending with "…" when anything was cut.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const { segment } of graphemes.segment(text)) {
    if (out.length + segment.length > max - 1) break;
    out += segment;
  }
  return `${out.trimEnd()}…`;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/** Replaces `{{name}}` with the contact attribute of that name (empty when the contact has none). */
export function interpolate(text: string, attributes: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_, name: string) =>
    Object.hasOwn(attributes, name) ? (attributes[name] ?? '') : '',
  );
}
