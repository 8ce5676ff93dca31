import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EmailError } from './email.error';
import { TemplateCatalog, loadTemplateCatalog } from './template-catalog';
import { TemplateCompiler } from './template-compiler';
import { CompiledTemplate, RenderContext, RenderOptions, RenderedEmail, renderTemplate } from './template-render';
import { TemplateSummary } from './template.schemas';
import { TemplateProblem, formatProblem } from './template-source.rules';

/**
 * Loads TEMPLATES_DIR at boot and refuses to start (listing every problem) when anything is
 * broken; renders loaded templates per recipient.
 */
@Injectable()
export class TemplateRegistryService implements OnModuleInit {
  private readonly logger = new Logger('Templates');
  private readonly compiler = TemplateCompiler.shared;
  private templates = new Map<string, CompiledTemplate>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const catalog = await this.load();
    if (catalog.problems.length) throw templatesInvalid(this.config.templatesDir, catalog.problems);
    this.templates = catalog.templates;
    this.logger.log(`${this.templates.size} templates loaded from ${this.config.templatesDir}`);
  }

  /** Reads the directory again; unchanged templates come from the compile cache. Does not swap anything in. */
  load(): Promise<TemplateCatalog> {
    return loadTemplateCatalog(this.config.templatesDir, this.compiler);
  }

  get(name: string): CompiledTemplate {
    const t = this.templates.get(name);
    if (!t) throw new EmailError('template_not_found', `No template named "${name}"`);
    return t;
  }

  /**
   * One recipient's subject, preheader, HTML and text. Delivery plugs click tracking in through
   * `options.rewriteLink`; `links` in the result lists the original URLs by the index it saw.
   */
  render(templateName: string, context: RenderContext, options?: RenderOptions): RenderedEmail {
    return renderTemplate(this.get(templateName), context, options);
  }

  list(): TemplateSummary[] {
    return [...this.templates.values()]
      .map(({ info }) => ({
        name: info.name,
        type: info.type,
        subject: info.subject,
        preheader: info.preheader,
        stage: info.stage,
        kind: info.kind,
        variants: Object.keys(info.variants),
        layout: info.layout,
        file: info.file,
        version: info.version,
      }))
      .sort((a, b) => a.file.localeCompare(b.file));
  }

}

export function templatesInvalid(dir: string, problems: readonly TemplateProblem[]): EmailError {
  return new EmailError(
    'templates_invalid',
    `${problems.length} problem(s) in the templates in ${dir}:\n  ${problems.map(formatProblem).join('\n  ')}`,
    problems.map((p) => ({ path: `${p.file}:${p.line}`, message: p.message })),
  );
}
