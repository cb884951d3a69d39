import { randomUUID } from 'node:crypto';
import type { ThrottleCause } from './limits';

/**
 * Error bodies shaped like DashScope's OpenAI-compatible mode: the OpenAI
 * `error` object (whose `code` the openai SDK exposes as `err.code`) and,
 * beside it, the provider's own code and a request id. Codes per cause from
 * Model Studio's error-code page (help.aliyun.com/en/model-studio/error-code-start)
 * and rate-limit page (…/model-studio/rate-limit).
 */
export interface ProviderErrorBody {
  error: { code: string; message: string; type: string; param: null };
  code: string;
  request_id: string;
}

export const THROTTLE_CODES: Record<ThrottleCause, { openai: string; provider: string }> = {
  requests: { openai: 'limit_requests', provider: 'Throttling.RateQuota' },
  tokens: { openai: 'insufficient_quota', provider: 'Throttling.AllocationQuota' },
  burst: { openai: 'limit_burst_rate', provider: 'Throttling.BurstRate' },
};

function body(openaiCode: string, providerCode: string, message: string): ProviderErrorBody {
  return { error: { code: openaiCode, message, type: openaiCode, param: null }, code: providerCode, request_id: randomUUID() };
}

/** The 429 of a throttled call. */
export function throttledBody(cause: ThrottleCause, message: string): ProviderErrorBody {
  const codes = THROTTLE_CODES[cause];
  return body(codes.openai, codes.provider, message);
}

/** The 403 of an account in arrears (overdue payment or exhausted free quota): every call is refused until it is settled. */
export function arrearageBody(): ProviderErrorBody {
  return body('Arrearage', 'Arrearage', 'Access denied, please make sure your account is in good standing.');
}
