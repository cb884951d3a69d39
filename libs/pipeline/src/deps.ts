import type Redis from 'ioredis';
import type { JetStreamClient } from 'nats';
import type { PrismaClient } from '@voc/db';
import type { LlmClient } from '@voc/llm';
import type { Logger } from '@voc/service-kit';
import type { PipelineSettings } from './settings';

/** What the stage handlers need: storage, the queues, and (for LLM stages) the model. */
export interface PipelineDeps {
  db: PrismaClient;
  js: JetStreamClient;
  log: Logger;
  settings: PipelineSettings;
  redis?: Redis;
  llm?: LlmClient;
}

export function needLlm(deps: PipelineDeps, stage: string): LlmClient {
  if (!deps.llm) throw new Error(`${stage}: no LLM client configured`);
  return deps.llm;
}

export function needRedis(deps: PipelineDeps, stage: string): Redis {
  if (!deps.redis) throw new Error(`${stage}: no Redis client configured`);
  return deps.redis;
}

/** PipelineDeps from a worker's connections (structurally, so this lib needs no worker import). */
export function pipelineDepsFrom(
  w: { ctx: { log: Logger }; nats: { js: JetStreamClient }; db: PrismaClient; redis?: Redis; llm?: LlmClient },
  settings: PipelineSettings,
): PipelineDeps {
  return { db: w.db, js: w.nats.js, log: w.ctx.log, settings, redis: w.redis, llm: w.llm };
}
