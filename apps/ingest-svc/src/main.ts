/**
 * ingest-svc (seed worker-base): stores uploads in bulk and hands the work
 * over; never calls the LLM. Also runs the sweeper (the seeds' beat tasks)
 * and the alarms that learn a small product once its uploads go quiet.
 */
import { dependencyOf, handleIngest, LearningAlarms, pipelineDepsFrom, SERVICE_SETTINGS, Sweeper } from '@voc/pipeline';
import { classifierConfigFromEnv } from '@voc/review-classifier';
import { runWorker } from '@voc/worker';

// One set of alarms per process: the INGEST handler sets them, shutdown clears them.
let alarms: LearningAlarms | undefined;
const alarmsOf = (p: ConstructorParameters<typeof LearningAlarms>[0]) => (alarms ??= new LearningAlarms(p));

runWorker({
  name: 'ingest-svc',
  // Outages of PostgreSQL, NATS, Redis or the LLM hold messages instead of spending their deliveries.
  outages: dependencyOf,
  env: SERVICE_SETTINGS['ingest-svc'],
  consumers: (deps, cfg) => {
    const classifier = classifierConfigFromEnv();
    const p = pipelineDepsFrom(deps, cfg);
    const a = alarmsOf(p);
    return [{ queue: 'INGEST', handler: async (job) => void (await handleIngest(p, job, classifier, a)) }];
  },
  tasks: (deps, cfg) => [
    alarmsOf(pipelineDepsFrom(deps, cfg)),
    ...(cfg.SWEEPER_ENABLED
      ? [
          new Sweeper(
            { ...pipelineDepsFrom(deps, cfg), redis: deps.redis, jsm: deps.nats.jsm },
            { intervalMs: cfg.SWEEP_INTERVAL_MS, staleMs: cfg.SWEEP_STALE_MS, hardStaleMs: cfg.SWEEP_HARD_STALE_MS },
            deps.ctx.registry,
          ),
        ]
      : []),
  ],
});
