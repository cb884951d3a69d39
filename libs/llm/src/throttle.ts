import { APIError } from 'openai';
import type { ThrottleCause } from './limiter';

/**
 * How DashScope tells its refusals apart (Model Studio's error-code and
 * rate-limit pages): by the OpenAI-compatible `error.code` (the openai SDK's
 * `err.code`), else by the message, since other OpenAI-compatible providers
 * only say it in words.
 */
const CAUSE_BY_CODE: Record<string, ThrottleCause> = {
  limit_requests: 'requests',
  'Throttling.RateQuota': 'requests',
  insufficient_quota: 'tokens',
  'Throttling.AllocationQuota': 'tokens',
  limit_burst_rate: 'burst',
  'Throttling.BurstRate': 'burst',
};

/** The cause of a 429: requests, tokens, burst, or unknown. */
export function throttleCause(err: unknown): ThrottleCause {
  if (!(err instanceof APIError)) return 'unknown';
  const code = typeof err.code === 'string' ? err.code : typeof err.type === 'string' ? err.type : '';
  const byCode = CAUSE_BY_CODE[code];
  if (byCode) return byCode;
  const message = err.message;
  if (/requests rate limit exceeded|current requests list|requests per (minute|second)/i.test(message)) return 'requests';
  if (/allocated quota exceeded|current quota|tokens per (minute|second)/i.test(message)) return 'tokens';
  if (/rate increased too quickly|burst/i.test(message)) return 'burst';
  return 'unknown';
}

/**
 * A refusal that no retry can fix until someone pays or raises the quota:
 * 403 Arrearage (overdue payment, or the free quota used up), or a 403 whose
 * message says the quota is exhausted. The fleet halts instead of retrying.
 */
export function isAccountRefusal(err: unknown): boolean {
  if (!(err instanceof APIError) || err.status !== 403) return false;
  const code = typeof err.code === 'string' ? err.code : '';
  if (code === 'Arrearage' || code.startsWith('AllocationQuota')) return true;
  return /good standing|overdue|arrear|free (tier|quota)|quota (has been )?(exhausted|used up)/i.test(err.message);
}
