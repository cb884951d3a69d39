/**
 * theme-svc (seed worker-theme): up to CONCURRENCY messages × THEME_PARALLEL_SIZE
 * LLM calls each (caps: the process's call slots size themselves below them), label map cached in Redis; backs up LEARNING when idle.
 */
import { dependencyOf, handleTheme, learningBackup, pipelineDepsFrom, SERVICE_SETTINGS } from '@voc/pipeline';
import { runWorker } from '@voc/worker';

runWorker({
  name: 'theme-svc',
  // Outages of PostgreSQL, NATS, Redis or the LLM hold messages instead of spending their deliveries.
  outages: dependencyOf,
  env: SERVICE_SETTINGS['theme-svc'],
  llm: { priority: 'normal' },
  consumers: (deps, cfg) => {
    const p = pipelineDepsFrom(deps, cfg);
    return [
      {
        queue: 'THEME',
        handler: async (job, ctx) => void (await handleTheme(p, job, ctx, cfg.THEME_PARALLEL_SIZE)),
        // A chunk fills up to PARALLEL_SIZE call slots by itself: CONCURRENCY chunks are held, not one per slot.
        admitBySlots: false,
        ...learningBackup(p, cfg.LEARNING_BACKUP),
      },
    ];
  },
});
