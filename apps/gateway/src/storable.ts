/**
 * What PostgreSQL can store, as the upload validation checks it: text
 * without NUL (text and jsonb refuse U+0000) and without lone UTF-16
 * surrogates (not encodable as UTF-8), and integers within int4. The
 * pipeline's ingest applies the same rules to what reaches it; this module
 * is the gateway's view of that one definition.
 */
export const INT4_MAX = 2_147_483_647;

type WellFormed = string & { isWellFormed(): boolean };

/** Why `s` cannot be stored as text, or undefined when it can. */
export function unstorableText(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL (\\u0000)';
  if (!(s as WellFormed).isWellFormed()) return 'must not contain a lone UTF-16 surrogate';
  return undefined;
}
