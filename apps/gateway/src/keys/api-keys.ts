/**
 * The gateway's API keys. Each has an id (shown in logs, metrics and
 * GET /v1/keys/me) and is known by the SHA-256 of its secret only: plain keys
 * from GATEWAY_API_KEYS are hashed at start-up, and GATEWAY_API_KEYS_FILE
 * holds hashes, so the secrets need not be on the host. Keys are random, so
 * one SHA-256 suffices (a slow password hash protects guessable secrets only).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface ApiKey {
  /** Letters, digits, `. _ -`; never the secret. */
  id: string;
  /** SHA-256 of the secret, hex: what a request's Bearer value is compared with. */
  digest: string;
}

export const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const HEX_DIGEST = /^[0-9a-f]{64}$/;

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** A key given without an id is named after a short prefix of its hash: stable across restarts, useless to an attacker. */
const derivedId = (digest: string) => `key-${digest.slice(0, 8)}`;

export class ApiKeyError extends Error {
  constructor(
    readonly variable: 'GATEWAY_API_KEYS' | 'GATEWAY_API_KEYS_FILE',
    message: string,
  ) {
    super(message);
    this.name = 'ApiKeyError';
  }
}

/** `GATEWAY_API_KEYS`: comma-separated `id:secret` or plain `secret` entries. */
export function parsePlainKeys(text: string): ApiKey[] {
  return text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon) : '';
      // "id:secret" only when the part before the colon is a valid id; otherwise the whole entry is the secret.
      if (colon > 0 && KEY_ID.test(id) && colon < entry.length - 1) return { id, digest: sha256Hex(entry.slice(colon + 1)) };
      const digest = sha256Hex(entry);
      return { id: derivedId(digest), digest };
    });
}

/** `GATEWAY_API_KEYS_FILE`: one `id:<sha256 hex of the secret>` per line; `#` starts a comment. */
export function parseHashedKeys(text: string, file = 'GATEWAY_API_KEYS_FILE'): ApiKey[] {
  const keys: ApiKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [id, digest, ...rest] = line.split(':');
    if (rest.length > 0 || !id || !KEY_ID.test(id) || !digest || !HEX_DIGEST.test(digest.toLowerCase())) {
      throw new ApiKeyError('GATEWAY_API_KEYS_FILE', `${file} line ${i + 1}: expected "id:<64 hex digits of SHA-256(secret)>"`);
    }
    keys.push({ id, digest: digest.toLowerCase() });
  });
  return keys;
}

/** Every configured key, checked: at least one, ids and secrets unique. */
export function loadApiKeys(opts: { plain?: string; file?: string }): ApiKey[] {
  const keys = [...(opts.plain ? parsePlainKeys(opts.plain) : [])];
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ApiKeyError('GATEWAY_API_KEYS_FILE', `cannot read ${opts.file}: ${(err as Error).message}`);
    }
    keys.push(...parseHashedKeys(text, opts.file));
  }
  if (keys.length === 0) throw new ApiKeyError('GATEWAY_API_KEYS', 'required: one or more API keys (id:secret or secret, comma-separated), or GATEWAY_API_KEYS_FILE');
  const ids = new Set<string>();
  const digests = new Set<string>();
  for (const k of keys) {
    if (ids.has(k.id)) throw new ApiKeyError('GATEWAY_API_KEYS', `key id '${k.id}' is given twice`);
    if (digests.has(k.digest)) throw new ApiKeyError('GATEWAY_API_KEYS', `the key with id '${k.id}' repeats another key's secret`);
    ids.add(k.id);
    digests.add(k.digest);
  }
  return keys;
}
