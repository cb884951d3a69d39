/** report-svc (seed worker-base): reports assembled from PostgreSQL alone; no LLM. */
import { dependencyOf, handleReport, pipelineDepsFrom, SERVICE_SETTINGS } from '@voc/pipeline';
import { runWorker } from '@voc/worker';

runWorker({
  name: 'report-svc',
  // Outages of PostgreSQL, NATS, Redis or the LLM hold messages instead of spending their deliveries.
  outages: dependencyOf,
  env: SERVICE_SETTINGS['report-svc'],
  consumers: (deps, cfg) => {
    const p = pipelineDepsFrom(deps, cfg);
    return [{ queue: 'REPORT', handler: async (job, ctx) => void (await handleReport(p, job, ctx)) }];
  },
});
