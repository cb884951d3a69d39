/** Deterministic PRNG (mulberry32) so generated cases are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const randomInt = (rand: () => number, min: number, max: number) =>
  min + Math.floor(rand() * (max - min + 1));

/** One code point each: ASCII, BMP CJK, emoji and CJK extension B (surrogate pairs), a combining mark. */
export const ALPHABET = ['a', 'Z', ' ', '好', '评', '😀', '𠀀', '\u0301'];

/** A body of exactly `codePoints` code points drawn from {@link ALPHABET}. */
export function randomBody(rand: () => number, codePoints: number): string {
  let s = '';
  for (let i = 0; i < codePoints; i++) s += ALPHABET[randomInt(rand, 0, ALPHABET.length - 1)];
  return s;
}
