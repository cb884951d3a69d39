/**
 * The worker's dependency gate (see @voc/messaging "Outages"): one per
 * process, shared by its consumers. It knows how to ask each dependency
 * whether it is back, watches the connections that announce their own
 * outages (NATS, and Redis where handlers need it), and turns "waiting for
 * a dependency" into a failing readiness check that names it.
 */
import type Redis from 'ioredis';
import { Events } from 'nats';
import type { PrismaClient } from '@voc/db';
import type { LlmClient } from '@voc/llm';
import { createDependencyGate, type DependencyGate, type DependencyProbe } from '@voc/messaging';
import type { ServiceContext } from '@voc/service-kit';
import type { NatsDeps } from './connect';

export interface GateDeps {
  classify: (err: unknown) => string | undefined;
  nats: NatsDeps;
  db: PrismaClient;
  redis: Redis;
  llm?: LlmClient;
  /** Report Redis down on the connection's own events (services whose handlers wait on Redis: the limiter). */
  watchRedis: boolean;
}

export function useDependencyGate(ctx: ServiceContext, d: GateDeps): DependencyGate {
  const probes: Record<string, DependencyProbe> = {
    postgres: () => d.db.$queryRaw`SELECT 1`,
    redis: () => d.redis.ping(),
    nats: async () => {
      await d.nats.nc.flush();
      await d.nats.jsm.getAccountInfo();
    },
  };
  const llm = d.llm;
  if (llm) {
    // The cheapest real request, through the limiter like any other. Any answer, even a
    // refusal, means the provider is reachable; only another outage keeps it down.
    probes.llm = async (signal) => {
      try {
        await llm.chat({ kind: 'other', messages: [{ role: 'user', content: 'ping' }], maxTokens: 1, signal });
      } catch (err) {
        if (d.classify(err) === 'llm' || signal.aborted) throw err;
      }
    };
  }
  const gate = createDependencyGate({ classify: d.classify, probes, log: ctx.log });

  void (async () => {
    for await (const s of d.nats.nc.status()) {
      if (s.type === Events.Disconnect) gate.report('nats', new Error(`nats disconnected from ${String(s.data)}`));
      else if (s.type === Events.Reconnect) gate.recovered('nats');
    }
  })();
  if (d.watchRedis) {
    d.redis.on('reconnecting', () => gate.report('redis', new Error('redis connection lost; reconnecting')));
    d.redis.on('ready', () => gate.recovered('redis'));
  }

  ctx.addCheck({
    name: 'dependencies',
    check: async () => {
      const st = gate.state();
      if (st.open) return;
      throw new Error(
        st.outages.map((o) => `waiting for ${o.dependency} since ${new Date(o.since).toISOString()} (${o.error})`).join('; '),
      );
    },
  });
  ctx.onShutdown('dependency gate', () => gate.close());
  return gate;
}
