/**
 * Which webhook URLs the gateway calls: absolute http(s), no credentials in
 * the URL, and (unless GATEWAY_WEBHOOK_ALLOW_PRIVATE) not an address inside
 * the deployment: loopback, private, link-local or unspecified, checked on
 * the literal host when the URL is set and on the resolved addresses before
 * every delivery, so a key cannot make the gateway probe the internal network.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ApiError } from '../errors';

export const WEBHOOK_URL_MAX = 2048;

const invalid = (message: string) => new ApiError('invalid_webhook', message, [{ field: 'url', message }]);

/** True for addresses a webhook must not reach by default. */
export function isPrivateAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
  }
  const v6 = ip.toLowerCase();
  return v6 === '::' || v6 === '::1' || v6.startsWith('fc') || v6.startsWith('fd') || v6.startsWith('fe8') || v6.startsWith('fe9') || v6.startsWith('fea') || v6.startsWith('feb');
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** Checks a URL given by a client; returns it normalised. */
export function parseWebhookUrl(raw: unknown, allowPrivate: boolean): string {
  if (typeof raw !== 'string' || raw.length === 0) throw invalid('url is required: an absolute http(s) URL');
  if (raw.length > WEBHOOK_URL_MAX) throw invalid(`url is longer than ${WEBHOOK_URL_MAX} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('url is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('url must be http or https');
  if (url.username || url.password) throw invalid('url must not carry credentials; the webhook is signed instead');
  const host = hostOf(url);
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host)))) {
    throw invalid('url points at a loopback or private address');
  }
  return url.toString();
}

/** Before each delivery: refuses a host that now resolves to a private address. */
export async function assertDeliverable(url: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = hostOf(new URL(url));
  const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  if (bad) throw new Error(`${host} resolves to a private address (${bad.address})`);
}
