import type { Grant } from './types';

/** When a granted request may leave: not before `sendAt`, not after `sendBy` (performance.now() ms). */
export interface SendWindow {
  readonly sendAt: number;
  readonly sendBy: number;
}

/**
 * A Grant whose settle()/cancel()/missed() reconcile at most once, through
 * `adjust(delta, cancelled)`; missed() first tells `onMissed` how late.
 */
export class LimiterGrant implements Grant {
  private done = false;
  readonly sendAt: number;
  readonly sendBy: number;

  constructor(
    readonly tokens: number,
    readonly probe: boolean,
    readonly grantedAt: number,
    readonly lateMs: number,
    window: SendWindow,
    private readonly adjust: (delta: number, cancelled: boolean) => void,
    private readonly onMissed: (lateMs: number) => void,
  ) {
    this.sendAt = window.sendAt;
    this.sendBy = window.sendBy;
  }

  missed(lateMs: number): void {
    if (this.done) return;
    this.onMissed(lateMs);
    this.cancel();
  }

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
