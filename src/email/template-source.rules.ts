import Handlebars from 'handlebars';

/** A problem located in a source file; `file` is the path shown to people (relative to the templates dir). */
export interface TemplateProblem {
  file: string;
  line: number;
  message: string;
}

export const formatProblem = (p: TemplateProblem): string => `${p.file}:${p.line}: ${p.message}`;

/** A Handlebars source: a template body, a layout or a partial. */
export interface SourceFile {
  file: string;
  source: string;
  /** file line of the source's first character (a template body starts after its front matter) */
  firstLine: number;
  ast: hbs.AST.Program;
}

/** Parses `source` as Handlebars; a syntax error becomes a problem at its line in the file. */
export function parseSource(file: string, source: string, firstLine = 1): { parsed?: SourceFile; problems: TemplateProblem[] } {
  try {
    return { parsed: { file, source, firstLine, ast: Handlebars.parse(source) }, problems: [] };
  } catch (e) {
    const { line, message } = unclosedBlock(source) ?? handlebarsErrorPosition(e);
    return { problems: [{ file, line: line + firstLine - 1, message }] };
  }
}

const BLOCK_TAGS = /\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}|\{\{~?\s*([#^/])\s*>?\s*([^\s}~()]+)/g;

/** Handlebars blames a missing {{/if}} on the end of the text; the person needs the line of the {{#if}}. */
function unclosedBlock(source: string): { line: number; message: string } | undefined {
  const open: { name: string; offset: number }[] = [];
  for (const m of source.matchAll(BLOCK_TAGS)) {
    if (!m[1]) continue;
    if (m[1] !== '/') open.push({ name: m[2], offset: m.index });
    else if (open.at(-1)?.name === m[2]) open.pop();
    else return undefined;
  }
  const last = open.at(-1);
  if (!last) return undefined;
  return { line: countBefore(lineStarts(source), last.offset) + 1, message: `Handlebars: {{#${last.name}}} is never closed (add {{/${last.name}}})` };
}

/** Handlebars reports syntax errors either with lineNumber or as "Parse error on line N:" in the text. */
export function handlebarsErrorPosition(e: unknown): { line: number; message: string } {
  const err = e as { message?: string; lineNumber?: number };
  const text = err.message ?? String(e);
  const parse = /^Parse error on line (\d+):\n([^\n]*)\n[^\n]*\n(.*)$/s.exec(text);
  if (parse) {
    // The parser lists every token it would have accepted; people need to know what is wrong
    const got = /got '([^']+)'/.exec(parse[3])?.[1];
    const what =
      got === 'EOF'
        ? 'the text ends inside an unclosed {{…}} or {{#block}}'
        : got === 'INVALID'
          ? 'a {{…}} is not closed or holds characters Handlebars does not allow'
          : got
            ? `unexpected ${got.toLowerCase().replace(/_/g, ' ')}`
            : parse[3].replace(/\s+/g, ' ');
    return { line: Number(parse[1]), message: `Handlebars syntax error near "${parse[2].trim()}": ${what}` };
  }
  const line = typeof err.lineNumber === 'number' ? err.lineNumber : Number(/ - (\d+):\d+$/.exec(text)?.[1] ?? 1);
  return { line, message: `Handlebars: ${text.replace(/ - \d+:\d+$/, '')}` };
}

interface Chunk {
  at: number;
  file: string;
  line: number;
}

/**
 * A template with its layout and partials spliced in, remembering where every character came
 * from, so an error MJML or Handlebars reports on the combined text points at the right file:line.
 */
export class ComposedSource {
  private readonly lineStarts: number[];

  constructor(
    readonly text: string,
    private readonly chunks: readonly Chunk[],
  ) {
    this.lineStarts = lineStarts(text);
  }

  /** Origin of a character of `text`. */
  locate(offset: number): { file: string; line: number } {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid].at <= offset) lo = mid;
      else hi = mid - 1;
    }
    const chunk = this.chunks[lo] ?? { at: 0, file: '(empty)', line: 1 };
    let line = chunk.line;
    for (let i = chunk.at; i < offset && i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) line++;
    return { file: chunk.file, line };
  }

  /** Origin of a 1-based line (and 0-based column) of `text`, as MJML and Handlebars report them. */
  locateLine(line: number, column = 0): { file: string; line: number } {
    const start = this.lineStarts[Math.min(Math.max(line, 1), this.lineStarts.length) - 1];
    return this.locate(start + column);
  }
}

