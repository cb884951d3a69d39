import type { Logger } from '@voc/service-kit';
import type { Redis } from 'ioredis';

/**
 * Listens on a key's channel for pauses that other processes store, so this
 * process drops the slots it holds at once instead of within one horizon.
 * Only a speed-up: the reserve script enforces the pause anyway, so a lost
 * message (subscriber reconnecting) costs at most one horizon of grants.
 */
export class PauseSubscription {
  private readonly onMessage = (channel: string, message: string) => {
    if (channel !== this.channel) return;
    try {
      const m = JSON.parse(message) as { type?: string; remainingMs?: unknown; reason?: unknown };
      if (m.type === 'pause' && typeof m.remainingMs === 'number' && m.remainingMs > 0) {
        this.log.info({ remainingMs: m.remainingMs, reason: m.reason }, 'paused by another process');
        this.onPause(m.remainingMs);
      }
    } catch (err) {
      this.log.warn({ err, message }, 'ignoring a malformed message on the limiter channel');
    }
  };
  private readonly onError = (err: unknown) => this.log.debug({ err }, 'pause subscriber connection error');
  private readonly subscribed: Promise<unknown>;
  private closed = false;

  constructor(
    private readonly sub: Redis,
    /** Whether this subscription created the connection (and so closes it). */
    private readonly owned: boolean,
    private readonly channel: string,
    private readonly onPause: (remainingMs: number) => void,
    private readonly log: Logger,
  ) {
    sub.on('message', this.onMessage);
    if (owned) sub.on('error', this.onError);
    this.subscribed = sub.subscribe(channel).catch((err: unknown) => {
      if (this.closed) return;
      this.log.warn({ err, channel }, 'could not subscribe to pause notifications; pauses reach this process through Redis alone');
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sub.off('message', this.onMessage);
    if (this.owned) {
      // disconnect() rather than quit(): immediate, even when Redis is down.
      this.sub.disconnect();
      return;
    }
    await this.subscribed;
    await this.sub.unsubscribe(this.channel).catch((err: unknown) => this.log.debug({ err }, 'unsubscribe failed'));
  }
}
