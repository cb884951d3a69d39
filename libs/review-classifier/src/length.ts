/**
 * Number of Unicode code points in `s`: what the seed's Python `len()` measures.
 * `s.length` counts UTF-16 units, so every emoji or CJK extension-B character
 * would count twice and push reviews across thresholds.
 *
 * Iterates instead of `[...s].length` so a long review costs no allocation.
 * A lone surrogate counts as one code point, as the string iterator does.
 */
export function codePointLength(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
