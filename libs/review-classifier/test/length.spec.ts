import { codePointLength } from '../src';
import { prng, randomInt } from './support';

describe('codePointLength', () => {
  it.each([
    ['', 0],
    ['hello', 5],
    ['好评如潮', 4],
    ['😀', 1],
    ['𠀀', 1],
    ['😀😀😀', 3],
    // Combining marks are code points of their own (Python len agrees).
    ['e\u0301', 2],
    ['👍🏽', 2], // emoji + skin-tone modifier
  ])('counts %j as %i code points', (s, expected) => {
    expect(codePointLength(s)).toBe(expected);
  });

  it('differs from UTF-16 length for astral characters', () => {
    const s = '😀'.repeat(51);
    expect(s.length).toBe(102);
    expect(codePointLength(s)).toBe(51);
  });

  it('counts lone surrogates as one code point each', () => {
    expect(codePointLength('\ud800')).toBe(1);
    expect(codePointLength('a\udc00')).toBe(2);
    expect(codePointLength('\udc00\ud800')).toBe(2); // reversed pair is not a pair
    expect(codePointLength('x\ud83d')).toBe(2); // high surrogate at the end
  });

  it('agrees with the string iterator on random UTF-16 sequences', () => {
    const rand = prng(42);
    // Mostly surrogates so pairs, lone halves and reversed halves all occur.
    const units = [0x61, 0x597d, 0xd83d, 0xde00, 0xd840, 0xdc00, 0x0301];
    for (let round = 0; round < 500; round++) {
      const codes = Array.from({ length: randomInt(rand, 0, 40) }, () => units[randomInt(rand, 0, units.length - 1)]!);
      const s = String.fromCharCode(...codes);
      expect(codePointLength(s)).toBe([...s].length);
    }
  });
});
