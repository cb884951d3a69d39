/**
 * Reads a compose file the way `docker compose` would for what this run
 * needs: each service's environment, with `${VAR}` interpolation (the
 * compose rules: `$$`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, `$VAR`), and
 * which app of apps/ a service runs. Pure functions: the run feeds them the
 * files and its test values.
 */
import { parse } from 'yaml';

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, unknown> | string[] };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  deploy?: { replicas?: number };
  profiles?: string[];
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export function parseCompose(text: string, source: string): ComposeFile {
  let doc: unknown;
  try {
    // merge: compose files may share settings through `<<: *anchor`.
    doc = parse(text, { merge: true });
  } catch (e) {
    throw new Error(`${source}: not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  const services = (doc as { services?: unknown } | null)?.services;
  if (!services || typeof services !== 'object' || Array.isArray(services)) throw new Error(`${source}: no 'services:' mapping`);
  return { services: services as Record<string, ComposeService> };
}

/**
 * A service's `environment:` as compose hands it over before interpolation:
 * map or `KEY=value` list; a key without a value takes the value of the
 * same variable from the shell (written here as `${KEY}` so interpolation
 * resolves it, or fails naming it).
 */
export function rawEnvironment(svc: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  const put = (k: string, v: string | number | boolean | null | undefined) => {
    env[k] = v === null || v === undefined ? `\${${k}}` : String(v);
  };
  if (Array.isArray(svc.environment)) {
    for (const item of svc.environment) {
      const eq = item.indexOf('=');
      if (eq < 0) put(item, null);
      else put(item.slice(0, eq), item.slice(eq + 1));
    }
  } else if (svc.environment) {
    for (const [k, v] of Object.entries(svc.environment)) put(k, v);
  }
  return env;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Compose variable interpolation of one value. `vars` holds the variables
 * that are set (an empty string is set); an unset variable without a
 * default is an error naming `where`, as compose refuses to start then.
 */
export function interpolate(value: string, vars: Readonly<Record<string, string>>, where: string): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = value[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const close = matchingBrace(value, i + 1, where);
      out += expand(value.slice(i + 2, close), vars, where);
      i = close + 1;
    } else {
      const m = NAME.exec(value.slice(i + 1));
      if (!m) {
        out += '$';
        i++;
        continue;
      }
      out += lookup(m[0], vars, where);
      i += 1 + m[0].length;
    }
  }
  return out;
}

function matchingBrace(value: string, open: number, where: string): number {
  let depth = 0;
  for (let j = open; j < value.length; j++) {
    if (value[j] === '{') depth++;
    else if (value[j] === '}' && --depth === 0) return j;
  }
  throw new Error(`${where}: unterminated \${ in '${value}'`);
}

function lookup(name: string, vars: Readonly<Record<string, string>>, where: string): string {
  const v = vars[name];
  if (v === undefined) throw new Error(`${where}: variable ${name} is not set and has no default`);
  return v;
}

function expand(body: string, vars: Readonly<Record<string, string>>, where: string): string {
  const m = NAME.exec(body);
  if (!m) throw new Error(`${where}: invalid interpolation \${${body}}`);
  const name = m[0];
  const rest = body.slice(name.length);
  const v = vars[name];
  if (rest === '') return lookup(name, vars, where);
  const op = /^(:?[-?+])/.exec(rest)?.[1];
  if (!op) throw new Error(`${where}: invalid interpolation \${${body}}`);
  // The word after the operator may itself hold variables.
  const word = () => interpolate(rest.slice(op.length), vars, where);
  const unsetOrEmpty = v === undefined || v === '';
  switch (op) {
    case ':-':
      return unsetOrEmpty ? word() : v;
    case '-':
      return v === undefined ? word() : v;
    case ':?':
      if (unsetOrEmpty) throw new Error(`${where}: variable ${name} is required: ${word()}`);
      return v;
    case '?':
      if (v === undefined) throw new Error(`${where}: variable ${name} is required: ${word()}`);
      return v;
    case ':+':
      return unsetOrEmpty ? '' : word();
    default: // '+'
      return v === undefined ? '' : word();
  }
}

/** Every variable a value refers to (for reporting what a compose file needs). */
export function referencedVariables(value: string): string[] {
  const names = new Set<string>();
  for (const m of value.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/g)) names.add((m[1] ?? m[2])!);
  return [...names];
}

/**
 * Points the host names in URLs (`scheme://[user[:pass]@]host[:port]`, also
 * in comma-separated lists) at test addresses: `hosts` maps a compose
 * host name (e.g. `postgres`) to an address. Other hosts are left alone.
 */
export function rewriteUrlHosts(value: string, hosts: Readonly<Record<string, string>>): string {
  return value.replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s/@,]*@)?([A-Za-z0-9_.-]+)/g, (all, scheme: string, user: string | undefined, host: string) => {
    const to = hosts[host];
    return to === undefined ? all : `${scheme}${user ?? ''}${to}`;
  });
}

/** The parts of a URL a server must be started with (credentials, port, database). */
export interface UrlParts {
  host: string;
  port: number | undefined;
  user: string;
  password: string;
  path: string;
}

export function urlParts(url: string): UrlParts {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a URL: ${url.replace(/:[^:@/]*@/, ':***@')}`);
  }
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    path: u.pathname.replace(/^\//, ''),
  };
}
