import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { z } from 'zod';

/** A problem in a definition file, where a marketer's editor will show it. */
export interface ModelProblem {
  file: string;
  /** 1-based */
  line: number;
  /** dotted path inside the document, e.g. rules.3.points; empty for the document */
  path: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T; lineOf: (path: readonly PropertyKey[]) => number } | { ok: false; problems: ModelProblem[] };

export const formatProblem = (p: ModelProblem): string => `${p.file}:${p.line}: ${p.path ? `${p.path}: ` : ''}${p.message}`;

/**
 * Parses YAML and validates it with a zod schema, reporting every problem at the line of the
 * key it is about (or its nearest existing parent). `firstLine` is the file line the YAML
 * starts on, for YAML embedded in another file.
 */
export function parseYamlModel<S extends z.ZodType>(source: string, schema: S, file: string, firstLine = 1): ParseResult<z.output<S>> {
  const counter = new LineCounter();
  const doc = parseDocument(source.replace(/^\uFEFF/, ''), { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const fileLine = (offset: number) => counter.linePos(offset).line + firstLine - 1;
  if (doc.errors.length) {
    return { ok: false, problems: doc.errors.map((e) => ({ file, line: fileLine(e.pos[0]), path: '', message: `not valid YAML: ${e.message.split('\n')[0]}` })) };
  }

  const lineOf = (path: readonly PropertyKey[]): number => {
    let node: unknown = doc.contents;
    let line = firstLine;
    const rangeOf = (n: unknown) => (n as { range?: [number, number, number] } | null)?.range;
    if (rangeOf(node)) line = fileLine(rangeOf(node)![0]);
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        if (isScalar(pair.key) && pair.key.range) line = fileLine(pair.key.range[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
        node = node.items[key];
        if (rangeOf(node)) line = fileLine(rangeOf(node)![0]);
      } else break;
    }
    return line;
  };

  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => {
        // an unknown key is reported on the key itself, not on its parent
        const keys = i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys : [];
        const path = keys.length ? [...i.path, keys[0]] : i.path;
        return { file, line: lineOf(path), path: path.map(String).join('.'), message: i.message };
      }),
    };
  }
  return { ok: true, value: parsed.data, lineOf };
}
