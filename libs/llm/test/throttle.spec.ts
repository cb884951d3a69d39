import { APIError } from 'openai';
import { costOf, parsePrices } from '../src';
import { isAccountRefusal, throttleCause } from '../src/throttle';

const err = (status: number, body: Record<string, unknown>) => APIError.generate(status, { error: body }, undefined, new Headers());

describe('reading a refusal', () => {
  it.each([
    [{ code: 'limit_requests', message: 'Requests rate limit exceeded, please try again later.' }, 'requests'],
    [{ code: 'insufficient_quota', message: 'Allocated quota exceeded, please increase your quota limit.' }, 'tokens'],
    [{ code: 'limit_burst_rate', message: 'Request rate increased too quickly.' }, 'burst'],
    [{ code: 'Throttling.AllocationQuota', message: 'x' }, 'tokens'],
    // Another OpenAI-compatible provider says it in words only.
    [{ message: 'You exceeded your current requests list.' }, 'requests'],
    [{ message: 'Rate limit reached for tokens per minute' }, 'tokens'],
    [{ message: 'slow down' }, 'unknown'],
  ])('429 %j → %s', (body, cause) => {
    expect(throttleCause(err(429, body))).toBe(cause);
  });

  it('a 403 Arrearage or an exhausted quota halts; other 403s and other statuses do not', () => {
    expect(isAccountRefusal(err(403, { code: 'Arrearage', message: 'Access denied, please make sure your account is in good standing.' }))).toBe(true);
    expect(isAccountRefusal(err(403, { code: 'AllocationQuota.FreeTierOnly', message: 'The free tier of the model has been exhausted.' }))).toBe(true);
    expect(isAccountRefusal(err(403, { code: 'AccessDenied', message: 'Access denied.' }))).toBe(false);
    expect(isAccountRefusal(err(400, { code: 'Arrearage', message: 'x' }))).toBe(false);
    expect(isAccountRefusal(new Error('Arrearage'))).toBe(false);
  });
});

describe('prices', () => {
  it('costs prompt, cached and completion tokens per million', () => {
    const prices = parsePrices('qwen-plus-latest=0.8:2:0.32');
    expect(costOf(prices, 'qwen-plus-latest', { promptTokens: 1_000_000, completionTokens: 500_000, cachedTokens: 250_000 })).toBeCloseTo(0.6 + 0.08 + 1, 9);
    expect(costOf(prices, 'unknown-model', { promptTokens: 10, completionTokens: 10, cachedTokens: 0 })).toBe(0);
    expect(() => parsePrices('qwen=1')).toThrow(/prompt:completion/);
  });
});
