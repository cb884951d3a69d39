/** translate-svc (seed worker-trans / trans-2): classifier batches through the LLM, results in bulk. */
import { dependencyOf, handleTranslate, pipelineDepsFrom, SERVICE_SETTINGS } from '@voc/pipeline';
import { runWorker } from '@voc/worker';

runWorker({
  name: 'translate-svc',
  // Outages of PostgreSQL, NATS, Redis or the LLM hold messages instead of spending their deliveries.
  outages: dependencyOf,
  env: SERVICE_SETTINGS['translate-svc'],
  llm: { priority: 'normal' },
  consumers: (deps, cfg) => {
    const p = pipelineDepsFrom(deps, cfg);
    return [{ queue: 'TRANSLATE', handler: async (job, ctx) => void (await handleTranslate(p, job, ctx)) }];
  },
});
