/**
 * The OpenAPI 3.1 description of the gateway (served at /openapi.json). The
 * upload's request schemas are generated from the zod schemas that validate
 * it, so the document cannot drift from what the gateway accepts; response
 * schemas mirror the read models of @voc/pipeline and the routes.
 */
import { z } from 'zod';
import { REVIEW_LIST_STATUSES } from '@voc/pipeline';
import { ERROR_CODE_NAMES, ERROR_CODES } from './errors';
import { REVIEW_PAGE } from './routes/products';
import { LIMITS, reviewSchema, uploadSchema } from './validation';

type Schema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description: string) => ({ description, content: { 'application/json': { schema } } });
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } } };

function fromZod(schema: z.ZodType): Schema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Schema;
  return rest;
}

function uploadRequestSchema(): Schema {
  const upload = fromZod(uploadSchema) as { properties: Record<string, Schema> };
  // The route validates reviews one by one (to report every bad index); the document shows their schema.
  upload.properties.reviews = { ...upload.properties.reviews, items: ref('ReviewInput') };
  return upload;
}

const asinParam = {
  name: 'asin',
  in: 'path',
  required: true,
  description: 'Amazon ASIN: 10 upper-case letters or digits',
  schema: { type: 'string', pattern: '^[A-Z0-9]{10}$' },
};

const counts = { type: 'object', properties: Object.fromEntries(['pending', 'queued', 'done', 'failed'].map((k) => [k, { type: 'integer' }])) };
const nullable = (schema: Schema) => ({ anyOf: [schema, { type: 'null' }] });
const str = { type: 'string' };
const int = { type: 'integer' };

