/**
 * insight-svc (seed worker-insight): CONCURRENCY messages × INSIGHT_PARALLEL_SIZE
 * LLM calls each; backs up the LEARNING queue when its own is empty.
 */
import { env } from '@voc/config';
import { handleInsight, handleLearning, pipelineDepsFrom, pipelineEnv } from '@voc/pipeline';
import { runWorker } from '@voc/worker';

runWorker({
  name: 'insight-svc',
  env: { ...pipelineEnv, INSIGHT_PARALLEL_SIZE: env.int(40, 1, 1000), LEARNING_BACKUP: env.bool(true) },
  llm: { priority: 'normal' },
  consumers: (deps, cfg) => {
    const p = pipelineDepsFrom(deps, cfg);
    return [
      {
        queue: 'INSIGHT',
        handler: async (job, ctx) => void (await handleInsight(p, job, ctx, cfg.INSIGHT_PARALLEL_SIZE)),
        ...(cfg.LEARNING_BACKUP ? { backup: { queue: 'LEARNING', handler: async (job, ctx) => void (await handleLearning(p, job, ctx)) } } : {}),
      },
    ];
  },
});
