/**
 * Reading a host of the deployment from its real files: its .env (the
 * .env.example with every empty value filled with a test value, as an
 * operator fills it in), which services `docker compose [--profile …] up`
 * starts, and which app of apps/ a service runs.
 */
import { SERVICE_NAMES, type ServiceName } from '@voc/config';
import type { ComposeFile, ComposeService } from './compose';

/** The compose profile that adds llm-sim to server A. */
export const SIM_PROFILE = 'sim';

/** `KEY=value` lines of an env file (comments and blank lines skipped, values unquoted). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`not a KEY=value line: ${line}`);
    out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** A test value for a variable the operator must fill in: URL-safe, obviously not a real secret. */
export function testValue(name: string): string {
  if (name === 'NATS_USER') return 'voc';
  return `test${name.toLowerCase().replace(/[^a-z0-9]/g, '')}0123456789`;
}

/** A host's .env.example with every empty value filled with a test value. */
export function filledEnv(envExample: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseEnvFile(envExample))) vars[k] = v === '' ? testValue(k) : v;
  return vars;
}

export function commandOf(svc: ComposeService): string[] {
  const c = svc.command;
  if (c === undefined) return [];
  return Array.isArray(c) ? c.map(String) : c.split(/\s+/).filter(Boolean);
}

/** The app of apps/ a service runs (`node apps/<app>/dist/main.js`), if it is one. */
export function appOf(svc: ComposeService): ServiceName | undefined {
  const cmd = commandOf(svc);
  if (cmd[0] !== 'node') return undefined;
  for (const arg of cmd) {
    const m = /^apps\/([^/]+)\//.exec(arg);
    if (m && (SERVICE_NAMES as string[]).includes(m[1]!)) return m[1] as ServiceName;
  }
  return undefined;
}

/** The services `docker compose [--profile …] up` starts: those without a profile, and those of an asked-for profile. */
export function activeServices(file: ComposeFile, profiles: readonly string[] = []): [string, ComposeService][] {
  return Object.entries(file.services).filter(([, s]) => !s.profiles?.length || s.profiles.some((p) => profiles.includes(p)));
}

/** The image variable a service's `image:` names (`${REDIS_IMAGE:-redis:7.2}` → REDIS_IMAGE), if any. */
export function imageVariable(svc: ComposeService): string | undefined {
  return typeof svc.image === 'string' ? /^\$\{([A-Z_][A-Z0-9_]*)/.exec(svc.image)?.[1] : undefined;
}
