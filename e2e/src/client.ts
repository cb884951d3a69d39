/** A small client of the gateway, as the plug-in and the demo use it. */
export class GatewayClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async request<T = unknown>(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        accept,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async upload(asin: string, reviews: unknown[], product?: unknown) {
    return this.request<{ uploadId: string; accepted: number }>('POST', `/v1/products/${asin}/reviews`, { ...(product ? { product } : {}), reviews });
  }

  async product(asin: string) {
    return this.request<ProductView>('GET', `/v1/products/${asin}`);
  }
}

export interface ProductView {
  asin: string;
  learned: boolean;
  learningState: string;
  reviews: { total: number; translated: number; insights: number; themes: number; failed: number };
  dimensions: { name: string }[];
  labels: { category: string; name: string }[];
}

/** Polls until `done` returns true; throws with the last value after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 180_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: not done after ${timeoutMs} ms; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
}
