import { messageText, type WireMessage } from '@voc/prompts';

const TTL_MS = 5 * 60_000;

/**
 * The provider's implicit context cache, as far as usage shows it: a system
 * prompt of at least `minTokens` tokens seen in the last five minutes is
 * reported as cached (`usage.prompt_tokens_details.cached_tokens`), because
 * every call of a kind starts with the same system prompt.
 */
export class PromptCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly minTokens: number) {}

  /** The cached share of this call's prompt: its system messages' tokens when that prefix was seen recently. */
  cached(messages: readonly WireMessage[], systemTokens: number, now = Date.now()): number {
    if (this.minTokens <= 0 || systemTokens < this.minTokens) return 0;
    const prefix = messages.filter((m) => m.role === 'system').map(messageText).join('\u0000');
    const last = this.seen.get(prefix);
    if (this.seen.size > 1024) this.seen.clear();
    this.seen.set(prefix, now);
    return last !== undefined && now - last < TTL_MS ? systemTokens : 0;
  }

  clear(): void {
    this.seen.clear();
  }
}
