import type { PromptKind } from '@voc/prompts';
import type { SimAnswer } from './answers';
import type { SimConfig } from './config';
import { Rng } from './random';

/**
 * The ways real models get the format wrong. Some are recoverable by a
 * principled parser (JSON wrapped in prose or fences); the others must be
 * rejected. Swapped batch keys are deliberately absent: no parser could tell.
 */
export type MalformedVariant =
  | 'empty'
  | 'truncated'
  | 'prose_wrapped'
  | 'fenced_with_text'
  | 'missing_keys'
  | 'extra_keys'
  | 'wrong_types'
  | 'too_few'
  | 'unknown_choice'
  | 'quote_not_in_review';

/** The malformations each kind's answers may get. */
export const MALFORMED_VARIANTS: Record<PromptKind, MalformedVariant[]> = {
  translate_single: ['empty', 'truncated'],
  translate_batch: ['truncated', 'prose_wrapped', 'fenced_with_text', 'missing_keys', 'extra_keys', 'wrong_types'],
  insight: ['truncated', 'prose_wrapped', 'fenced_with_text', 'too_few', 'unknown_choice', 'quote_not_in_review', 'wrong_types'],
  theme: ['truncated', 'prose_wrapped', 'fenced_with_text', 'unknown_choice', 'quote_not_in_review', 'wrong_types'],
  learning: ['truncated', 'prose_wrapped', 'fenced_with_text', 'too_few', 'wrong_types'],
  other: [],
};

export interface ShapedAnswer {
  content: string;
  finishReason: 'stop' | 'length';
  malformed?: MalformedVariant;
}

export interface ServerError {
  status: 500 | 502 | 503;
  body: { error: { message: string; type: string; code: string } };
}

const SERVER_ERRORS: ServerError[] = [
  { status: 500, body: { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: 'internal_error' } } },
  { status: 502, body: { error: { message: 'Bad gateway.', type: 'server_error', code: 'bad_gateway' } } },
  { status: 503, body: { error: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: 'service_unavailable' } } },
];

/** Decides latency and faults from one seeded stream (reproducible for a given arrival order). */
export class FaultInjector {
  private readonly rng: Rng;

  constructor(private readonly config: Pick<SimConfig, 'seed' | 'latencyMs' | 'jitterMs' | 'errorRate' | 'malformedRate'>) {
    this.rng = new Rng(config.seed, 'faults');
  }

  latencyMs(): number {
    const { latencyMs, jitterMs } = this.config;
    return Math.max(0, Math.round(latencyMs + (this.rng.next() * 2 - 1) * jitterMs));
  }

  serverError(): ServerError | undefined {
    return this.rng.chance(this.config.errorRate) ? this.rng.pick(SERVER_ERRORS) : undefined;
  }

  /** The answer as sent: well-formed, or at the malformed rate one of its kind's realistic defects. */
  shape(answer: SimAnswer): ShapedAnswer {
    const variants = MALFORMED_VARIANTS[answer.kind];
    if (variants.length === 0 || !this.rng.chance(this.config.malformedRate)) {
      return { content: answer.content, finishReason: 'stop' };
    }
    const variant = this.rng.pick(variants);
    return { ...malform(answer, variant, this.rng), malformed: variant };
  }
}

const clone = <T>(v: T): T => structuredClone(v);

function firstArray(json: Record<string, unknown>): unknown[] {
  const arr = Object.values(json).find(Array.isArray);
  return (arr as unknown[] | undefined) ?? [];
}

export function malform(answer: SimAnswer, variant: MalformedVariant, rng: Rng): Omit<ShapedAnswer, 'malformed'> {
  const { content } = answer;
  const stop = (text: string) => ({ content: text, finishReason: 'stop' as const });
  const json = answer.json ? clone(answer.json) : undefined;
  const fabricated = `text ${rng.hex(6)} the reviewer never wrote`;

  switch (variant) {
    case 'empty':
      return stop('');
    case 'truncated':
      // Cut off by the output limit, as a provider reports it.
      return { content: content.slice(0, Math.floor(content.length * (0.3 + 0.5 * rng.next()))), finishReason: 'length' };
    case 'prose_wrapped':
      return stop(`好的，以下是结果：\n${content}\n希望对您有帮助！`);
    case 'fenced_with_text':
      return stop(`\`\`\`json\n${JSON.stringify(answer.json, null, 2)}\n\`\`\`\n以上为全部内容，如需调整请告诉我。`);
    case 'missing_keys': {
      const keys = rng.shuffle(Object.keys(json ?? {}));
      const drop = Math.max(1, Math.floor(keys.length / 3));
      for (const k of keys.slice(0, drop)) delete json?.[k];
      return stop(JSON.stringify(json));
    }
    case 'extra_keys': {
      const n = Object.keys(json ?? {}).length;
      return stop(JSON.stringify({ ...json, [`r${n + 1}`]: '【译文】多出来的一条' }));
    }
    case 'wrong_types':
      return stop(JSON.stringify(wrongTypes(answer.kind, json ?? {}, rng)));
    case 'too_few': {
      const arr = firstArray(json ?? {});
      arr.splice(answer.kind === 'learning' ? 3 : 1);
      return stop(JSON.stringify(json));
    }
    case 'unknown_choice': {
      const item = firstArray(json ?? {})[0] as Record<string, unknown> | undefined;
      if (item) item[answer.kind === 'insight' ? 'dimension' : 'label'] = `未列出的选项${rng.hex(4)}`;
      else if (json) json.themes = [{ category: 'who', label: `未列出的选项${rng.hex(4)}`, quote: fabricated }];
      return stop(JSON.stringify(json));
    }
    case 'quote_not_in_review': {
      const item = firstArray(json ?? {})[0] as Record<string, unknown> | undefined;
      if (item) item.quote = fabricated;
      else if (json) json.themes = [{ category: 'who', label: '?', quote: fabricated }];
      return stop(JSON.stringify(json));
    }
  }
}

function wrongTypes(kind: PromptKind, json: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  switch (kind) {
    case 'translate_batch': {
      const key = rng.pick(Object.keys(json));
      return { ...json, [key]: rng.pick<unknown>([42, null, [json[key]], { text: json[key] }]) };
    }
    case 'insight': {
      const insights = json.insights as Record<string, unknown>[];
      return { insights: insights.map((i, n) => (n === 0 ? { ...i, quote: [i.quote] } : i)) };
    }
    case 'theme':
      return { themes: JSON.stringify(json.themes) };
    case 'learning':
      return { ...json, dimensions: (json.dimensions as { name: string }[]).map((d) => d.name) };
    default:
      return json;
  }
}
