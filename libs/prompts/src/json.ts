/**
 * Finds the JSON object in a model's answer. Models sometimes wrap the object
 * in ``` fences or a sentence of prose; the object itself must still be whole.
 *
 * Rule: the first balanced `{…}` span (string- and escape-aware) that parses
 * as JSON. A span that is balanced but not valid JSON is skipped as a whole,
 * never searched inside (so a nested object of a broken answer is never
 * mistaken for the answer); a span that never closes means the answer was
 * truncated, and that is an error, not a reason to look further.
 */
export type JsonExtraction = { ok: true; value: Record<string, unknown> } | { ok: false; reason: string };

export function extractFirstJsonObject(text: string): JsonExtraction {
  let from = 0;
  for (;;) {
    const start = text.indexOf('{', from);
    if (start < 0) return { ok: false, reason: 'no JSON object in the answer' };
    const end = findClosingBrace(text, start);
    if (end < 0) return { ok: false, reason: 'JSON object is not closed (truncated answer)' };
    try {
      const value: unknown = JSON.parse(text.slice(start, end + 1));
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        return { ok: true, value: value as Record<string, unknown> };
      }
    } catch {
      // Balanced but invalid (e.g. prose in braces): skip this span entirely.
    }
    from = end + 1;
  }
}

/** Index of the brace closing the object opened at `start`, or -1 if it never closes. */
function findClosingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
