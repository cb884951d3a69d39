/**
 * The gateway against thousands of generated and mutated requests, driven by
 * its own OpenAPI document: every documented operation, with path, query,
 * header and body values from valid to hostile (broken escapes, huge numbers,
 * NUL and lone surrogates, invalid UTF-8, deep nesting, oversize bodies, wrong
 * content types, bad keys). Every answer must be a status the document lists
 * for the operation, never a 5xx, with a body valid against the document's
 * schema (ajv); and a request answered 4xx must not have enqueued anything.
 * FUZZ_RUNS (2,000) and FUZZ_SEED change the run (fast-check prints the seed of a failure).
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { QUEUES } from '@voc/messaging';
import { API_KEY, startHarness, type Harness } from './support';

jest.setTimeout(300_000);

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const KNOWN = 'B00FUZZ001';
const BODY_LIMIT = 256 * 1024;
/** Work a request could enqueue: every message published to these queues' subjects is counted. */
const WATCHED = ['INGEST', 'LEARNING', 'REPORT'] as const;
let published = 0;

type Schema = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string }[];
  hasBody: boolean;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

let h: Harness;
let ops: Operation[];
let ajv: Ajv2020;
let reviewId = 0;

beforeAll(async () => {
  h = await startHarness({
    GATEWAY_BODY_LIMIT: String(BODY_LIMIT),
    GATEWAY_KEY_RPS: '100000',
    GATEWAY_LEARN_COOLDOWN_S: '1',
    GATEWAY_REPORT_COOLDOWN_S: '1',
  });
  await h.db.product.create({ data: { asin: KNOWN, title: 'Fuzz', learningState: 'learned', learningVersion: 1 } });
  for (let i = 0; i < 3; i++) {
    await h.db.review.create({ data: { asin: KNOWN, reviewId: `F${i}`, rating: 4, body: `seed ${i}`, category: 'short', bodyLength: 6, uploadId: 'seed' } });
  }
  for (const q of WATCHED) h.nc.subscribe(QUEUES[q].subject, { callback: () => void published++ });
  await h.nc.flush();
  const doc = (await (await h.api('/openapi.json', { auth: false })).json()) as { paths: Record<string, Record<string, Schema>>; components: Schema };
  // One schema store: the document's components under the id "doc", every $ref pointed there.
  const text = JSON.stringify(doc).replaceAll('"#/components/', '"doc#/components/');
  const rewritten = JSON.parse(text) as typeof doc;
  ajv = new Ajv2020({ strict: false, allErrors: false });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', components: rewritten.components });
  ops = Object.entries(rewritten.paths)
    // /metrics is served on another port (its own `servers`), /docs is a page.
    .filter(([path]) => path !== '/metrics' && path !== '/docs')
    .flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([m]) => !['parameters', 'servers'].includes(m))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          params: [...((item.parameters as unknown as Operation['params']) ?? []), ...((op.parameters as unknown as Operation['params']) ?? [])],
          hasBody: op.requestBody !== undefined,
          responses: op.responses as Operation['responses'],
        })),
    );
});
afterAll(async () => {
  await h?.stop();
});

// ---- arbitraries -----------------------------------------------------------

const hostileText = fc.constantFrom('', '   ', 'a\u0000b', '\ud800 alone', 'tail \udc00', 'x'.repeat(20_001), '🙂'.repeat(10), '<script>', '\u202e', '%E0%A4%A');
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), hostileText);
const number = fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer(), fc.double(), fc.constantFrom(2 ** 31, 2 ** 53, -1, 1e308, 0));
const anyValue = fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }));

