/**
 * insight-svc (seed worker-insight): up to CONCURRENCY messages × INSIGHT_PARALLEL_SIZE
 * LLM calls each (caps: the process's call slots size themselves below them); backs up the LEARNING queue when its own is empty.
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
        // A chunk fills up to PARALLEL_SIZE call slots by itself: CONCURRENCY chunks are held, not one per slot.
        admitBySlots: false,
        ...learningBackup(p, cfg.LEARNING_BACKUP),
      },
    ];
  },
});
