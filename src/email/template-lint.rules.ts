import { DATE_STYLE_NAMES } from './template.helpers';

/** Handlebars' own helpers, always available. */
export const BUILTIN_HELPERS = ['if', 'unless', 'each', 'with', 'lookup', 'log'] as const;

export interface LintOptions {
  /** every helper name a template may call */
  helpers: ReadonlySet<string>;
  /** persona variants declared in the front matter; `ifPersona` may only name these when there are any */
  personas: readonly string[];
}

export interface PositionedProblem {
  /** position in the parsed text (1-based line, 0-based column), mapped back to a file by the caller */
  line: number;
  column: number;
  message: string;
}

export interface LintResult {
  problems: PositionedProblem[];
  /** the template references {{unsubscribeUrl}} somewhere (the layout's footer counts) */
  usesUnsubscribeUrl: boolean;
}

type Call = hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression;

/**
 * Checks the composed template's Handlebars AST for what the parser accepts but rendering would
 * get wrong: unknown helpers (a typo renders as nothing), `ifPersona` naming a persona the
 * template has no variant for, `link` given something that is not an absolute http(s) URL, and
 * formatDate styles that do not exist.
 */
export function lintTemplateAst(ast: hbs.AST.Program, opts: LintOptions): LintResult {
  const problems: PositionedProblem[] = [];
  let usesUnsubscribeUrl = false;
  const at = (node: hbs.AST.Node, message: string) => problems.push({ line: node.loc.start.line, column: node.loc.start.column, message });

  walk(ast, (node) => {
    if (node.type === 'PathExpression') {
      const path = node as hbs.AST.PathExpression;
      if (path.original === 'unsubscribeUrl' || path.original === '@root.unsubscribeUrl') usesUnsubscribeUrl = true;
      return;
    }
    if (node.type !== 'MustacheStatement' && node.type !== 'BlockStatement' && node.type !== 'SubExpression') return;
    const call = node as Call;
    if (call.path.type !== 'PathExpression') return;
    const path = call.path as hbs.AST.PathExpression;
    const isSimple = !path.data && path.depth === 0 && path.parts.length === 1 && path.original !== 'this';
    const hasArgs = call.params.length > 0 || (call.hash?.pairs.length ?? 0) > 0;
    if (!isSimple || (!hasArgs && node.type !== 'SubExpression')) return;
    const name = path.original;
    if (!opts.helpers.has(name)) {
      at(node, `unknown helper "${name}"`);
      return;
    }
    if (name === 'ifPersona') checkPersonas(call, opts.personas, at);
    if (name === 'link') checkLink(call, at);
    if (name === 'formatDate') checkDateStyle(call, at);
  });
  return { problems, usesUnsubscribeUrl };
}

function checkPersonas(call: Call, personas: readonly string[], at: (n: hbs.AST.Node, m: string) => void): void {
  if (call.params.length === 0) at(call, 'ifPersona needs at least one persona name, e.g. {{#ifPersona "decision-maker"}}');
  for (const param of call.params) {
    if (param.type !== 'StringLiteral') {
      at(param, 'ifPersona takes persona names as quoted strings');
      continue;
    }
    const persona = (param as hbs.AST.StringLiteral).value;
    if (personas.length > 0 && !personas.includes(persona)) {
      at(param, `persona "${persona}" has no variant in the front matter (variants: ${personas.join(', ')})`);
    }
  }
}

function checkLink(call: Call, at: (n: hbs.AST.Node, m: string) => void): void {
  const [url] = call.params;
  if (!url) return at(call, 'link needs a URL, e.g. {{link "https://example.com/guide" utm_content="hero"}}');
  if (url.type === 'StringLiteral') {
    const value = (url as hbs.AST.StringLiteral).value;
    if (!/^https?:\/\/[^\s/]+/i.test(value)) at(url, `link needs an absolute http(s) URL, not "${value}"`);
  }
  for (const pair of call.hash?.pairs ?? []) {
    if (!/^utm_(source|medium|campaign|content|term)$/.test(pair.key)) at(pair, `link takes utm_source, utm_medium, utm_campaign, utm_content or utm_term, not "${pair.key}"`);
  }
}

function checkDateStyle(call: Call, at: (n: hbs.AST.Node, m: string) => void): void {
  const styles = [call.params[1], call.hash?.pairs.find((p) => p.key === 'style')?.value];
  for (const style of styles) {
    if (style?.type === 'StringLiteral' && !DATE_STYLE_NAMES.includes((style as hbs.AST.StringLiteral).value)) {
      at(style, `formatDate style must be one of ${DATE_STYLE_NAMES.join(', ')}`);
    }
  }
}

/** Visits every AST node (statements, expressions, hash pairs) in document order. */
function walk(node: unknown, visit: (node: hbs.AST.Node) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  if (typeof node !== 'object' || node === null || typeof (node as { type?: unknown }).type !== 'string') return;
  visit(node as hbs.AST.Node);
  for (const [key, value] of Object.entries(node)) if (key !== 'loc' && key !== 'strip') walk(value, visit);
}