const review = fc.record(
  {
    reviewId: fc.oneof(fc.constant('gen').map(() => `fz${reviewId++}`), fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/), text, anyValue),
    rating: fc.oneof(fc.integer({ min: 1, max: 5 }), number, anyValue),
    body: fc.oneof(fc.string({ minLength: 1, maxLength: 200 }), text, anyValue),
    title: fc.oneof(text, anyValue),
    author: fc.oneof(text, anyValue),
    date: fc.oneof(fc.constantFrom('2024-05-01', '2024-02-30', '2024-05-01T10:00:00Z', 'yesterday', '9999-99-99'), anyValue),
    helpfulVotes: fc.oneof(fc.nat(), number, anyValue),
    verified: fc.oneof(fc.boolean(), anyValue),
  },
  { requiredKeys: [] },
);
const tooMany = Array.from({ length: 1001 }, (_, i) => ({ reviewId: `many${i}`, rating: 5, body: 'x' }));
const upload = fc.record(
  {
    product: fc.oneof(fc.record({ title: fc.oneof(text, anyValue), bulletPoints: fc.oneof(fc.array(text, { maxLength: 4 }), anyValue) }, { requiredKeys: [] }), anyValue),
    reviews: fc.oneof({ weight: 6, arbitrary: fc.array(review, { minLength: 1, maxLength: 6 }) }, fc.constant(tooMany), fc.array(review, { maxLength: 0 }), anyValue),
    extra: anyValue,
  },
  { requiredKeys: ['reviews'] },
);
const webhook = fc.record({ url: fc.oneof(fc.webUrl(), fc.constantFrom('http://127.0.0.1:1/x', 'ftp://x.example/', 'https://u:p@example.com/', 'not a url'), anyValue) }, { requiredKeys: [] });

/** A body as bytes, from valid JSON to hostile. */
const body = (shape: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 8, arbitrary: shape.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    fc.json().map((s) => Buffer.from(s)),
    fc.string({ maxLength: 50 }).map((s) => Buffer.from(s)),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    shape.map((v) => Buffer.concat([Buffer.from(JSON.stringify(v) ?? 'null').subarray(0, 5), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(JSON.stringify(v) ?? '').subarray(5)])),
    fc.integer({ min: 17, max: 5000 }).map((d) => Buffer.from(`{"reviews":${'['.repeat(d)}${']'.repeat(d)}}`)),
    fc.constant(Buffer.from(`{"reviews":[{"reviewId":"big","rating":5,"body":"${'y'.repeat(BODY_LIMIT)}"}]}`)),
    fc.constant(Buffer.alloc(0)),
  );
const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, fc.constantFrom('text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8', undefined));

/** A path segment: a value the route expects, another plausible one, or a hostile one (sometimes left raw, so its escapes reach the router as they are). */
const segment = (name: string) =>
  fc.oneof(
    { weight: 4, arbitrary: name === 'asin' ? fc.constantFrom(KNOWN, 'B00NOSUCH1') : fc.uuid().map((u) => u) },
    fc.stringMatching(/^[A-Z0-9]{10}$/),
    fc.string({ maxLength: 30 }).map((s) => ({ encode: s })),
    fc.string({ unit: 'binary', maxLength: 12 }).map((s) => ({ encode: s })),
    fc.constantFrom('%E0%A4%A', '%', '%ZZ', '%00', '%C0%AF', '%F0%9F%98', 'a'.repeat(300), '%2F..%2F', '%252E%252E'),
  );
const query = fc.record(
  {
    limit: fc.oneof(fc.integer({ min: 1, max: 200 }).map(String), fc.integer().map(String), fc.constantFrom('0', '-1', '201', '1e3', '99999999999999999999', 'abc', '')),
    cursor: fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 80n }).map((n) => Buffer.from(`r:${n}`).toString('base64url')),
      fc.string({ maxLength: 40 }),
      fc.constantFrom(Buffer.from('r:2147483648').toString('base64url'), Buffer.from('r:-1').toString('base64url'), '%%%'),
    ),
  },
  { requiredKeys: [] },
);
const auth = fc.oneof({ weight: 12, arbitrary: fc.constant(`Bearer ${API_KEY}`) }, fc.constantFrom(undefined, 'Bearer ', `Basic ${API_KEY}`, 'Bearer wrong-key', `Bearer ${'k'.repeat(600)}`));

interface FuzzRequest {
  op: number;
  segments: Record<string, unknown>;
  query: Record<string, string>;
  repeatLimit: boolean;
  auth: string | undefined;
  body: Buffer;
  contentType: string | undefined;
}

