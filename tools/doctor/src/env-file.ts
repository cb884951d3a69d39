/**
 * Reads a host's .env the way `docker compose` does: KEY=VALUE lines, `#`
 * comments, blank lines; a value in matching single or double quotes is
 * taken literally, an unquoted one ends at ` #`.
 */
export class EnvFileError extends Error {
  override readonly name = 'EnvFileError';
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseEnvFile(text: string, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (eq < 0 || !KEY.test(key)) throw new EnvFileError(`${source}:${i + 1}: expected KEY=VALUE, got '${line}'`);
    let value = line.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\(["\\])/g, '$1').replace(/\\n/g, '\n');
    } else {
      const hash = value.search(/\s#/);
      if (hash >= 0) value = value.slice(0, hash).trimEnd();
    }
    out[key] = value;
  });
  return out;
}

/** The variables compose would see: the file, overridden by the process environment (as compose does). */
export function mergeEnvironment(
  file: Readonly<Record<string, string>>,
  processEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  return { ...file, ...Object.fromEntries(Object.entries(processEnv).filter(([, v]) => v !== undefined)) };
}
