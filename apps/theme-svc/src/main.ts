/**
 * theme-svc (seed worker-theme): CONCURRENCY messages × THEME_PARALLEL_SIZE
 * LLM calls each, label map cached in Redis; backs up LEARNING when idle.
 */
import { env } from '@voc/config';
import { handleLearning, handleTheme, pipelineDepsFrom, pipelineEnv } from '@voc/pipeline';
import { runWorker } from '@voc/worker';

runWorker({
  name: 'theme-svc',
  env: { ...pipelineEnv, THEME_PARALLEL_SIZE: env.int(50, 1, 1000), LEARNING_BACKUP: env.bool(true) },
  llm: { priority: 'normal' },
  consumers: (deps, cfg) => {
    const p = pipelineDepsFrom(deps, cfg);
    return [
      {
        queue: 'THEME',
        handler: async (job, ctx) => void (await handleTheme(p, job, ctx, cfg.THEME_PARALLEL_SIZE)),
        ...(cfg.LEARNING_BACKUP ? { backup: { queue: 'LEARNING', handler: async (job, ctx) => void (await handleLearning(p, job, ctx)) } } : {}),
      },
    ];
  },
});
