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

/**
 * The test beds' fleet token limit. Their simulated account limits requests
 * only (llm-sim without LLM_SIM_TPM_LIMIT), so the token dimension is set to
 * what 200 RPS of these calls need (~2,000 tokens reserved each): these runs
 * measure host loss at the request limit. With the production default (960,000
 * TPM, 80 % of qwen-plus-latest's) insight and theme calls bind at ~10 RPS and a
 * run of 3,000 reviews takes ten minutes instead of two; the token budget is
 * what `npm run bench:tokens` measures.
 */
export const TEST_BED_MAX_API_TPM = String(200 * 2_000 * 60);

/**
 * llm-sim stands in for the provider, whose clock does not share our two
 * cores: it runs at a higher CPU priority (we are root), so that a starved
 * llm-sim does not read requests late and count more than a second's in one
 * (a 185-ms stall in llm-sim turned 200 RPS into 253 in CI).
 */
export const LLM_SIM_NICE = -10;

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
