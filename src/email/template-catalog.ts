import Handlebars from 'handlebars';
import { FrontMatter, parseFrontMatter } from './front-matter.rules';
import { sampleContext } from './sample-context';
import { TemplateCompiler, contentHash } from './template-compiler';
import { TemplateFile, readTemplateFiles } from './template-files';
import { HELPER_NAMES } from './template.helpers';
import { BUILTIN_HELPERS, lintTemplateAst } from './template-lint.rules';
import { CompiledTemplate, TemplateInfo, renderTemplate } from './template-render';
import { EmailFrontMatter, PageFrontMatter, emailFrontMatterSchema, isMarketingKind, pageFrontMatterSchema } from './template.schemas';
import { ComposedSource, SourceFile, TemplateProblem, composeTemplate, formatProblem, handlebarsErrorPosition, parseSource } from './template-source.rules';

export interface TemplateCatalog {
  templates: Map<string, CompiledTemplate>;
  /** every problem in every file; empty means all templates compiled and rendered with sample data */
  problems: TemplateProblem[];
}

const HELPERS: ReadonlySet<string> = new Set([...BUILTIN_HELPERS, ...HELPER_NAMES]);
/** `layout: none`: the template is a whole <mjml> document */
const NO_LAYOUT = 'none';
/** Used to render each template once at load, so runtime errors surface at boot and not at send */
const CHECK_URL = 'https://kindling.invalid';

/**
 * Loads, validates and compiles every template under `dir`. Never throws for template
 * content: everything wrong is collected as file:line problems, so one run reports them all.
 */
export async function loadTemplateCatalog(dir: string, compiler: TemplateCompiler): Promise<TemplateCatalog> {
  const { files, problems } = await readTemplateFiles(dir);
  const shared = (kind: 'layout' | 'partial') => {
    const ok = new Map<string, SourceFile>();
    const broken = new Set<string>();
    for (const f of files.filter((x) => x.kind === kind)) {
      const { parsed, problems: p } = parseSource(f.display, f.source);
      problems.push(...p);
      if (parsed) ok.set(f.name, parsed);
      else broken.add(f.name);
    }
    return { ok, broken };
  };
  const layouts = shared('layout');
  const partials = shared('partial');

  const templates = new Map<string, CompiledTemplate>();
  for (const file of files.filter((f) => f.kind === 'email' || f.kind === 'page')) {
    const result = await loadOne(file, { layouts, partials, compiler });
    if (Array.isArray(result)) problems.push(...result);
    else templates.set(file.name, result);
  }
  return { templates, problems: dedupe(problems) };
}

type Shared = { ok: Map<string, SourceFile>; broken: Set<string> };
type CompiledHeads = CompiledTemplate['heads'];

async function loadOne(file: TemplateFile, deps: { layouts: Shared; partials: Shared; compiler: TemplateCompiler }): Promise<CompiledTemplate | TemplateProblem[]> {
  const problemAt = (line: number, message: string): TemplateProblem => ({ file: file.display, line, message });
  const fm: FrontMatter<EmailFrontMatter | PageFrontMatter> =
    file.kind === 'email' ? parseFrontMatter(file.source, emailFrontMatterSchema) : parseFrontMatter(file.source, pageFrontMatterSchema);
  const body = parseSource(file.display, fm.body, fm.bodyLine);
  const problems = [...fm.problems.map((p) => problemAt(p.line, p.message)), ...body.problems];
  if (!body.parsed) return problems;
  // With a broken front matter the body is still checked, from what the YAML says, so one run lists everything
  const heads = headSources(file.kind === 'page', fm.data ?? fm.raw);
  const personas = Object.keys(heads.variants);
  const compiledHeads = compileHeads(heads, deps.compiler, fm, problemAt, problems);
  const layoutName = heads.layout ?? (file.kind === 'page' ? 'page' : 'default');

  let layout: SourceFile | undefined;
  if (layoutName !== NO_LAYOUT) {
    layout = deps.layouts.ok.get(layoutName);
    if (!layout) {
      if (!deps.layouts.broken.has(layoutName)) {
        problems.push(problemAt(fm.lineOf(['layout']), `layout "${layoutName}" not found in layouts/ (use layout: none for a whole <mjml> document)`));
      }
      return problems;
    }
  }
  const composition = composeTemplate({ body: body.parsed, layout, partials: deps.partials.ok });
  const missingBroken = composition.problems.filter((p) => [...deps.partials.broken].some((n) => p.message.startsWith(`unknown partial "${n}"`)));
  problems.push(...composition.problems.filter((p) => !missingBroken.includes(p)));
  // What could be spliced in is still checked, so a missing partial does not hide other mistakes
  const composed = composition.composed;

  const meta = fm.data;
  const emailMeta = meta && 'kind' in meta ? meta : undefined;
  problems.push(...lintComposed(composed, personas, emailMeta ? isMarketingKind(emailMeta.kind) : false, problemAt));
  const compiled = await deps.compiler.compileBody(composed);
  if (Array.isArray(compiled)) problems.push(...compiled);
  if (!meta || problems.length || missingBroken.length || Array.isArray(compiled)) return problems;

  const info: TemplateInfo = {
    name: file.name,
    type: file.kind === 'page' ? 'page' : 'email',
    file: file.relPath,
    version: contentHash(JSON.stringify(meta), composed.text),
    subject: emailMeta ? emailMeta.subject : (meta as PageFrontMatter).title,
    preheader: emailMeta?.preheader ?? '',
    from: emailMeta?.from ?? null,
    stage: emailMeta?.stage ?? null,
    kind: emailMeta?.kind ?? null,
    layout: meta.layout === NO_LAYOUT ? null : meta.layout,
    variants: emailMeta?.variants ?? {},
    utm: emailMeta?.utm ?? {},
  };
  const template: CompiledTemplate = { info, html: compiled.html, text: compiled.text, heads: compiledHeads };
  for (const persona of [undefined, ...personas]) {
    try {
      renderTemplate(template, sampleContext(CHECK_URL, persona));
    } catch (e) {
      problems.push(problemAt(1, `rendering with sample data${persona ? ` for persona ${persona}` : ''} failed: ${(e as Error).message}`));
    }
  }
  return problems.length ? problems : template;
}

