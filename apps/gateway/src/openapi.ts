/**
 * The OpenAPI 3.1 description of the gateway (served at /openapi.json). The
 * upload's request schemas are generated from the zod schemas that validate
 * it, so the document cannot drift from what the gateway accepts; response
 * schemas mirror the read models of @voc/pipeline and the routes.
 */
import { z } from 'zod';
import { REVIEW_PAGE } from './routes/products';
import { LIMITS, reviewSchema, uploadSchema } from './validation';

type Schema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description: string) => ({ description, content: { 'application/json': { schema } } });
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });

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
          code: { type: 'string', description: 'Stable machine-readable code, e.g. invalid_reviews, unauthorized, queue_unavailable' },
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
  LearningAccepted: { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string', format: 'uuid' } } },
  ReportAccepted: { type: 'object', required: ['reportId'], properties: { reportId: { type: 'string', format: 'uuid' } } },
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
      grantedLastSecond: int,
      recentRps: { type: 'number', description: 'Grants per second over the last 10 s' },
      pausedUntil: nullable({ type: 'string', format: 'date-time' }),
      mode: { enum: ['redis', 'degraded'] },
    },
  },
  Queues: {
    type: 'object',
    properties: {
      streams: { type: 'object', additionalProperties: ref('StreamStats') },
      dlq: { type: 'object', properties: { total: int } },
      limiter: nullable(ref('LimiterStats')),
      limiters: { type: 'array', items: ref('LimiterStats') },
      generatedAt: { type: 'string', format: 'date-time' },
    },
  },
};

const common = {
  401: errorResponse('Missing or invalid API key'),
  503: errorResponse('NATS or PostgreSQL unavailable (Retry-After says when to retry); or the instance is shutting down'),
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
        'Every /v1 route needs `Authorization: Bearer <key>`. Errors are `{ error: { code, message, details } }`.',
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
            202: json(ref('UploadAccepted'), 'Accepted: every part is stored in the INGEST queue'),
            400: errorResponse('Invalid ASIN, JSON or reviews (details list each index and field)'),
            ...common,
            413: errorResponse('Request body too large'),
            415: errorResponse('Content-Type is not application/json'),
          },
        },
        get: {
          operationId: 'listReviews',
          summary: 'Reviews of a product with their translation, insights and themes (paged)',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: REVIEW_PAGE.maxLimit, default: REVIEW_PAGE.defaultLimit } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' },
          ],
          responses: {
            200: json(ref('ReviewPage'), 'One page'),
            400: errorResponse('Bad ASIN, limit or cursor'),
            404: errorResponse('Unknown product'),
            ...common,
          },
        },
      },
      '/v1/products/{asin}': {
        parameters: [asinParam],
        get: {
          operationId: 'getProduct',
          summary: 'Progress of a product: review counts per stage, learned dimensions and 5W labels',
          responses: { 200: json(ref('ProductStatus'), 'The product'), 400: errorResponse('Bad ASIN'), 404: errorResponse('Unknown product'), ...common },
        },
      },
      '/v1/products/{asin}/learn': {
        parameters: [asinParam],
        post: {
          operationId: 'learnProduct',
          summary: 'Queue (re)learning of the product’s dimensions and 5W labels (VIP lane)',
          responses: {
            202: json(ref('LearningAccepted'), 'Queued'),
            400: errorResponse('Bad ASIN'),
            404: errorResponse('Unknown product'),
            409: errorResponse('Learning cannot be queued in the product’s current state'),
            ...common,
          },
        },
      },
      '/v1/products/{asin}/reports': {
        parameters: [asinParam],
        post: {
          operationId: 'requestReport',
          summary: 'Queue a report of the product',
          responses: {
            202: { ...json(ref('ReportAccepted'), 'Queued; poll GET /v1/reports/{id}'), headers: { Location: { schema: str } } },
            400: errorResponse('Bad ASIN'),
            404: errorResponse('Unknown product'),
            ...common,
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
                'text/html': { schema: { type: 'string' }, description: 'Rendered report (only when ready)' },
              },
            },
            400: errorResponse('Not a UUID'),
            404: errorResponse('Unknown report'),
            ...common,
          },
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
          responses: { 200: json(ref('UsageReport'), 'Usage'), 400: errorResponse('Bad query'), ...common },
        },
      },
      '/healthz': { get: { ...open, operationId: 'healthz', summary: 'Liveness', responses: { 200: json({ type: 'object' }, 'Alive') } } },
      '/readyz': {
        get: {
          ...open,
          operationId: 'readyz',
          summary: 'Readiness: NATS, Redis and PostgreSQL reachable',
          responses: { 200: json({ type: 'object' }, 'Ready'), 503: json({ type: 'object' }, 'Not ready, or shutting down') },
        },
      },
      '/metrics': {
        get: { ...open, operationId: 'metrics', summary: 'Prometheus metrics', responses: { 200: { description: 'Text exposition format', content: { 'text/plain': { schema: str } } } } },
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
