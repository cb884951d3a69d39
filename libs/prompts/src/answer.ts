import type { z } from 'zod';
import { MalformedAnswerError } from './errors';
import { extractFirstJsonObject } from './json';
import type { PromptKind } from './kinds';

/** Collects the problems of one answer, then throws them together. */
export class AnswerProblems {
  readonly details: string[] = [];

  constructor(
    private readonly kind: PromptKind,
    private readonly answer: string,
  ) {}

  add(detail: string): void {
    this.details.push(detail);
  }

  throwIfAny(): void {
    if (this.details.length > 0) throw new MalformedAnswerError({ kind: this.kind }, this.details, this.answer);
  }

  fail(detail: string): never {
    this.add(detail);
    throw new MalformedAnswerError({ kind: this.kind }, this.details, this.answer);
  }
}

/** Extracts the answer's JSON object and validates it against `schema`, or throws MalformedAnswerError. */
export function parseJsonAnswer<S extends z.ZodType>(kind: PromptKind, answer: string, schema: S): z.infer<S> {
  // Explicitly typed so that the never-returning fail() narrows the flow.
  const problems: AnswerProblems = new AnswerProblems(kind, answer);
  const extracted = extractFirstJsonObject(answer);
  if (!extracted.ok) problems.fail(extracted.reason);
  const result = schema.safeParse(extracted.value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
      problems.add(`${path}: ${issue.message}`);
    }
    problems.throwIfAny();
  }
  return (result as { data: z.infer<S> }).data;
}

/** Case- and whitespace-insensitive lookup of a name in a list; returns the list's spelling. */
export function canonicalName(name: string, names: readonly string[]): string | undefined {
  const key = name.normalize('NFKC').trim().toLowerCase();
  return names.find((n) => n.normalize('NFKC').trim().toLowerCase() === key);
}