interface HeadSources {
  page: boolean;
  subject?: string;
  preheader?: string;
  from?: string;
  layout?: string;
  variants: Record<string, { subject?: string; preheader?: string; from?: string }>;
}

/** The Handlebars fields of the front matter, from validated data or, when it failed the schema, from whatever strings the YAML has. */
function headSources(page: boolean, value: unknown): HeadSources {
  const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const fm = obj(value);
  const variants: HeadSources['variants'] = {};
  if (!page) {
    for (const [persona, v] of Object.entries(obj(fm.variants))) {
      const o = obj(v);
      variants[persona] = { subject: text(o.subject), preheader: text(o.preheader), from: text(o.from) };
    }
  }
  return { page, subject: text(page ? fm.title : fm.subject), preheader: text(fm.preheader), from: text(fm.from), layout: text(fm.layout), variants };
}

function lintComposed(composed: ComposedSource, personas: string[], marketing: boolean, problemAt: (l: number, m: string) => TemplateProblem): TemplateProblem[] {
  let ast: hbs.AST.Program;
  try {
    // Each file parsed on its own; together they can still fail (a block opened in the layout, closed in the body)
    ast = Handlebars.parse(composed.text);
  } catch (e) {
    const { line, message } = handlebarsErrorPosition(e);
    return [{ ...composed.locateLine(line), message }];
  }
  const lint = lintTemplateAst(ast, { helpers: HELPERS, personas });
  const problems = lint.problems.map((p) => ({ ...composed.locateLine(p.line, p.column), message: p.message }));
  if (marketing && !lint.usesUnsubscribeUrl) {
    problems.push(problemAt(1, 'marketing emails must link {{unsubscribeUrl}}: use a layout with the footer partial, or add the link'));
  }
  return problems;
}

/** Subject, preheader and from for the base and each persona variant (a variant falls back to the base per field). */
function compileHeads(
  src: HeadSources,
  compiler: TemplateCompiler,
  fm: FrontMatter<unknown>,
  problemAt: (l: number, m: string) => TemplateProblem,
  problems: TemplateProblem[],
): CompiledHeads {
  const personas = Object.keys(src.variants);
  const compile = (source: string | undefined, path: string[]) => {
    if (source === undefined) return undefined;
    const where = `front matter: ${path.join('.')}`;
    try {
      const lint = lintTemplateAst(Handlebars.parse(source), { helpers: HELPERS, personas });
      for (const p of lint.problems) problems.push(problemAt(fm.lineOf(path), `${where}: ${p.message}`));
      return compiler.compileLine(source);
    } catch (e) {
      problems.push(problemAt(fm.lineOf(path), `${where}: ${handlebarsErrorPosition(e).message}`));
      return undefined;
    }
  };
  const empty = compiler.compileLine('');
  const base = {
    subject: compile(src.subject, [src.page ? 'title' : 'subject']) ?? empty,
    preheader: compile(src.preheader, ['preheader']) ?? empty,
    from: compile(src.from, ['from']),
  };
  const heads = new Map<string, typeof base>([['', base]]);
  for (const [persona, v] of Object.entries(src.variants)) {
    heads.set(persona, {
      subject: compile(v.subject, ['variants', persona, 'subject']) ?? base.subject,
      preheader: compile(v.preheader, ['variants', persona, 'preheader']) ?? base.preheader,
      from: compile(v.from, ['variants', persona, 'from']) ?? base.from,
    });
  }
  return heads;
}

function dedupe(problems: TemplateProblem[]): TemplateProblem[] {
  const seen = new Map<string, TemplateProblem>();
  for (const p of problems) seen.set(formatProblem(p), p);
  return [...seen.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
