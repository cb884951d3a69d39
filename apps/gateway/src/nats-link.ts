import { Events, type NatsConnection } from 'nats';

export interface NatsLink {
  /** False between a disconnect and the reconnect, and once closed. */
  readonly connected: boolean;
}

/**
 * Follows the connection's status so an upload can be refused at once with
 * 503 while NATS is away, instead of every request waiting out its PubAck
 * timeout. (A disconnect not yet noticed still ends in that timeout → 503.)
 */
export function trackNatsLink(nc: NatsConnection): NatsLink {
  let connected = !nc.isClosed();
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) connected = false;
      else if (s.type === Events.Reconnect) connected = true;
    }
  })();
  return {
    get connected() {
      return connected && !nc.isClosed();
    },
  };
}
