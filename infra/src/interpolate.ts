/**
 * Compose's variable interpolation, for the strings infra/ generates: what a
 * container gets once `docker compose` has read the host's .env. The doctor
 * and the tests use it to evaluate the compose files' environment exactly as
 * compose would, without an engine.
 *
 * Supported, as in compose: `$$` (a literal `$`), `$VAR`, `${VAR}`,
 * `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
 * `${VAR:?message}` (error when unset or empty), `${VAR?message}` (unset).
 */

export type Operator = '' | ':-' | '-' | ':?' | '?';

export interface Reference {
  variable: string;
  op: Operator;
  /** The default or the error message. */
  arg: string;
  /** The reference as written, e.g. `${POSTGRES_PASSWORD:?set it in .env}`. */
  text: string;
}

export interface MissingVariable {
  variable: string;
  message: string;
}

const PATTERN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Every variable reference in `text`, in order (`$$` escapes excluded). */
export function references(text: string): Reference[] {
  const out: Reference[] = [];
  for (const m of text.matchAll(PATTERN)) {
    if (m[0] === '$$') continue;
    const variable = (m[1] ?? m[4])!;
    out.push({ variable, op: (m[2] ?? '') as Operator, arg: m[3] ?? '', text: m[0] });
  }
  return out;
}

/**
 * `text` with its references replaced from `vars`; `missing` lists each
 * required variable (`:?` / `?`) that was not given, with its message:
 * compose refuses to start in that case.
 */
export function interpolate(
  text: string,
  vars: Readonly<Record<string, string | undefined>>,
): { value: string; missing: MissingVariable[] } {
  const missing: MissingVariable[] = [];
  const value = text.replace(PATTERN, (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const v = vars[name];
    const unset = v === undefined;
    const empty = unset || v === '';
    switch (op) {
      case ':-':
        return empty ? arg! : v!;
      case '-':
        return unset ? arg! : v!;
      case ':?':
      case '?':
        if (op === ':?' ? empty : unset) {
          missing.push({ variable: name, message: arg || `${name} is required` });
          return '';
        }
        return v!;
      default:
        return v ?? '';
    }
  });
  return { value, missing };
}

/** Interpolates every value of an environment mapping; `missing` is deduplicated by variable. */
export function interpolateEnvironment(
  env: Readonly<Record<string, string>>,
  vars: Readonly<Record<string, string | undefined>>,
): { env: Record<string, string>; missing: MissingVariable[] } {
  const out: Record<string, string> = {};
  const missing = new Map<string, MissingVariable>();
  for (const [k, raw] of Object.entries(env)) {
    const r = interpolate(raw, vars);
    out[k] = r.value;
    for (const m of r.missing) if (!missing.has(m.variable)) missing.set(m.variable, m);
  }
  return { env: out, missing: [...missing.values()] };
}