const schemas: Record<string, Schema> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: {
          code: {
            type: 'string',
            enum: ERROR_CODE_NAMES,
            description: `Stable machine-readable code:\n${ERROR_CODE_NAMES.map((c) => `- \`${c}\` (${ERROR_CODES[c].status}): ${ERROR_CODES[c].description}`).join('\n')}`,
          },
          message: str,
          details: {
            type: 'array',
            items: {
              type: 'object',
              required: ['message'],
              properties: {
                index: { type: 'integer', description: 'Index of the offending review in `reviews`' },
                field: { type: 'string', description: 'Path of the offending field, e.g. rating or product.bulletPoints.2' },
                message: str,
              },
            },
          },
        },
      },
    },
  },
  ReviewInput: fromZod(reviewSchema),
  Upload: uploadRequestSchema(),
  UploadAccepted: {
    type: 'object',
    required: ['uploadId', 'accepted', 'parts', 'duplicateParts'],
    properties: {
      uploadId: { type: 'string', format: 'uuid' },
      accepted: { type: 'integer', description: 'Reviews accepted (the whole upload)' },
      parts: { type: 'integer', description: 'INGEST messages the upload was split into' },
      duplicateParts: { type: 'integer', description: 'Parts JetStream already held (identical content re-sent within its duplicate window); not stored twice' },
    },
  },
  ProductStatus: {
    type: 'object',
    required: ['asin', 'learned', 'reviews', 'dimensions', 'labels'],
    properties: {
      asin: str,
      title: nullable(str),
      learned: { type: 'boolean' },
      learningState: { enum: ['pending', 'queued', 'learning', 'learned', 'failed'] },
      learningVersion: int,
      reviews: {
        type: 'object',
        properties: { total: int, translated: int, insights: int, themes: int, failed: int },
      },
      stages: { type: 'object', properties: { translate: counts, insight: counts, theme: counts } },
      dimensions: { type: 'array', items: { type: 'object', properties: { name: str, description: str } } },
      labels: {
        type: 'array',
        items: { type: 'object', properties: { category: { enum: ['who', 'when', 'where', 'what', 'why'] }, name: str, description: str } },
      },
      bulletPoints: { type: 'array', items: str },
      bulletPointsZh: nullable({ type: 'array', items: str }),
      usage: ref('LlmUsage'),
    },
  },
  LlmUsage: {
    type: 'object',
    description: 'LLM calls, tokens (prompt, completion, cached, counted against the limit: prompt + max_tokens) and cost (CNY, from LLM_PRICES); byStage per prompt kind',
    properties: {
      ...Object.fromEntries(['calls', 'promptTokens', 'completionTokens', 'cachedTokens', 'limitTokens', 'failures'].map((k) => [k, int])),
      cost: { type: 'number' },
      byStage: { type: 'object', additionalProperties: { type: 'object' } },
    },
  },
  UsageReport: {
    type: 'object',
    properties: {
      groupBy: { type: 'array', items: { enum: ['day', 'model', 'stage', 'product', 'service'] } },
      filter: { type: 'object' },
      currency: str,
      totals: { type: 'object' },
      rows: { type: 'array', items: { type: 'object', description: 'The group keys (day, model, stage, product, service) and the sums of LlmUsage' } },
      generatedAt: { type: 'string', format: 'date-time' },
    },
  },
  ReviewView: {
    type: 'object',
    properties: {
      reviewId: str,
      rating: int,
      title: nullable(str),
      body: str,
      author: nullable(str),
      date: nullable(str),
      category: { enum: ['vip', 'standard', 'short'] },
      translation: { type: 'object', properties: { body: nullable(str), status: str } },
      insights: {
        type: 'array',
        items: { type: 'object', properties: { dimension: str, sentiment: { enum: ['positive', 'negative', 'neutral', 'mixed'] }, quote: str, analysis: str } },
      },
      themes: { type: 'array', items: { type: 'object', properties: { category: str, label: str, quote: str } } },
      status: { type: 'object', properties: { translate: str, insight: str, theme: str } },
    },
  },
  ReviewPage: {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: ref('ReviewView') },
      nextCursor: { ...nullable(str), description: 'Pass as `cursor` for the next page; null on the last page' },
    },
  },
  LearningAccepted: {
    type: 'object',
    required: ['jobId', 'existing'],
    properties: {
      jobId: { type: 'string', format: 'uuid' },
      existing: { type: 'boolean', description: 'True: the product’s queued or running job, not a new one' },
    },
  },
  ReportAccepted: {
    type: 'object',
    required: ['reportId', 'existing'],
    properties: {
      reportId: { type: 'string', format: 'uuid' },
      existing: { type: 'boolean', description: 'True: the last report of the product’s unchanged data, not a new one' },
    },
  },
  UploadStatus: {
    type: 'object',
    required: ['uploadId', 'asin', 'keyId', 'reviews', 'parts', 'stored', 'duplicates', 'rejected', 'stages', 'complete', 'webhook'],
    properties: {
      uploadId: { type: 'string', format: 'uuid' },
      asin: str,
      keyId: nullable(str),
      createdAt: nullable({ type: 'string', format: 'date-time' }),
      reviews: { ...int, description: 'Reviews in the upload' },
      parts: {
        type: 'object',
        properties: {
          total: nullable(int),
          duplicate: { ...int, description: 'Parts JetStream already held (an identical re-send): their reviews belong to the first upload' },
          stored: { ...int, description: 'Parts ingest-svc has stored' },
        },
      },
      stored: { ...int, description: 'Reviews stored anew by this upload' },
      duplicates: { ...int, description: 'Reviews already stored before (same asin + reviewId)' },
      rejected: { ...int, description: 'Reviews ingest-svc refused' },
      stages: {
        type: 'object',
        description: 'This upload’s stored reviews per stage and status',
        properties: Object.fromEntries(['translate', 'insight', 'theme'].map((k) => [k, { type: 'object', additionalProperties: int }])),
      },
      complete: { type: 'boolean', description: 'Every part stored and every stored review through every stage' },
      webhook: nullable({
        type: 'object',
        properties: { state: { enum: ['none', 'pending', 'delivered', 'failed'] }, attempts: int, lastError: nullable(str) },
      }),
    },
  },
  KeyInfo: {
    type: 'object',
    required: ['keyId', 'limits', 'usage', 'webhook'],
    properties: {
      keyId: str,
      limits: {
        type: 'object',
        properties: {
          requestsPerSecond: { type: 'number' },
          burst: int,
          reviewsPerDay: nullable(int),
          learnCooldownS: int,
          reportCooldownS: int,
        },
      },
      usage: {
        type: 'object',
        properties: {
          mode: { enum: ['redis', 'degraded'], description: 'degraded: Redis does not answer and the limits are not enforced (fail open)' },
          requestsAvailable: nullable(int),
          reviewsToday: nullable(int),
          day: { type: 'string', format: 'date' },
          dayResetsAt: { type: 'string', format: 'date-time' },
        },
      },
      webhook: nullable(ref('Webhook')),
    },
  },
  Webhook: { type: 'object', required: ['url', 'updatedAt'], properties: { url: str, updatedAt: { type: 'string', format: 'date-time' } } },
  WebhookInput: {
    type: 'object',
    required: ['url'],
    properties: { url: { type: 'string', maxLength: 2048, description: 'Absolute http(s) URL, no credentials; called with POST when an upload of this key completes' } },
  },
  Readiness: { type: 'object', required: ['ready'], properties: { ready: { type: 'boolean' }, reason: str, checks: { type: 'array', items: { type: 'object' } } } },
  Report: {
    type: 'object',
    required: ['id', 'asin', 'status'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      asin: str,
      status: { enum: ['pending', 'ready', 'failed'] },
      createdAt: { type: 'string', format: 'date-time' },
      readyAt: nullable({ type: 'string', format: 'date-time' }),
      report: { type: 'object', description: 'The report content (present when ready): reviews, coverage, dimensions with sentiment and quotes, 5W personas' },
      error: { type: 'string', description: 'Why it failed (present when failed)' },
    },
  },
  StreamStats: {
    type: 'object',
    properties: {
      stream: str,
      subject: str,
      exists: { type: 'boolean' },
      messages: { ...int, description: 'Messages stored in the stream' },
      pending: { ...int, description: 'Waiting to be delivered' },
      inFlight: { ...int, description: 'Delivered, not yet acknowledged' },
      redelivered: { ...int, description: 'Delivered more than once and still unacknowledged' },
      stranded: { ...int, description: 'Out of deliveries but not moved to the DLQ' },
      dlq: { ...int, description: 'Dead letters of this queue' },
      consumers: {
        type: 'array',
        items: { type: 'object', properties: { name: str, pending: int, inFlight: int, redelivered: int, waitingPulls: int } },
      },
    },
  },
  LimiterStats: {
    type: 'object',
    properties: {
      key: { type: 'string', description: 'Limiter key (the model)' },
      limit: { type: 'number', description: 'Requests per second allowed fleet-wide' },
      tokensPerMinute: { type: 'number', description: 'Tokens per minute allowed fleet-wide (0: requests only)' },
      grantedLastSecond: int,
      tokensLastSecond: int,
      recentRps: { type: 'number', description: 'Grants per second over the last 10 s' },
      recentTpm: { type: 'number', description: 'Tokens per minute over the last 10 s' },
      pausedUntil: nullable({ type: 'string', format: 'date-time' }),
      halted: nullable({
        type: 'object',
        description: 'LLM work halted fleet-wide (account in arrears, quota exhausted) until a probe call succeeds',
        properties: { reason: { type: 'string' }, since: { type: 'string', format: 'date-time' }, nextProbe: { type: 'string', format: 'date-time' } },
      }),
      ramp: nullable({
        type: 'object',
        description: 'The fleet runs below its limits: slow start, or after a 429',
        properties: { requestsFactor: { type: 'number' }, tokensFactor: { type: 'number' }, fullAt: nullable({ type: 'string', format: 'date-time' }) },
      }),
      lanes: {
        type: 'array',
        items: { type: 'object', properties: { lane: { type: 'string' }, minShare: { type: 'number' }, share: { type: 'number' }, wanting: { type: 'boolean' } } },
      },
      mode: { enum: ['redis', 'degraded'] },
    },
  },
  Queues: {
    type: 'object',
    properties: {
      alerts: {
        type: 'array',
        description: 'What an operator must act on: llm_halted, limiter_degraded',
        items: { type: 'object', properties: { code: { type: 'string' }, key: { type: 'string' }, message: { type: 'string' }, since: nullable({ type: 'string', format: 'date-time' }) } },
      },
      streams: { type: 'object', additionalProperties: ref('StreamStats') },
      dlq: { type: 'object', properties: { total: int } },
      limiter: nullable(ref('LimiterStats')),
      limiters: { type: 'array', items: ref('LimiterStats') },
      generatedAt: { type: 'string', format: 'date-time' },
    },
  },
};

/** What any authenticated operation may answer besides its own outcomes (a body is read for every request that sends one). */
const common = {
  400: errorResponse('Malformed request: path, query, JSON body (invalid_json, invalid_encoding, json_too_deep) or the operation’s own input'),
  401: errorResponse('Missing or invalid API key'),
  413: errorResponse('Request body over the body limit; the message says how to split it'),
  415: errorResponse('A request body that is not Content-Type: application/json'),
  429: { ...errorResponse('A per-key limit: rate_limited, quota_exceeded or cooldown'), headers: retryAfter },
  503: { ...errorResponse('NATS or PostgreSQL unavailable, too many bodies being read, or the instance is shutting down'), headers: retryAfter },
};

const open = { security: [] };

export function openApiDocument(): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'VOC pipeline gateway',
      version: '1.0.0',
      description:
        'Uploads Amazon reviews for translation and analysis, and reads progress, reviews, reports and queue depths. ' +
        'Every /v1 route needs `Authorization: Bearer <key>`. Errors are `{ error: { code, message, details } }` with a code of the `Error` schema’s enum. ' +
        'Per-key limits answer 429 with Retry-After.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    paths: {
      '/v1/products/{asin}/reviews': {
        parameters: [asinParam],
        post: {
          operationId: 'uploadReviews',
          summary: `Upload up to ${LIMITS.reviewsPerUpload} reviews of a product`,
          description:
            'Validates everything first: any invalid review → 400 listing each bad index and field, nothing enqueued. ' +
            'Otherwise the upload is published to INGEST (split into parts when large) and 202 is returned once JetStream acknowledged every part. ' +
            'Re-sending the same upload is safe: identical parts are dropped by JetStream, and reviews are unique per (asin, reviewId) in the database.',
          requestBody: { required: true, content: { 'application/json': { schema: ref('Upload') } } },
          responses: {
            202: { ...json(ref('UploadAccepted'), 'Accepted: every part is stored in the INGEST queue'), headers: { Location: { description: 'GET it for the upload’s progress', schema: str } } },
            ...common,
            400: errorResponse('Invalid ASIN, JSON or reviews (details list each index and field)'),
          },
        },
        get: {
          operationId: 'listReviews',
          summary: 'Reviews of a product with their translation, insights and themes (paged)',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: REVIEW_PAGE.maxLimit, default: REVIEW_PAGE.defaultLimit } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' },
            {
              name: 'status',
              in: 'query',
              schema: { enum: [...REVIEW_LIST_STATUSES] },
              description: 'Only reviews done in every stage, still in progress, failed in a stage, or rejected by the database (with the reason)',
            },
          ],
          responses: {
            200: json(ref('ReviewPage'), 'One page'),
            ...common,
            400: errorResponse('Bad ASIN, limit, cursor or status'),
            404: errorResponse('Unknown product'),
          },
        },
      },
      '/v1/products/{asin}': {
        parameters: [asinParam],
        get: {
          operationId: 'getProduct',
          summary: 'Progress of a product: review counts per stage, learned dimensions and 5W labels',
          responses: { 200: json(ref('ProductStatus'), 'The product'), ...common, 400: errorResponse('Bad ASIN'), 404: errorResponse('Unknown product') },
        },
      },
      '/v1/products/{asin}/learn': {
        parameters: [asinParam],
        post: {
          operationId: 'learnProduct',
          summary: 'Queue (re)learning of the product’s dimensions and 5W labels (VIP lane)',
          description:
            'Idempotent: while a job of the product is queued or running, that job is returned (`existing: true`). ' +
            'A new job is subject to the key’s cooldown per product (429 `cooldown`).',
          responses: {
            202: json(ref('LearningAccepted'), 'Queued, or the job already queued or running'),
            ...common,
            400: errorResponse('Bad ASIN'),
            404: errorResponse('Unknown product'),
            409: errorResponse('Learning cannot be queued in the product’s current state'),
          },
        },
      },
      '/v1/products/{asin}/reports': {
        parameters: [asinParam],
        post: {
          operationId: 'requestReport',
          summary: 'Queue a report of the product',
          description:
            'While the product’s data is unchanged since its last pending or ready report, that report is returned (`existing: true`). ' +
            'A new report is subject to the key’s cooldown per product (429 `cooldown`).',
          responses: {
            202: { ...json(ref('ReportAccepted'), 'Queued (or the unchanged last one); poll GET /v1/reports/{id}'), headers: { Location: { schema: str } } },
            ...common,
            400: errorResponse('Bad ASIN'),
            404: errorResponse('Unknown product'),
          },
        },
      },
      '/v1/reports/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        get: {
          operationId: 'getReport',
          summary: 'A report: status, and its content once ready (HTML with Accept: text/html)',
          responses: {
            200: {
              description: 'The report',
              content: {
                'application/json': { schema: ref('Report') },
                // A media type object has no description (OpenAPI 3.1): it goes on the schema.
                'text/html': { schema: { type: 'string', description: 'Rendered report (only when ready)' } },
              },
            },
            ...common,
            400: errorResponse('Not a UUID'),
            404: errorResponse('Unknown report'),
          },
        },
      },
      '/v1/uploads/{uploadId}': {
        parameters: [{ name: 'uploadId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'uploadId of a 202 from POST /v1/products/{asin}/reviews' }],
        get: {
          operationId: 'getUpload',
          summary: 'One upload’s progress: stored, duplicates, rejected, its reviews per stage, complete, webhook state',
          responses: { 200: json(ref('UploadStatus'), 'The upload'), ...common, 400: errorResponse('Not a UUID'), 404: errorResponse('Unknown upload, or another key’s') },
        },
      },
      '/v1/keys/me': {
        get: {
          operationId: 'getKey',
          summary: 'This key: id, limits, usage (requests available now, reviews today) and webhook',
          responses: { 200: json(ref('KeyInfo'), 'The key'), ...common },
        },
      },
      '/v1/keys/me/webhook': {
        put: {
          operationId: 'setWebhook',
          summary: 'Set this key’s upload-completion webhook (POSTed, signed, when an upload of this key completes)',
          requestBody: { required: true, content: { 'application/json': { schema: ref('WebhookInput') } } },
          responses: { 200: json(ref('Webhook'), 'Set'), ...common, 400: errorResponse('invalid_webhook: not an absolute http(s) URL the gateway may call') },
        },
        delete: {
          operationId: 'deleteWebhook',
          summary: 'Remove this key’s webhook',
          responses: { 204: { description: 'Removed' }, ...common, 404: errorResponse('The key has no webhook') },
        },
      },
      '/v1/queues': {
        get: {
          operationId: 'getQueues',
          summary: 'Per stream: pending, in flight, redelivered, dead letters, consumers; and the LLM rate limiter',
          responses: { 200: json(ref('Queues'), 'Queue depths'), ...common },
        },
      },
      '/v1/usage': {
        get: {
          operationId: 'getUsage',
          summary: 'LLM usage (calls, tokens, cost) summed by day, model, stage, product or service',
          parameters: [
            { name: 'groupBy', in: 'query', schema: str, description: 'Comma-separated subset of day, model, stage, product, service (default day,model,stage)' },
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date' } },
            { name: 'to', in: 'query', schema: { type: 'string', format: 'date' } },
            ...['asin', 'model', 'stage', 'service'].map((name) => ({ name, in: 'query', schema: str })),
          ],
          responses: { 200: json(ref('UsageReport'), 'Usage'), ...common },
        },
      },
      '/healthz': { get: { ...open, operationId: 'healthz', summary: 'Liveness', responses: { 200: json({ type: 'object' }, 'Alive') } } },
      '/readyz': {
        get: {
          ...open,
          operationId: 'readyz',
          summary: 'Readiness: NATS, Redis and PostgreSQL reachable',
          responses: { 200: json(ref('Readiness'), 'Ready'), 503: json(ref('Readiness'), 'Not ready, or shutting down') },
        },
      },
      '/readyz/uploads': {
        get: {
          ...open,
          operationId: 'readyzUploads',
          summary: 'Can this instance accept uploads? (JetStream answers; uploads need neither PostgreSQL nor Redis) — for load balancers',
          responses: { 200: json(ref('Readiness'), 'Accepting uploads'), 503: json(ref('Readiness'), 'Not accepting uploads') },
        },
      },
      '/metrics': {
        // Not on the API port: the metrics port (GATEWAY_METRICS_PORT) of the same host.
        servers: [{ url: 'http://{host}:{port}', variables: { host: { default: 'localhost' }, port: { default: '9100' } }, description: 'The metrics port, GATEWAY_METRICS_PORT' }],
        get: {
          ...open,
          operationId: 'metrics',
          summary: 'Prometheus metrics, on the metrics port (GATEWAY_METRICS_PORT, default 9100), not the API port',
          responses: { 200: { description: 'Text exposition format', content: { 'text/plain': { schema: str } } } },
        },
      },
      '/openapi.json': { get: { ...open, operationId: 'openapi', summary: 'This document', responses: { 200: json({ type: 'object' }, 'OpenAPI 3.1') } } },
      '/docs': {
        get: { ...open, operationId: 'docs', summary: 'A page listing the endpoints, linking to /openapi.json', responses: { 200: { description: 'HTML', content: { 'text/html': { schema: str } } } } },
      },
    },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'One of the keys in GATEWAY_API_KEYS' } },
      schemas,
    },
  };
}
