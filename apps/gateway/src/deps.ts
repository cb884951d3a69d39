import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { PrismaClient } from '@voc/db';
import type { PipelineSettings } from '@voc/pipeline';
import type { LimiterStats } from '@voc/rate-limiter';
import type { Logger } from '@voc/service-kit';
import type { PartLimits } from './ingest/parts';
import type { UploadRecords } from './ingest/upload-records';
import type { ApiKey } from './keys/api-keys';
import type { KeyLimits } from './keys/key-limits';
import type { GatewayMetrics } from './metrics';
import type { BodyLimits } from './middleware/json-body';
import type { NatsLink } from './nats-link';
import type { KeyWebhooks } from './webhooks/key-webhooks';

/** Where GET /v1/queues reads the fleet's LLM budget from. */
export interface LimiterStatsSource {
  /** The key of LLM_MODEL, shown as `limiter`. */
  primaryKey: string;
  /** Every configured key. */
  stats(): Promise<LimiterStats[]>;
}

/** Everything the HTTP layer needs; built by service.ts from real connections (tests do the same). */
export interface GatewayDeps {
  log: Logger;
  registry: Registry;
  metrics: GatewayMetrics;
  db: PrismaClient;
  js: JetStreamClient;
  jsm: JetStreamManager;
  nats: NatsLink;
  /** When set, GET /v1/queues also gathers every process's runner states over it (voc.runners.status). */
  nc?: NatsConnection;
  limiters: LimiterStatsSource;
  keys: readonly ApiKey[];
  keyLimits: KeyLimits;
  webhooks: KeyWebhooks;
  uploadRecords: UploadRecords;
  pipelineSettings: PipelineSettings;
  /** True once shutdown began: new requests get 503. */
  isStopping(): boolean;
  settings: GatewaySettings;
}

export interface GatewaySettings {
  body: BodyLimits;
  partLimits: PartLimits;
  publishTimeoutMs: number;
  retryAfterS: number;
  webhookAllowPrivate: boolean;
}
