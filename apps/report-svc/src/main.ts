/** report-svc (seed worker-base): reports assembled from PostgreSQL alone; no LLM. */
import { handleReport, pipelineDepsFrom, pipelineEnv } from '@voc/pipeline';
import { runWorker } from '@voc/worker';

runWorker({
  name: 'report-svc',
  env: pipelineEnv,
  consumers: (deps, cfg) => {
    const p = pipelineDepsFrom(deps, cfg);
    return [{ queue: 'REPORT', handler: async (job, ctx) => void (await handleReport(p, job, ctx)) }];
  },
});
