/**
 * A small, deterministic YAML writer for the files infra/ generates (compose
 * files, Prometheus and Grafana configs). It emits only block mappings, block
 * sequences and scalars; a scalar is written plain when that cannot be
 * misread, else as a JSON string (JSON strings are valid YAML). Keys keep
 * their insertion order, so the same model always gives the same bytes.
 */

export type YamlValue = string | number | boolean | null | YamlValue[] | YamlMap | Commented;
export interface YamlMap {
  [key: string]: YamlValue;
}

/** A value preceded by a comment (one `# line` per line of `comment`). */
export class Commented {
  constructor(
    readonly comment: string,
    readonly value: YamlValue,
  ) {}
}

export const commented = (comment: string, value: YamlValue): Commented => new Commented(comment, value);

/** The value without its comment wrappers (what a YAML parser would read). */
export function stripComments(v: YamlValue): Exclude<YamlValue, Commented> {
  if (v instanceof Commented) return stripComments(v.value);
  if (Array.isArray(v)) return v.map(stripComments);
  if (v !== null && typeof v === 'object') {
    const out: YamlMap = {};
    for (const [k, x] of Object.entries(v)) out[k] = stripComments(x);
    return out;
  }
  return v;
}

// YAML 1.1 reads these words as booleans or null; quote them.
const RESERVED = /^(y|n|yes|no|true|false|on|off|null|~)$/i;
// Anything that could be a number (ints, floats, octal, hex, 1_000, .inf, 60:00 sexagesimal).
const NUMBERISH = /^[-+]?(\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|\.\d+|0x[\da-fA-F]+|0o[0-7]+|\.(inf|nan))$|^\d+(:\d+)+$/i;
const PLAIN = /^[A-Za-z0-9_./-][A-Za-z0-9_./=+-]*$/;

export function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`yaml: cannot write the number ${v}`);
    return String(v);
  }
  if (PLAIN.test(v) && !RESERVED.test(v) && !NUMBERISH.test(v) && !/^-+$/.test(v)) return v;
  return JSON.stringify(v);
}

function key(k: string): string {
  return PLAIN.test(k) && !RESERVED.test(k) && !NUMBERISH.test(k) ? k : JSON.stringify(k);
}

function commentLines(comment: string, indent: string): string[] {
  return comment.split('\n').map((l) => (l ? `${indent}# ${l}` : `${indent}#`));
}

function isEmptyCollection(v: YamlValue): boolean {
  return (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Commented) && Object.keys(v).length === 0);
}

function inline(v: YamlValue): string {
  if (Array.isArray(v)) return '[]';
  return '{}';
}

function emitMap(map: YamlMap, indent: string, out: string[]): void {
  for (const [k, raw] of Object.entries(map)) {
    let v = raw;
    while (v instanceof Commented) {
      out.push(...commentLines(v.comment, indent));
      v = v.value;
    }
    if (Array.isArray(v) || (v !== null && typeof v === 'object')) {
      if (isEmptyCollection(v)) {
        out.push(`${indent}${key(k)}: ${inline(v)}`);
      } else {
        out.push(`${indent}${key(k)}:`);
        if (Array.isArray(v)) emitList(v, `${indent}  `, out);
        else emitMap(v, `${indent}  `, out);
      }
    } else {
      out.push(`${indent}${key(k)}: ${scalar(v)}`);
    }
  }
}

function emitList(list: YamlValue[], indent: string, out: string[]): void {
  for (const raw of list) {
    let v = raw;
    while (v instanceof Commented) {
      out.push(...commentLines(v.comment, indent));
      v = v.value;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) out.push(`${indent}- []`);
      else {
        // A nested list: "- " then the inner list one level deeper.
        out.push(`${indent}-`);
        emitList(v, `${indent}  `, out);
      }
    } else if (v !== null && typeof v === 'object') {
      if (isEmptyCollection(v)) {
        out.push(`${indent}- {}`);
        continue;
      }
      // "- key: value" with the mapping's other keys aligned under the first.
      const lines: string[] = [];
      emitMap(v, `${indent}  `, lines);
      const first = lines.findIndex((l) => !l.trimStart().startsWith('#'));
      out.push(...lines.slice(0, first));
      out.push(`${indent}- ${lines[first]!.slice(indent.length + 2)}`);
      out.push(...lines.slice(first + 1));
    } else {
      out.push(`${indent}- ${scalar(v)}`);
    }
  }
}

/** The YAML text of a mapping, with `header` as leading comment lines. */
export function toYaml(doc: YamlMap, header?: string): string {
  const out: string[] = header ? commentLines(header, '') : [];
  emitMap(doc, '', out);
  return out.join('\n') + '\n';
}
