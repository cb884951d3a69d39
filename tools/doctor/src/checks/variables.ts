/**
 * The host's .env against infra's host variables: each one the role needs is
 * present (or has a default) and well-formed. Secrets are never printed.
 */
import type { DeployRole } from '@voc/config';
import { parsePrices } from '@voc/llm';
import { parseModelLimits } from '@voc/rate-limiter';
import { NATS_NODES, variablesOf, type HostVariable, type VariableFormat } from '@voc/infra';
import { fail, ok, warn, type CheckResult } from '../report';

/** A problem with a value: FAIL, or only a warning. */
interface Finding {
  level: 'FAIL' | 'warn';
  message: string;
}

const MIN_SECRET_LENGTH = 16;
// Unreserved URL characters: secrets are embedded in DATABASE_URL, REDIS_URL and NATS routes unescaped.
const URL_SAFE = /^[A-Za-z0-9._~-]+$/;

export function parseIpv4(v: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/** Loopback, RFC 1918, link-local and carrier-grade NAT: not reachable from the internet. */
export function isNonPublicIpv4(parts: readonly number[]): boolean {
  const [a, b] = parts as [number, number];
  return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

function formatFindings(format: VariableFormat, value: string): Finding[] {
  const bad = (message: string): Finding[] => [{ level: 'FAIL', message }];
  switch (format) {
    case 'ipv4':
      return parseIpv4(value) ? [] : bad(`'${value}' is not an IPv4 address`);
    case 'secret':
      if (!URL_SAFE.test(value)) return bad('use only letters, digits and . _ ~ - (it is put into connection URLs unescaped)');
      return value.length < MIN_SECRET_LENGTH ? [{ level: 'warn', message: `only ${value.length} characters; use at least ${MIN_SECRET_LENGTH}` }] : [];
    case 'api-keys': {
      const keys = value.split(',').map((k) => k.trim());
      if (keys.some((k) => !k || /\s/.test(k))) return bad('expected comma-separated keys without spaces or empty entries');
      const short = keys.filter((k) => k.length < MIN_SECRET_LENGTH).length;
      return short ? [{ level: 'warn', message: `${short} of ${keys.length} keys shorter than ${MIN_SECRET_LENGTH} characters` }] : [];
    }
    case 'http-url':
      try {
        const u = new URL(value);
        return u.protocol === 'http:' || u.protocol === 'https:' ? [] : bad(`'${value}' is not an http(s) URL`);
      } catch {
        return bad(`'${value}' is not a URL`);
      }
    case 'positive-number':
      return Number(value) > 0 ? [] : bad(`'${value}' is not a positive number`);
    case 'positive-int':
      return /^[1-9]\d*$/.test(value) ? [] : bad(`'${value}' is not a positive integer`);
    case 'port':
      return /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535 ? [] : bad(`'${value}' is not a port number`);
    case 'name':
      return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value) ? [] : bad(`'${value}': use letters, digits and . _ -`);
    case 'model':
      return /^\S+$/.test(value) ? [] : bad(`'${value}' is not a model name`);
    case 'model-limits':
      try {
        parseModelLimits(value);
        return [];
      } catch (err) {
        return bad(`${(err as Error).message} (expected e.g. qwen3-max=8,other=20)`);
      }
    case 'llm-prices':
      try {
        parsePrices(value);
        return [];
      } catch (err) {
        return bad((err as Error).message);
      }
    case 'non-negative-int':
      return /^(0|[1-9]\d*)$/.test(value) ? [] : bad(`'${value}' is not a whole number ≥ 0`);
    case 'log-level':
      return ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(value) ? [] : bad(`'${value}' is not a log level`);
    case 'image':
      return /^\S+$/.test(value) ? [] : bad(`'${value}' is not an image reference`);
    case 'pg-size':
      return /^\d+(kB|MB|GB|TB)?$/.test(value) ? [] : bad(`'${value}' is not a PostgreSQL size (e.g. 1280MB)`);
  }
}

/** Role-specific rules beyond the format. */
function contextFindings(v: HostVariable, value: string, localAddresses: readonly string[]): Finding[] {
  const out: Finding[] = [];
  if (v.name === 'PRIVATE_IP') {
    const parts = parseIpv4(value);
    if (parts && !localAddresses.includes(value)) {
      out.push({ level: 'FAIL', message: `${value} is not an address of this host: the private ports could not bind to it` });
    }
    if (parts && !isNonPublicIpv4(parts)) {
      out.push({ level: 'warn', message: `${value} is a public address: PostgreSQL, Redis and NATS would listen on the internet` });
    }
  }
  if (v.name === 'NATS_REPLICAS' && Number(value) > NATS_NODES.length) {
    out.push({ level: 'FAIL', message: `the cluster has ${NATS_NODES.length} nodes; a stream cannot have ${value} replicas` });
  }
  return out;
}

export function checkVariables(
  role: DeployRole,
  vars: Readonly<Record<string, string | undefined>>,
  localAddresses: readonly string[],
): CheckResult[] {
  return variablesOf(role).map((v) => {
    const name = `env ${v.name}`;
    const def = v.roles[role]!.default;
    const given = vars[v.name];
    if (given === undefined || given === '') {
      if (def === undefined) return fail(name, `missing: ${v.description}`);
      return ok(name, def === '' ? 'unset (default: empty)' : `unset (default: ${def})`);
    }
    const findings = [...formatFindings(v.format, given), ...contextFindings(v, given, localAddresses)];
    const shown = v.secret ? `set (${given.length} characters)` : given;
    const failure = findings.find((f) => f.level === 'FAIL');
    if (failure) return fail(name, `${shown}: ${findings.filter((f) => f.level === 'FAIL').map((f) => f.message).join('; ')}`);
    if (findings.length) return warn(name, `${shown}: ${findings.map((f) => f.message).join('; ')}`);
    return ok(name, shown);
  });
}
