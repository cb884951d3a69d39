import { connect, type NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { startTestStack, type TestStack } from '@voc/local-stack';
import { createConsumerRunner, ensureConsumer, ensureStreams, PermanentError, publish } from '@voc/messaging';
import { createLogger } from '@voc/service-kit';

export interface Env {
  stack: TestStack;
  nc: NatsConnection;
  stop(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const stack = await startTestStack({ nats: true, redis: false, postgres: false });
  const nc = await connect({ servers: stack.natsUrl });
  await ensureStreams(await nc.jetstreamManager());
  return {
    stack,
    nc,
    async stop() {
      await nc.close();
      await stack.stop();
    },
  };
}

/**
 * Dead-letters `reportIds` the way the pipeline does: a runner whose handler
 * gives up on them (PermanentError), so each lands with its story.
 */
export async function deadLetterReports(nc: NatsConnection, reportIds: string[]): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await ensureConsumer(jsm, 'REPORT', { ackWaitMs: 2000, maxDeliver: 2, backoffMs: [] });
  let done = 0;
  const runner = createConsumerRunner({
    nc,
    queue: 'REPORT',
    concurrency: 1,
    log: createLogger('dlq-test', 'silent'),
    registry: new Registry(),
    handler: async (job) => {
      done++;
      throw new PermanentError(`report ${job.reportId}: the product was deleted`);
    },
  });
  await runner.start();
  for (const id of reportIds) await publish(nc.jetstream(), 'REPORT', { reportId: id, asin: 'B0DLQTEST1' });
  const deadline = Date.now() + 15_000;
  while (runner.stats.deadLettered < reportIds.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await runner.stop();
  if (done < reportIds.length) throw new Error('the reports were not dead-lettered');
}