class Builder {
  text = '';
  readonly chunks: Chunk[] = [];
  append(text: string, file: string, line: number): void {
    if (text === '') return;
    this.chunks.push({ at: this.text.length, file, line });
    this.text += text;
  }
}

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** The slot a layout puts the template body in: `{{> body}}`. */
export const BODY_SLOT = 'body';

/**
 * Builds the MJML document of a template: the layout with the body in its `{{> body}}` slot and
 * every `{{> partial}}` replaced by the partial's text, recursively. Partials are spliced in
 * before MJML runs (not looked up per recipient) so a partial may hold MJML components such as
 * a footer section; `{{> cta url="..." label="..."}}` wraps the partial in a `with` block that
 * adds those keys to the current context, which is what Handlebars does with partial hashes.
 */
export function composeTemplate(input: {
  body: SourceFile;
  layout?: SourceFile;
  partials: ReadonlyMap<string, SourceFile>;
}): { composed: ComposedSource; problems: TemplateProblem[]; partialsUsed: string[] } {
  const out = new Builder();
  const problems: TemplateProblem[] = [];
  const used = new Set<string>();

  const emit = (src: SourceFile, stack: readonly string[], slot?: () => void): number => {
    const starts = lineStarts(src.source);
    const offsetOf = (p: hbs.AST.Position) => starts[p.line - 1] + p.column;
    const lineOf = (offset: number) => src.firstLine + countBefore(starts, offset);
    let pos = 0;
    let slots = 0;
    for (const call of partialCalls(src.ast)) {
      const start = offsetOf(call.loc.start);
      const end = offsetOf(call.loc.end);
      out.append(src.source.slice(pos, start), src.file, lineOf(pos));
      pos = end;
      const at = { file: src.file, line: lineOf(start) };
      const name = call.name.type === 'PathExpression' ? (call.name).original : undefined;
      if (call.type === 'PartialBlockStatement') {
        problems.push({ ...at, message: `partial blocks ({{#> ${name ?? '…'}}}) are not supported; use {{> name key=value}}` });
      } else if (!name) {
        problems.push({ ...at, message: 'dynamic partials ({{> (expression)}}) are not supported: partials are resolved once, before MJML' });
      } else if (name === BODY_SLOT) {
        if (!slot) problems.push({ ...at, message: '{{> body}} is the slot of a layout; templates and partials cannot use it' });
        else if (++slots > 1) problems.push({ ...at, message: 'a layout has one {{> body}} slot' });
        else slot();
      } else if (call.params.length > 0) {
        problems.push({ ...at, message: `{{> ${name} …}}: pass values as key=value pairs, not a context argument` });
      } else if (stack.includes(name)) {
        problems.push({ ...at, message: `partial "${name}" includes itself (${[...stack, name].join(' → ')})` });
      } else {
        const partial = input.partials.get(name);
        if (!partial) {
          problems.push({ ...at, message: `unknown partial "${name}" (partials are the files in templates/partials, by name)` });
          continue;
        }
        used.add(name);
        const hash = call.hash?.pairs.length ? src.source.slice(offsetOf(call.hash.loc.start), offsetOf(call.hash.loc.end)) : undefined;
        if (hash) out.append(`{{#with (partialScope this ${hash})}}`, at.file, at.line);
        emit(partial, [...stack, name]);
        if (hash) out.append('{{/with}}', at.file, at.line);
      }
    }
    out.append(src.source.slice(pos), src.file, lineOf(pos));
    return slots;
  };

  if (input.layout) {
    const slots = emit(input.layout, [], () => emit(input.body, []));
    if (slots === 0) problems.push({ file: input.layout.file, line: 1, message: 'the layout has no {{> body}} slot for the template body' });
  } else {
    emit(input.body, []);
  }
  return { composed: new ComposedSource(out.text, out.chunks), problems, partialsUsed: [...used].sort() };
}

type PartialCall = hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement;

/** Every partial call in document order, including those inside blocks. */
function partialCalls(program: hbs.AST.Program): PartialCall[] {
  const calls: PartialCall[] = [];
  const visit = (p: hbs.AST.Program | undefined) => {
    for (const node of p?.body ?? []) {
      if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') calls.push(node as PartialCall);
      if (node.type === 'BlockStatement') {
        visit((node as hbs.AST.BlockStatement).program);
        visit((node as hbs.AST.BlockStatement).inverse);
      }
    }
  };
  visit(program);
  return calls;
}

function countBefore(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
