import { createHmac } from 'node:crypto';

/**
 * A webhook's signature: HMAC-SHA256 over `<timestamp>.<body>` keyed with the
 * SHA-256 (hex) of the key's secret — what the gateway holds for every key,
 * hashed-file keys included; the client computes it from its secret. Sent as
 * `X-Voc-Signature: sha256=<hex>` beside `X-Voc-Timestamp` (seconds), so a
 * receiver can refuse stale or replayed deliveries.
 */
export function signWebhook(keyDigestHex: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', keyDigestHex).update(`${timestampS}.${body}`).digest('hex')}`;
}
