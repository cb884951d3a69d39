/**
 * The bench's HTTP client, in a process of its own (forked by run.ts): the
 * bench process also runs llm-sim, answering hundreds of LLM calls a second,
 * and autocannon timing requests on that same event loop counted llm-sim's
 * stalls as gateway latency. Receives one LoadJob over IPC, answers one
 * LoadOutcome, exits.
 */
import http from 'node:http';
import autocannon from 'autocannon';
import { loadReviewsByProduct, toUpload, type DataReview } from '@voc/e2e';
import { PER_UPLOAD, quantile, serveOneJob, type LoadJob, type LoadOutcome, type UploadsOutcome } from './load-job';

/** Upload bodies of PER_UPLOAD real reviews each, every reviewId unique to this run and step. */
class Bodies {
  private n = 0;
  private readonly all: DataReview[];
  constructor(
    byProduct: Map<string, DataReview[]>,
    private readonly tag: string,
  ) {
    this.all = [...byProduct.values()].flat();
  }
  next(): { path: string; body: string } {
    const k = this.n++;
    const start = (k * PER_UPLOAD) % this.all.length;
    const reviews = Array.from({ length: PER_UPLOAD }, (_, i) => {
      const r = this.all[(start + i) % this.all.length]!;
      return { ...toUpload(r), reviewId: `${this.tag}-${k}-${i}` };
    });
    // Spread over 50 products, as many plug-ins uploading different products.
    const asin = `BENCH${String(k % 50).padStart(5, '0')}`;
    return { path: `/v1/products/${asin}/reviews`, body: JSON.stringify({ product: { title: `Bench product ${k % 50}` }, reviews }) };
  }
}

const REQUEST_TIMEOUT_MS = 10_000;

/** A small seeded generator (mulberry32): the same arrival times in every run. */
function seeded(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Open-loop arrivals: upload k is due at its time (every 1/rate s for `spread`, after an
 * exponential gap of mean 1/rate s for `poisson`) and is sent then, on one of
 * `connections` keep-alive sockets, whether or not the earlier ones were answered. Its latency
 * runs from its due time (so a late send on this side counts against the gateway, never for it)
 * to the end of the response.
 */
async function spread(job: Extract<LoadJob, { kind: 'uploads' }>, bodies: Bodies, headers: Record<string, string>): Promise<UploadsOutcome> {
  const rate = job.rate!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const url = new URL(job.url);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  const send = (due: number): Promise<void> =>
    new Promise((resolve) => {
      const { path, body } = bodies.next();
      const req = http.request(
        { host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.once('end', () => {
            if (res.statusCode! >= 200 && res.statusCode! < 300) latencies.push(performance.now() - due);
            else non2xx++;
            resolve();
          });
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => {
        timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.once('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const start = performance.now();
  const total = Math.round(job.seconds * rate);
  const sent: Promise<void>[] = [];
  const random = seeded(0x5eed);
  let at = 0;
  for (let k = 0; k < total; k++) {
    // Exponential gaps, capped at 1 - 1e-12 so that log() stays finite.
    at = job.arrivals === 'spread' ? (k * 1000) / rate : at + (-Math.log(1 - Math.min(random(), 1 - 1e-12)) * 1000) / rate;
    const due = start + at;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sent.push(send(due));
  }
  await Promise.all(sent);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    seconds: job.seconds,
    ok: latencies.length,
    non2xx,
    errors: errors - timeouts,
    timeouts,
    latency: { p50: round(quantile(latencies, 0.5)), p90: round(quantile(latencies, 0.9)), p99: round(quantile(latencies, 0.99)), max: round(latencies.at(-1) ?? 0) },
  };
}

async function run(job: LoadJob): Promise<LoadOutcome> {
  const headers = { authorization: `Bearer ${job.apiKey}`, 'content-type': 'application/json' };
  const statuses: Record<string, number> = {};
  if (job.kind === 'uploads') {
    const bodies = new Bodies(loadReviewsByProduct(), job.tag);
    if (job.rate && (job.arrivals ?? 'poisson') !== 'burst') return { uploads: await spread(job, bodies, headers), statuses };
    // Burst (autocannon's overallRate) or no rate at all (saturation).
    const result = await autocannon({
      url: job.url,
      connections: job.connections,
      duration: job.seconds,
      ...(job.rate ? { overallRate: job.rate } : {}),
      headers,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            const { path, body } = bodies.next();
            return { ...req, path, body };
          },
        },
      ],
    });
    const { latency: l } = result;
    return {
      uploads: { seconds: result.duration, ok: result['2xx'], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, latency: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max } },
      statuses,
    };
  }
  // 3.9 MB bodies (valid JSON, one huge review list) as fast as the connections can send them.
  const review = JSON.stringify({ reviewId: 'abuse', rating: 5, body: 'z'.repeat(19_000) });
  const body = `{"reviews":[${Array.from({ length: 200 }, () => review).join(',')}]}`;
  const result = await autocannon({
    url: `${job.url}/v1/products/BENCHABUSE/reviews`,
    method: 'POST',
    connections: job.connections,
    duration: job.seconds,
    headers,
    body,
    setupClient: (client) => client.on('response', (status: number) => void (statuses[status] = (statuses[status] ?? 0) + 1)),
  });
  return { result, statuses, bodyMb: body.length / 1024 / 1024 };
}

serveOneJob(run);
