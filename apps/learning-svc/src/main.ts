/** learning-svc (seed worker-vip): the VIP lane, dimensions and 5W labels per product. */
import { handleLearning, pipelineDepsFrom, SERVICE_SETTINGS } from '@voc/pipeline';
import { runWorker } from '@voc/worker';

runWorker({
  name: 'learning-svc',
  env: SERVICE_SETTINGS['learning-svc'],
  llm: { priority: 'vip' },
  consumers: (deps, cfg) => {
    const p = pipelineDepsFrom(deps, cfg);
    return [{ queue: 'LEARNING', handler: async (job, ctx) => void (await handleLearning(p, job, ctx)) }];
  },
});
