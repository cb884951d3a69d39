import type { Grant } from './types';

/** A Grant whose settle()/cancel() reconcile at most once, through `adjust(delta, cancelled)`. */
export class LimiterGrant implements Grant {
  private done = false;

  constructor(
    readonly tokens: number,
    readonly probe: boolean,
    readonly grantedAt: number,
    readonly lateMs: number,
    private readonly adjust: (delta: number, cancelled: boolean) => void,
  ) {}

  settle(actualTokens: number): void {
    if (!Number.isFinite(actualTokens) || actualTokens < 0) {
      throw new RangeError(`rate limiter: settle(${actualTokens}) needs the tokens the provider counted, a number >= 0`);
    }
    if (this.done) return;
    this.done = true;
    const delta = Math.ceil(actualTokens) - this.tokens;
    if (delta !== 0) this.adjust(delta, false);
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.adjust(-this.tokens, true);
  }
}
