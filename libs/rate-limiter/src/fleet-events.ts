import type { Logger } from '@voc/service-kit';
import type { Redis } from 'ioredis';

/** What other processes announce on a key's channel. */
export type FleetEvent =
  | { type: 'pause'; remainingMs: number; reason?: string; cause?: string }
  | { type: 'halt'; reason: string; probeEveryMs?: number }
  | { type: 'resume'; reason?: string };

function parse(message: string): FleetEvent | undefined {
  const m = JSON.parse(message) as Record<string, unknown>;
  if (m.type === 'pause' && typeof m.remainingMs === 'number' && m.remainingMs > 0) return m as FleetEvent;
  if (m.type === 'halt' && typeof m.reason === 'string') return m as FleetEvent;
  if (m.type === 'resume') return m as FleetEvent;
  return undefined;
}

/**
 * Listens on a key's channel for pauses, halts and resumes that other
 * processes store, so this process reacts at once instead of at its next
 * reservation. Only a speed-up: the reserve script enforces all of them, so
 * a lost message (subscriber reconnecting) costs at most one horizon of
 * grants for a pause, and a few seconds of waiting for a resume.
 */
export class FleetEvents {
  private readonly onMessage = (channel: string, message: string) => {
    if (channel !== this.channel) return;
    try {
      const e = parse(message);
      if (e) this.onEvent(e);
    } catch (err) {
      this.log.warn({ err, message }, 'ignoring a malformed message on the limiter channel');
    }
  };
  private readonly onError = (err: unknown) => this.log.debug({ err }, 'limiter subscriber connection error');
  private readonly subscribed: Promise<unknown>;
  private closed = false;

  constructor(
    private readonly sub: Redis,
    /** Whether this subscription created the connection (and so closes it). */
    private readonly owned: boolean,
    private readonly channel: string,
    private readonly onEvent: (e: FleetEvent) => void,
    private readonly log: Logger,
  ) {
    sub.on('message', this.onMessage);
    if (owned) sub.on('error', this.onError);
    this.subscribed = sub.subscribe(channel).catch((err: unknown) => {
      if (this.closed) return;
      this.log.warn({ err, channel }, 'could not subscribe to fleet events; pauses and halts reach this process through Redis alone');
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
