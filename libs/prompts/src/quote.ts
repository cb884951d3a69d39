/**
 * Checks that a quote the model gives is really in the review. Models keep
 * the words but often change typography (curly quotes, whitespace, case) or
 * the punctuation at the quote's ends, so both sides are normalised the same
 * way before a plain substring test.
 */
const EDGE_PUNCTUATION = /^[\s"'.,;:!?。，；：！？、]+|[\s"'.,;:!?。，；：！？、]+$/g;

export function normalizeForMatch(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/[\u2010-\u2015]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

/** True when the quote (with real content) occurs in at least one of the sources. */
export function quoteOccursIn(quote: string, ...sources: (string | undefined)[]): boolean {
  const q = normalizeForMatch(quote).replace(EDGE_PUNCTUATION, '');
  if (!q) return false;
  return sources.some((s) => s !== undefined && normalizeForMatch(s).includes(q));
}
