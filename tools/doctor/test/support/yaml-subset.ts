/**
 * A reader for the YAML subset infra/src/yaml.ts writes (block mappings,
 * block sequences, plain or JSON-quoted scalars, `[]`, `{}`, comments). The
 * tests read the committed files back with it and compare them with the
 * generator's model, so a bug in the writer cannot hide behind a drift check.
 * It rejects anything outside the subset instead of guessing.
 */
type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

interface Line {
  indent: number;
  text: string;
  no: number;
}

export class YamlSubsetError extends Error {}

function scalar(raw: string, no: number): Value {
  const s = raw.trim();
  if (s.startsWith('"')) {
    try {
      return JSON.parse(s) as string;
    } catch {
      throw new YamlSubsetError(`line ${no}: bad quoted scalar ${s}`);
    }
  }
  if (s === '[]') return [];
  if (s === '{}') return {};
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (/[:#'"{}[\],&*!|>%@`]/.test(s[0]!) || /: |\s#/.test(s)) throw new YamlSubsetError(`line ${no}: '${s}' is outside the subset`);
  return s;
}

/** Splits `key: rest` (key plain or JSON-quoted); undefined when the text is not a mapping entry. */
function splitKey(text: string): { key: string; rest: string } | undefined {
  if (text.startsWith('"')) {
    const m = /^("(?:[^"\\]|\\.)*"):(?: (.*))?$/.exec(text);
    if (!m) return undefined;
    return { key: JSON.parse(m[1]!) as string, rest: m[2] ?? '' };
  }
  const m = /^([A-Za-z0-9_./=+-]+):(?: (.*))?$/.exec(text);
  return m ? { key: m[1]!, rest: m[2] ?? '' } : undefined;
}

export function parseYamlSubset(text: string): Value {
  const lines: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim() || raw.trimStart().startsWith('#')) return;
    if (/\t/.test(raw.slice(0, raw.length - raw.trimStart().length))) throw new YamlSubsetError(`line ${i + 1}: tab indentation`);
    lines.push({ indent: raw.length - raw.trimStart().length, text: raw.trim(), no: i + 1 });
  });
  let pos = 0;

  const block = (indent: number): Value => {
    const l = lines[pos];
    if (!l || l.indent !== indent) throw new YamlSubsetError(`line ${l?.no ?? 'EOF'}: expected a block at indent ${indent}`);
    return l.text === '-' || l.text.startsWith('- ') ? list(indent) : map(indent);
  };

  const map = (indent: number): Value => {
    const out: Record<string, Value> = {};
    while (pos < lines.length && lines[pos]!.indent === indent && !(lines[pos]!.text === '-' || lines[pos]!.text.startsWith('- '))) {
      const l = lines[pos]!;
      const kv = splitKey(l.text);
      if (!kv) throw new YamlSubsetError(`line ${l.no}: expected 'key: value', got '${l.text}'`);
      if (kv.key in out) throw new YamlSubsetError(`line ${l.no}: duplicate key ${kv.key}`);
      pos++;
      if (kv.rest === '') {
        const next = lines[pos];
        if (!next || next.indent <= indent) throw new YamlSubsetError(`line ${l.no}: ${kv.key} has no value`);
        out[kv.key] = block(next.indent);
      } else {
        out[kv.key] = scalar(kv.rest, l.no);
      }
    }
    return out;
  };

  const list = (indent: number): Value => {
    const out: Value[] = [];
    while (pos < lines.length && lines[pos]!.indent === indent && (lines[pos]!.text === '-' || lines[pos]!.text.startsWith('- '))) {
      const l = lines[pos]!;
      const rest = l.text === '-' ? '' : l.text.slice(2);
      if (rest === '') {
        pos++;
        out.push(block(lines[pos]?.indent ?? -1));
      } else if (rest !== '[]' && rest !== '{}' && splitKey(rest)) {
        // "- key: value": a mapping whose first entry sits on the dash line.
        lines[pos] = { indent: indent + 2, text: rest, no: l.no };
        out.push(map(indent + 2));
      } else {
        pos++;
        out.push(scalar(rest, l.no));
      }
    }
    return out;
  };

  if (lines.length === 0) return null;
  const doc = block(lines[0]!.indent);
  if (pos !== lines.length) throw new YamlSubsetError(`line ${lines[pos]!.no}: unexpected '${lines[pos]!.text}'`);
  return doc;
}
