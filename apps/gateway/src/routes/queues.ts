import { Router } from 'express';
import { queueStats, type QueueStats } from '@voc/messaging';
import type { LimiterStats } from '@voc/rate-limiter';
import type { GatewayDeps } from '../deps';
import { unavailable } from '../errors';

/**
 * One stream as GET /v1/queues shows it (the seeds watched this in Flower).
 * Fields @voc/messaging adds to its stats (runner states, dead-letter
 * reasons, …) pass through as they are; the ones below are renamed or summed.
 */
function streamView(q: QueueStats) {
  const { queue: _queue, consumers: _consumers, ...added } = q;
  return {
    ...added,
    stream: q.stream,
    subject: q.subject,
    exists: q.exists,
    messages: q.messages,
    pending: q.pending,
    inFlight: q.inFlight,
    redelivered: q.consumers.reduce((n, c) => n + c.numRedelivered, 0),
    stranded: q.stranded,
    dlq: q.dlq,
    consumers: q.consumers.map((c) => ({
      name: c.name,
      pending: c.numPending,
      inFlight: c.numAckPending,
      redelivered: c.numRedelivered,
      waitingPulls: c.numWaiting,
    })),
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function limiterView(s: LimiterStats) {
  return {
    key: s.key,
    limit: s.rps,
    tokensPerMinute: s.tpm,
    grantedLastSecond: s.grantedLastSecond,
    tokensLastSecond: s.tokensLastSecond,
    recentRps: Math.round((s.grantedLast10s / 10) * 10) / 10,
    recentTpm: Math.round((s.tokensLast10s / 10) * 60),
    pausedUntil: iso(s.pausedUntilMs),
    halted: s.halted && { reason: s.halted.reason, since: iso(s.halted.sinceMs), nextProbe: iso(s.halted.nextProbeMs) },
    ramp: s.ramp && { requestsFactor: s.ramp.requestsFactor, tokensFactor: s.ramp.tokensFactor, fullAt: iso(s.ramp.fullAtMs) },
    lanes: s.lanes,
    mode: s.mode,
  };
}

/** What an operator must act on: LLM work halted fleet-wide (arrears, quota), or the limiter without Redis. */
function alertsOf(views: ReturnType<typeof limiterView>[]) {
  const alerts: { code: string; key: string; message: string; since?: string | null }[] = [];
  for (const v of views) {
    if (v.halted) alerts.push({ code: 'llm_halted', key: v.key, since: v.halted.since, message: `LLM work halted fleet-wide: ${v.halted.reason}; a probe call runs every interval and work resumes by itself when it succeeds` });
    if (v.mode === 'degraded') alerts.push({ code: 'limiter_degraded', key: v.key, message: 'Redis unreachable: the limiter grants nothing until it is back (fail closed)' });
  }
  return alerts;
}

/** GET /v1/queues — depth of every stream, the DLQ, and the fleet's LLM budget use. */
export function queueRoutes(deps: GatewayDeps): Router {
  const router = Router();

  router.get('/v1/queues', async (_req, res) => {
    if (!deps.nats.connected) throw unavailable('queue', deps.settings.retryAfterS);
    // The limiter never throws for Redis trouble: it reports mode 'degraded' instead.
    const [queues, limiters] = await Promise.all([queueStats(deps.jsm, deps.nc ? { nc: deps.nc } : {}), deps.limiters.stats()]);
    const streams = Object.fromEntries(Object.entries(queues).map(([name, q]) => [name, streamView(q)]));
    const views = limiters.map(limiterView);
    res.json({
      alerts: alertsOf(views),
      streams,
      dlq: { total: Object.values(queues).reduce((n, q) => n + q.dlq, 0) },
      limiter: views.find((l) => l.key === deps.limiters.primaryKey) ?? null,
      limiters: views,
      generatedAt: new Date().toISOString(),
    });
  });

  return router;
}