const request = fc.record({
  op: fc.nat(),
  segments: fc.record({ asin: segment('asin'), id: segment('id'), uploadId: segment('uploadId') }),
  query,
  repeatLimit: fc.boolean(),
  auth,
  body: fc.oneof(body(upload), body(webhook)),
  contentType,
});

/**
 * A segment as it goes on the wire. A URL parser removes `.` and `..` segments (escaped or not) before sending:
 * those are double-escaped; an empty segment would address another path: it is sent as a space.
 */
function encodeSegment(v: unknown): string {
  if (typeof v === 'string') return v;
  const s = (v as { encode: string }).encode;
  try {
    return encodeURIComponent(s).replace(/^\.{1,2}$/, (dots) => '%252E'.repeat(dots.length)) || '%20';
  } catch {
    return '%ED%A0%80'; // a lone surrogate has no UTF-8: its CESU-8 bytes, which no decoder accepts
  }
}

// ---- the property ----------------------------------------------------------

/**
 * Messages published to the watched queues so far. JetStream stores a message
 * before its PubAck, and the gateway answers after the PubAck, so after one
 * flush round trip every message a request caused has reached this subscriber.
 */
async function publishedSoFar(): Promise<number> {
  await h.nc.flush();
  return published;
}

const seen = new Map<string, number>();

async function check(r: FuzzRequest): Promise<void> {
  const op = ops[r.op % ops.length]!;
  let path = op.path;
  for (const p of op.params.filter((x) => x.in === 'path')) path = path.replace(`{${p.name}}`, encodeSegment(r.segments[p.name]));
  const qs = op.params.some((p) => p.in === 'query')
    ? Object.entries(r.query)
        .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
        .concat(r.repeatLimit && r.query.limit !== undefined ? [`limit=${encodeURIComponent(r.query.limit)}`] : [])
        .join('&')
    : '';
  const headers: Record<string, string> = {};
  if (r.auth !== undefined) headers.Authorization = r.auth;
  const sendBody = op.hasBody || (op.method === 'POST' && r.body.length > 0 && r.op % 3 === 0);
  if (sendBody && r.contentType !== undefined) headers['Content-Type'] = r.contentType;
  const before = await publishedSoFar();
  const res = await fetch(`${h.base}${path}${qs ? `?${qs}` : ''}`, { method: op.method, headers, body: sendBody ? new Uint8Array(r.body) : undefined });
  const raw = await res.text();
  const where = `${op.method} ${op.path} as ${op.method} ${path}${qs ? `?${qs.slice(0, 120)}` : ''} → ${res.status} ${raw.slice(0, 300)}`;
  seen.set(`${res.status}`, (seen.get(`${res.status}`) ?? 0) + 1);

  if (res.status >= 500) throw new Error(`5xx: ${where}`);
  const documented = op.responses[String(res.status)];
  if (!documented) throw new Error(`undocumented status: ${where}`);
  const media = documented.content?.['application/json'];
  if (media?.schema) {
    if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) throw new Error(`not JSON: ${where}`);
    const validate = ajv.compile(media.schema);
    if (!validate(JSON.parse(raw))) throw new Error(`answer does not match the document (${ajv.errorsText(validate.errors)}): ${where}`);
  }
  if (res.status >= 400 && (await publishedSoFar()) !== before) throw new Error(`a ${res.status} enqueued something: ${where}`);
}

describe('fuzzing the gateway from its OpenAPI document', () => {
  it(`answers ${RUNS} generated and mutated requests with documented 2xx/4xx only, valid bodies, and no work enqueued by a 4xx`, async () => {
    const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
    await fc.assert(fc.asyncProperty(request, check), { numRuns: RUNS, seed, endOnFailure: true });
    // The run reached the outcomes that matter, not only one kind of answer.
    for (const status of ['200', '202', '400', '401', '404', '413', '415']) expect(seen.get(status) ?? 0).toBeGreaterThan(0);
    expect([...seen.keys()].filter((s) => Number(s) >= 500)).toEqual([]);
    // The watch sees what is enqueued: the accepted uploads were.
    expect(published).toBeGreaterThan(0);
  });
});
