import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { z } from 'zod';

/** A problem in one file; lines are 1-based and count the front matter, as an editor shows them. */
export interface LineProblem {
  line: number;
  message: string;
}

export interface FrontMatter<T> {
  /** undefined when the front matter is missing, not YAML, or fails the schema */
  data: T | undefined;
  /** the YAML as parsed, before the schema: lets checks of the body go on when the front matter is wrong */
  raw: unknown;
  /** everything after the closing `---` */
  body: string;
  /** file line of the body's first character */
  bodyLine: number;
  problems: LineProblem[];
  /** file line of a key (or of its nearest existing parent), for problems found later, e.g. an unknown layout */
  lineOf(path: readonly PropertyKey[]): number;
}

const FENCE = /^---[ \t]*$/;
const CLOSE = /^(---|\.\.\.)[ \t]*$/;

/**
 * Splits `---\nyaml\n---\nbody` and validates the YAML with `schema`, reporting each problem at
 * the line of the key it is about, so `file:line` points where the marketer has to look.
 */
export function parseFrontMatter<S extends z.ZodType>(source: string, schema: S): FrontMatter<z.output<S>> {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lines = text.split('\n');
  const fail = (line: number, message: string): FrontMatter<z.output<S>> => ({
    data: undefined,
    raw: undefined,
    body: text,
    bodyLine: 1,
    problems: [{ line, message }],
    lineOf: () => line,
  });

  if (!FENCE.test(lines[0] ?? '')) return fail(1, 'the file must start with front matter: a line "---", YAML (subject, stage, kind, ...), and "---"');
  const close = lines.findIndex((l, i) => i > 0 && CLOSE.test(l));
  if (close < 0) return fail(1, 'the front matter is not closed: add a line "---" after the YAML');

  const yamlText = lines.slice(1, close).join('\n');
  const bodyLine = close + 2;
  const body = lines.slice(close + 1).join('\n');
  const counter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  // The YAML starts on file line 2
  const fileLine = (offset: number) => counter.linePos(offset).line + 1;

  const lineOf = (path: readonly PropertyKey[]): number => {
    let node: unknown = doc.contents;
    let line = 1;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        if (isScalar(pair.key) && pair.key.range) line = fileLine(pair.key.range[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
        node = node.items[key];
        const range = (node as { range?: [number, number, number] }).range;
        if (range) line = fileLine(range[0]);
      } else break;
    }
    return line;
  };

  if (doc.errors.length) {
    return {
      data: undefined,
      raw: undefined,
      body,
      bodyLine,
      problems: doc.errors.map((e) => ({ line: fileLine(e.pos[0]), message: `front matter is not valid YAML: ${e.message.split('\n')[0]}` })),
      lineOf,
    };
  }

  const raw: unknown = doc.toJS() ?? {};
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { data: parsed.data, raw, body, bodyLine, problems: [], lineOf };

  const problems: LineProblem[] = [];
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ line: lineOf([...issue.path, key]), message: `front matter: unknown key "${[...issue.path, key].join('.')}"` });
      continue;
    }
    const missing = issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined;
    const name = issue.path.map(String).join('.') || '(front matter)';
    problems.push({ line: lineOf(issue.path), message: `front matter: ${name}: ${missing ? 'is required' : issue.message}` });
  }
  return { data: undefined, raw, body, bodyLine, problems: problems.sort((a, b) => a.line - b.line), lineOf };
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}
