import { createHash } from 'node:crypto';
import type Handlebars from 'handlebars';
import mjml2html from 'mjml';
import { protectHandlebars, restoreHandlebars } from './block-protection.rules';
import { instrumentLinks } from './link-tracking.rules';
import { countBlockTags, htmlToTextTemplate, visibleBlockTagCount } from './plain-text.rules';
import { HELPER_NAMES, createHandlebars } from './template.helpers';
import { ComposedSource, TemplateProblem, handlebarsErrorPosition } from './template-source.rules';

type Delegate = Handlebars.TemplateDelegate;

/** The per-version product of MJML: Handlebars templates for the HTML and the text part. */
export interface CompiledBody {
  html: Delegate;
  text: Delegate;
  /** the compiled HTML with Handlebars tags, before any recipient (for inspection and tests) */
  htmlSource: string;
  textSource: string;
}

export const contentHash = (...parts: string[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
};

const KNOWN_HELPERS = Object.fromEntries(HELPER_NAMES.map((n) => [n, true]));

/**
 * Compiles MJML once per distinct document (keyed by content hash) and Handlebars once per
 * compiled HTML. Reloading unchanged templates costs a hash; rendering never touches MJML.
 */
export class TemplateCompiler {
  /** The process-wide compiler: app instances, reloads and the CLI share one cache. */
  static readonly shared = new TemplateCompiler();

  readonly handlebars = createHandlebars();
  private readonly bodies = new Map<string, Promise<CompiledBody | TemplateProblem[]>>();
  private readonly lines = new Map<string, Delegate>();
  /** how many times MJML actually ran; the cache's effect is visible in tests and the bench */
  mjmlRuns = 0;

  compileBody(composed: ComposedSource): Promise<CompiledBody | TemplateProblem[]> {
    const key = contentHash(composed.text);
    let entry = this.bodies.get(key);
    if (!entry) {
      entry = this.build(composed);
      this.bodies.set(key, entry);
      // Only successes are kept: problems carry file:line positions of this particular composition
      const forget = () => this.bodies.delete(key);
      entry.then((r) => Array.isArray(r) && forget(), forget);
    }
    return entry;
  }

  /** Subject, preheader and from: plain text, so no HTML escaping. Throws on syntax errors. */
  compileLine(source: string): Delegate {
    let fn = this.lines.get(source);
    if (!fn) {
      this.handlebars.parse(source);
      // Most subjects and preheaders have no {{…}}: skip the Handlebars call per recipient
      fn = source.includes('{{') ? this.handlebars.compile(source, { noEscape: true, knownHelpers: KNOWN_HELPERS }) : () => source;
      this.lines.set(source, fn);
    }
    return fn;
  }

  private async build(composed: ComposedSource): Promise<CompiledBody | TemplateProblem[]> {
    const at = (offset: number, message: string): TemplateProblem => ({ ...composed.locate(offset), message });
    let prot;
    try {
      prot = protectHandlebars(composed.text);
    } catch (e) {
      return [at(0, (e as Error).message)];
    }
    let result: Awaited<ReturnType<typeof mjml2html>>;
    try {
      this.mjmlRuns++;
      result = await mjml2html(prot.text, { validationLevel: 'soft', keepComments: false, ignoreIncludes: true });
    } catch (e) {
      return [at(0, `MJML could not compile the document: ${(e as Error).message}`)];
    }
    const problems: TemplateProblem[] = result.errors.map((e) => ({ ...composed.locateLine(e.line), message: `MJML: ${e.message}` }));
    const restored = restoreHandlebars(result.html, prot.tags);
    for (const n of restored.lost) {
      problems.push(at(prot.offsets[n], `MJML moved or dropped ${prot.tags[n]}: put Handlebars between sections or columns, or inside mj-text`));
    }
    const linked = instrumentLinks(restored.html);
    for (const p of linked.problems) problems.push(at(0, p));
    if (problems.length) return problems;

    const html = linked.template;
    const textSource = htmlToTextTemplate(html);
    if (countBlockTags(textSource) !== visibleBlockTagCount(html)) {
      return [at(0, 'the plain-text part lost Handlebars block tags: keep {{#if}}/{{#each}} around whole elements, not inside attributes')];
    }
    try {
      // compile() is lazy; parse now so a bad combination of layout and template fails the load
      this.handlebars.parse(html);
      this.handlebars.parse(textSource);
    } catch (e) {
      const { line, message } = handlebarsErrorPosition(e);
      return [{ ...composed.locateLine(1), message: `after MJML (compiled line ${line}): ${message}` }];
    }
    return {
      html: this.handlebars.compile(html, { knownHelpers: KNOWN_HELPERS }),
      text: this.handlebars.compile(textSource, { noEscape: true, knownHelpers: KNOWN_HELPERS }),
      htmlSource: html,
      textSource,
    };
  }
}
