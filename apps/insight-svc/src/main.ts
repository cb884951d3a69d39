/**
 * insight-svc (seed worker-insight): CONCURRENCY messages × INSIGHT_PARALLEL_SIZE
 * LLM calls each; backs up the LEARNING queue when its own is empty.
 */
import { dependencyOf, handleInsight, learningBackup, pipelineDepsFrom, SERVICE_SETTINGS } from '@voc/pipeline';
import { runWorker } from '@voc/worker';

runWorker({
  name: 'insight-svc',
  // Outages of PostgreSQL, NATS, Redis or the LLM hold messages instead of spending their deliveries.
  outages: dependencyOf,
  env: SERVICE_SETTINGS['insight-svc'],
  llm: { priority: 'normal' },
  consumers: (deps, cfg) => {
    const p = pipelineDepsFrom(deps, cfg);
    return [
      {
        queue: 'INSIGHT',
        handler: async (job, ctx) => void (await handleInsight(p, job, ctx, cfg.INSIGHT_PARALLEL_SIZE)),
        ...learningBackup(p, cfg.LEARNING_BACKUP),
      },
    ];
  },
});
