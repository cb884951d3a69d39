/**
 * One NATS connection per process, which reconnects forever: a NATS restart
 * or a network blip must pause a service, never kill it. Status events are
 * logged so an operator can see the outage and the recovery.
 */
import { connect, DebugEvents, Events, type NatsConnection } from 'nats';
import type { Logger } from '@voc/service-kit';
import { errorMessage } from './errors';

export type MessagingLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface ConnectNatsOptions {
  /** One URL, a comma-separated list, or a list (several cluster nodes). */
  url: string | string[];
  user?: string;
  password?: string;
  /** Connection name shown by the server's monitoring (e.g. "translate-svc@server-a"). */
  name: string;
  log: MessagingLogger;
  /** Keep trying when the server is not up yet at start-up (default true). */
  waitOnFirstConnect?: boolean;
  /** Delay between reconnect attempts (default 1 s, the client adds jitter). */
  reconnectTimeWaitMs?: number;
  /**
   * How long one connection attempt may take (default 2 s). A node that
   * vanished still accepts a TCP connection from its kernel, or swallows the
   * SYN: the client's default of 20 s per attempt is what made a reconnect
   * after a node loss take half a minute.
   */
  connectTimeoutMs?: number;
}

export async function connectNats(o: ConnectNatsOptions): Promise<NatsConnection> {
  const servers = (Array.isArray(o.url) ? o.url : o.url.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length === 0) throw new Error('connectNats: no NATS URL given');
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: o.name,
      user: o.user || undefined,
      pass: o.password || undefined,
      maxReconnectAttempts: -1,
      reconnectTimeWait: o.reconnectTimeWaitMs ?? 1000,
      timeout: o.connectTimeoutMs ?? 2000,
      // An idle connection to a dead node is noticed within ~30 s (runners notice sooner: pull heartbeats).
      pingInterval: 10_000,
      maxPingOut: 3,
      // Services may start before NATS is up (compose, npm start): keep trying.
      waitOnFirstConnect: o.waitOnFirstConnect ?? true,
    });
  } catch (e) {
    throw new Error(`connecting to NATS at ${servers.join(', ')} as ${o.name} failed: ${errorMessage(e)}`, { cause: e });
  }
  o.log.info({ server: nc.getServer(), name: o.name }, 'nats connected');
  void logStatus(nc, o.log);
  void nc.closed().then((err) => {
    if (err) o.log.error({ err: errorMessage(err) }, 'nats connection closed with an error');
    else o.log.info({}, 'nats connection closed');
  });
  return nc;
}

async function logStatus(nc: NatsConnection, log: MessagingLogger): Promise<void> {
  for await (const s of nc.status()) {
    const data = typeof s.data === 'object' ? JSON.stringify(s.data) : String(s.data);
    switch (s.type) {
      case Events.Disconnect:
        log.warn({ server: data }, 'nats disconnected; reconnecting');
        break;
      case Events.Reconnect:
        log.info({ server: data }, 'nats reconnected');
        break;
      case Events.LDM:
        log.warn({ server: data }, 'nats server entering lame duck mode');
        break;
      case Events.Error:
        log.error({ err: data }, 'nats async error');
        break;
      case Events.Update:
        log.info({ cluster: data }, 'nats cluster update');
        break;
      case DebugEvents.StaleConnection:
        log.warn({ server: data }, 'nats connection stale');
        break;
      default:
        // reconnecting attempts and ping timers: noisy while down
        log.debug({ type: s.type, data }, 'nats status');
    }
  }
}
