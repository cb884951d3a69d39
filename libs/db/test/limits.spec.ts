/**
 * The column limits agree with PostgreSQL: what `storable` / `reviewProblems`
 * accept, the database stores unchanged; what they refuse, the database
 * refuses (or, for a lone surrogate in text, silently corrupts).
 */
import { startTestStack, type TestStack } from '@voc/local-stack';
import { COLUMN_LIMITS, escapeUnstorable, productProblems, reviewProblems, storable } from '../src/limits';
import { withPg } from './support';

describe('column limits', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ nats: false, redis: false });
    await withPg(stack.databaseUrl, (pg) => pg.query('CREATE TABLE t (s text, j jsonb, n integer)'));
  }, 60_000);
  afterAll(() => stack?.stop());

  /** Stores the value in text, jsonb and (when a number) integer, and reads it back; the PostgreSQL error code otherwise. */
  async function roundTrip(value: string | number): Promise<{ ok: true; back: unknown } | { ok: false; code: string }> {
    return withPg(stack.databaseUrl, async (pg) => {
      try {
        const r =
          typeof value === 'number'
            ? await pg.query('INSERT INTO t (n) VALUES ($1) RETURNING n AS back', [value])
            : await pg.query('INSERT INTO t (s, j) VALUES ($1, $2) RETURNING s AS back, j', [value, JSON.stringify([value])]);
        const row = r.rows[0] as { back: unknown; j?: unknown[] };
        // The jsonb copy must come back the same as the text one.
        if (typeof value === 'string') expect(row.j).toEqual([row.back]);
        return { ok: true, back: row.back };
      } catch (err) {
        return { ok: false, code: (err as { code: string }).code };
      }
    });
  }

  it.each([
    ['plain text', 'Battery lasts for weeks.'],
    ['Chinese and an emoji (a surrogate pair)', '电池续航很好 👍'],
    ['control characters other than NUL', 'tab\tand\u0001bell\u0007'],
  ])('accepts %s, and PostgreSQL stores it unchanged', async (_what, text) => {
    expect(storable(text)).toBeUndefined();
    expect(await roundTrip(text)).toEqual({ ok: true, back: text });
  });

  it('refuses a NUL character, which PostgreSQL refuses too', async () => {
    expect(storable('a\u0000b')).toMatch(/NUL/);
    expect(await roundTrip('a\u0000b')).toEqual({ ok: false, code: '22021' });
  });

  it('refuses a lone surrogate, which text would store as U+FFFD and jsonb refuses', async () => {
    expect(storable('a\ud800b')).toMatch(/surrogate at position 1/);
    expect(storable('a\udc00')).toMatch(/surrogate/);
    expect(await roundTrip('a\ud800b')).toEqual({ ok: false, code: '22P02' });
    const textOnly = await withPg(stack.databaseUrl, (pg) => pg.query('INSERT INTO t (s) VALUES ($1) RETURNING s', ['a\ud800b']));
    expect(textOnly.rows[0].s).toBe('a\ufffdb');
  });

  it('bounds helpfulVotes by the integer column, whose limit PostgreSQL enforces', async () => {
    const max = COLUMN_LIMITS.review.helpfulVotes.max;
    const base = { reviewId: 'r1', rating: 5, body: 'ok' };
    expect(reviewProblems({ ...base, helpfulVotes: max })).toEqual([]);
    expect(await roundTrip(max)).toEqual({ ok: true, back: max });
    expect(reviewProblems({ ...base, helpfulVotes: 3_000_000_000 })).toEqual([
      { field: 'helpfulVotes', message: expect.stringMatching(/from 0 to 2147483647/) },
    ]);
    expect(await roundTrip(3_000_000_000)).toEqual({ ok: false, code: '22003' });
  });

  it('names every unstorable field of a review and of a product', () => {
    const problems = reviewProblems({ reviewId: 'r\u0000', rating: 6, body: 'x'.repeat(20_001), title: null, author: 'a\ud800' });
    expect(problems.map((p) => p.field)).toEqual(['reviewId', 'rating', 'body', 'author']);
    expect(productProblems({ title: 'ok', bulletPoints: ['fine', 'bad\u0000', 'fine too'] })).toEqual([
      { field: 'bulletPoints.1', message: expect.stringMatching(/NUL/) },
    ]);
  });

  it('escapes what it cannot store, keeping surrogate pairs', () => {
    expect(escapeUnstorable('a\u0000b\ud800c👍')).toBe('a\\u0000b\\ud800c👍');
    expect(storable(escapeUnstorable('a\u0000\udfff'))).toBeUndefined();
  });
});
