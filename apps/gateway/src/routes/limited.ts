import { ApiError } from '../errors';
import type { GatewayMetrics } from '../metrics';

/** A 429 from a per-key limit: counted by key and reason, with Retry-After. */
export function limited(
  metrics: GatewayMetrics,
  keyId: string,
  code: 'rate_limited' | 'quota_exceeded' | 'cooldown',
  retryAfterS: number,
  message: string,
): ApiError {
  metrics.keyLimited.inc({ key: keyId, reason: code });
  return new ApiError(code, message, [], retryAfterS);
}
