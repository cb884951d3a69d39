/**
 * One NATS connection per process, which reconnects forever: a NATS restart
 * or a network blip must pause a service, never kill it. Status events are
 * logged so an operator can see the outage and the recovery.
 *
 * A node that dies without a TCP RST (a killed host, a cut container network,
 * a frozen process) leaves the socket open: only the client's own PINGs tell.
 * One goes every `pingIntervalMs`; when `maxPingOut` are unanswered at the
 * next tick the connection is dropped: silence is noticed after maxPingOut ×
 * interval to (maxPingOut + 1) × interval (2–3 s by default; our former
 * 10 s × 3 took 30–40 s, the nats.js default of 2 min × 2 minutes). The
 * reconnect then goes to the next node of the list: another node within
 * about 2–3 s of the freeze (`test/connection-loss.spec.ts`). (nats.js
 * would first dial the node it left once more, see
 * `rotatePastCurrentServer`, which costs a whole `connectTimeoutMs` on a
 * node that swallows packets.) The cost is
 * one PING/PONG (a few bytes each way) per second and connection. A PONG
 * later than ~2 s (a server stalled that long) also drops the connection;
 * reconnecting is harmless (runners pull again), and it is what we want
 * from a node that slow. The server list is shuffled once (nats.js default).
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
  /** Delay before trying the same server again (default NATS_CONNECTION_DEFAULTS.reconnectTimeWaitMs; the client adds jitter). */
  reconnectTimeWaitMs?: number;
  /**
   * How long one connection attempt may take (default
   * NATS_CONNECTION_DEFAULTS.connectTimeoutMs). A node that vanished still
   * accepts a TCP connection from its kernel, or swallows the SYN: the
   * client's default of 20 s per attempt is what made a reconnect after a
   * node loss take half a minute.
   */
  connectTimeoutMs?: number;
  /** Client PING period (default NATS_CONNECTION_DEFAULTS.pingIntervalMs). */
  pingIntervalMs?: number;
  /** Unanswered PINGs after which the connection is dropped and another node tried (default NATS_CONNECTION_DEFAULTS.maxPingOut). */
  maxPingOut?: number;
}

/** The connection's defaults, defined here only (see the header for what they cost and buy). */
export const NATS_CONNECTION_DEFAULTS = Object.freeze({
  reconnectTimeWaitMs: 1000,
  connectTimeoutMs: 2000,
  /** With maxPingOut 2: a node silent for 2–3 s is left (see the header). */
  pingIntervalMs: 1000,
  maxPingOut: 2,
});

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
      reconnectTimeWait: o.reconnectTimeWaitMs ?? NATS_CONNECTION_DEFAULTS.reconnectTimeWaitMs,
      timeout: o.connectTimeoutMs ?? NATS_CONNECTION_DEFAULTS.connectTimeoutMs,
      // Runners with an open pull notice sooner (pull heartbeats); this covers every other use.
      pingInterval: o.pingIntervalMs ?? NATS_CONNECTION_DEFAULTS.pingIntervalMs,
      maxPingOut: o.maxPingOut ?? NATS_CONNECTION_DEFAULTS.maxPingOut,
      // Services may start before NATS is up (compose, npm start): keep trying.
      waitOnFirstConnect: o.waitOnFirstConnect ?? true,
    });
  } catch (e) {
    throw new Error(`connecting to NATS at ${servers.join(', ')} as ${o.name} failed: ${errorMessage(e)}`, { cause: e });
  }
  if (!rotatePastCurrentServer(nc)) o.log.debug({}, 'nats: server list not rotated (client internals differ); the first reconnect may retry the lost node');
  o.log.info({ server: nc.getServer(), name: o.name }, 'nats connected');
  void logStatus(nc, o.log);
  void nc.closed().then((err) => {
    if (err) o.log.error({ err: errorMessage(err) }, 'nats connection closed with an error');
    else o.log.info({}, 'nats connection closed');
  });
  return nc;
}

/**
 * nats.js (2.29) takes its first server without rotating its list, so the
 * first reconnect of a connection's life dials the node it just lost again:
 * a whole connect timeout (2 s) when that node swallows packets, as a dead
 * host does. Moving the connected server to the end of the list, as every
 * later selection does, sends that first reconnect to the next node. This
 * reaches into the client's internals (`protocol.servers`), so it checks
 * their shape and does nothing when they differ; `test/connection-loss.spec.ts`
 * fails if the bound is lost.
 */
function rotatePastCurrentServer(nc: NatsConnection): boolean {
  const servers = (nc as unknown as { protocol?: { servers?: { servers?: unknown; currentServer?: unknown } } }).protocol?.servers;
  const list = servers?.servers;
  if (!servers || !Array.isArray(list)) return false;
  const i = list.indexOf(servers.currentServer);
  if (i < 0) return false;
  servers.servers = [...list.slice(i + 1), ...list.slice(0, i + 1)];
  return true;
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
