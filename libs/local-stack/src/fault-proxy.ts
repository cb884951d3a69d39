import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats traffic:
 * - `pass`: forwards both ways (a healthy server);
 * - `hang`: keeps every connection open and accepts new ones, but forwards
 *   nothing until the mode changes back (a server that is stopped with
 *   SIGSTOP, swapping, or behind a stalled link: the client only learns from
 *   its own timeouts; what was sent meanwhile is delivered on `pass`, as a
 *   resumed server would read it);
 * - `refuse`: resets every connection and refuses new ones (a server that is
 *   down: ECONNREFUSED).
 */
export type FaultMode = 'pass' | 'hang' | 'refuse';

export interface FaultProxy {
  /** 127.0.0.1:port of the proxy: give clients this instead of the server's. */
  readonly host: string;
  readonly port: number;
  readonly mode: FaultMode;
  /** Switches mode; `refuse` closes the listening socket until another mode is set. */
  setMode(mode: FaultMode): Promise<void>;
  /** Rewrites a URL's host:port to the proxy's (e.g. a DATABASE_URL). */
  url(target: string): string;
  stop(): Promise<void>;
}

/**
 * A TCP proxy in front of one server, for outage tests that must not depend
 * on how fast a real server stops or starts: PostgreSQL that hangs (every
 * query then only ends by the client's timeout), or refuses connections.
 */
export async function startFaultProxy(target: { host: string; port: number }, listenPort = 0): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let port = listenPort;
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let server: Server | undefined;

  const onConnection = (client: Socket) => {
    const upstream = tcpConnect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    // Paused sockets keep their bytes in the kernel's buffers: nothing is
    // lost while hanging, nothing moves either.
    client.pipe(upstream);
    upstream.pipe(client);
    if (mode === 'hang') pause(pair);
  };
  const pause = (p: { client: Socket; upstream: Socket }) => {
    p.client.pause();
    p.upstream.pause();
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const a = s.address();
        if (typeof a === 'object' && a) port = a.port;
        server = s;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  await listen();
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    async setMode(next) {
      mode = next;
      if (next === 'refuse') {
        for (const p of [...pairs]) {
          p.client.resetAndDestroy();
          p.upstream.destroy();
        }
        pairs.clear();
        await close();
      } else {
        for (const p of pairs) {
          if (next === 'hang') pause(p);
          else {
            p.client.resume();
            p.upstream.resume();
          }
        }
        if (!server) await listen();
      }
    },
    url(targetUrl) {
      const u = new URL(targetUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async stop() {
      for (const p of [...pairs]) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      await close();
    },
  };
}
