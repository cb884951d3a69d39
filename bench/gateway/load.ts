/**
 * The bench's HTTP client, in a process of its own (forked by run.ts): the
 * bench process also runs llm-sim, answering hundreds of LLM calls a second,
 * and autocannon timing requests on that same event loop counted llm-sim's
 * stalls as gateway latency. Receives one LoadJob over IPC, answers one
 * LoadOutcome, exits.
 */
import autocannon from 'autocannon';
import { loadReviewsByProduct, toUpload, type DataReview } from '@voc/e2e';
import { PER_UPLOAD, type LoadJob, type LoadOutcome } from './load-job';

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

async function run(job: LoadJob): Promise<LoadOutcome> {
  const headers = { authorization: `Bearer ${job.apiKey}`, 'content-type': 'application/json' };
  const statuses: Record<string, number> = {};
  if (job.kind === 'uploads') {
    const bodies = new Bodies(loadReviewsByProduct(), job.tag);
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
    return { result, statuses };
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

if (process.send) {
  process.once('message', (job: LoadJob) => {
    run(job).then(
      (outcome) => process.send!(outcome, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
