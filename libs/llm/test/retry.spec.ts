import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError, InternalServerError, RateLimitError, BadRequestError } from 'openai';
import { DEFAULT_RETRY_POLICY, backoffDelayMs, classifyFailure, retryAfterMs } from '../src/retry';

describe('backoffDelayMs', () => {
  const max = () => 0.999999;

  it('grows exponentially up to a cap, with full jitter below the ceiling', () => {
    const normal = [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(DEFAULT_RETRY_POLICY, n, 'normal', max));
    expect(normal).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 3, 'normal', () => 0)).toBe(0);
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 3, 'normal', () => 0.5)).toBe(2000);
  });

  it('lets VIP calls retry sooner than normal ones (seed 001)', () => {
    for (let n = 1; n <= 8; n++) {
      expect(backoffDelayMs(DEFAULT_RETRY_POLICY, n, 'vip', max)).toBeLessThan(backoffDelayMs(DEFAULT_RETRY_POLICY, n, 'normal', max));
    }
  });
});

describe('retryAfterMs', () => {
  const h = (init: Record<string, string>) => new Headers(init);

  it('reads retry-after-ms, retry-after in seconds (decimals too) or as an HTTP date', () => {
    expect(retryAfterMs(h({ 'retry-after-ms': '250' }), DEFAULT_RETRY_POLICY)).toBe(250);
    expect(retryAfterMs(h({ 'retry-after': '2' }), DEFAULT_RETRY_POLICY)).toBe(2000);
    expect(retryAfterMs(h({ 'retry-after': '0.5' }), DEFAULT_RETRY_POLICY)).toBe(500);
    const now = Date.parse('2026-01-10T00:00:00Z');
    expect(retryAfterMs(h({ 'retry-after': 'Sat, 10 Jan 2026 00:00:03 GMT' }), DEFAULT_RETRY_POLICY, now)).toBe(3000);
  });

  it('defaults to ~1 s without a usable header, and caps absurd values', () => {
    expect(retryAfterMs(undefined, DEFAULT_RETRY_POLICY)).toBe(1000);
    expect(retryAfterMs(h({ 'retry-after': 'soon' }), DEFAULT_RETRY_POLICY)).toBe(1000);
    expect(retryAfterMs(h({ 'retry-after': '86400' }), DEFAULT_RETRY_POLICY)).toBe(60_000);
  });
});

describe('classifyFailure', () => {
  const headers = new Headers();
  it('retries 429, 5xx, timeouts and connection errors; not other 4xx or aborts', () => {
    expect(classifyFailure(new RateLimitError(429, undefined, 'x', headers))).toMatchObject({ reason: 'rate_limited', retryable: true });
    expect(classifyFailure(new InternalServerError(503, undefined, 'x', headers))).toMatchObject({ reason: 'server_error', retryable: true, status: 503 });
    expect(classifyFailure(new APIConnectionTimeoutError())).toMatchObject({ reason: 'timeout', retryable: true });
    expect(classifyFailure(new APIConnectionError({ message: 'ECONNREFUSED' }))).toMatchObject({ reason: 'connection_error', retryable: true });
    expect(classifyFailure(new BadRequestError(400, undefined, 'x', headers))).toMatchObject({ reason: 'client_error', retryable: false });
    expect(classifyFailure(new APIUserAbortError())).toMatchObject({ reason: 'aborted', retryable: false });
  });
});
