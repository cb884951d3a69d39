/** learning-svc (seed worker-vip): the VIP lane, dimensions and 5W labels per product. */
import { dependencyOf, handleLearning, pipelineDepsFrom, SERVICE_SETTINGS } from '@voc/pipeline';
import { runWorker } from '@voc/worker';

runWorker({
  name: 'learning-svc',
  // Outages of PostgreSQL, NATS, Redis or the LLM hold messages instead of spending their deliveries.
  outages: dependencyOf,
  env: SERVICE_SETTINGS['learning-svc'],
  llm: { priority: 'vip' },
  consumers: (deps, cfg) => {
    const p = pipelineDepsFrom(deps, cfg);
    return [{ queue: 'LEARNING', handler: async (job, ctx) => void (await handleLearning(p, job, ctx)) }];
  },
});
