import type { PromptKind } from '@voc/prompts';

/** A well-formed answer: its text, and for JSON kinds the object it encodes (the fault injector mutates it). */
export interface SimAnswer {
  kind: PromptKind;
  content: string;
  json?: Record<string, unknown>;
}

export function jsonAnswer(kind: PromptKind, json: Record<string, unknown>): SimAnswer {
  return { kind, content: JSON.stringify(json), json };
}
