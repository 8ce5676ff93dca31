import type Handlebars from 'handlebars';
import { EmailError } from './email.error';
import { collapseBlankLines, wrapText } from './plain-text.rules';
import { HelperData, LinkState } from './template.helpers';
import { EmailKind, Stage, UtmDefaults, VariantOverride, isMarketingKind } from './template.schemas';

type Delegate = Handlebars.TemplateDelegate;

export interface TemplateInfo {
  name: string;
  type: 'email' | 'page';
  /** relative to the templates dir */
  file: string;
  /** content hash of the front matter and the composed MJML: the template's version */
  version: string;
  subject: string;
  preheader: string;
  from: string | null;
  stage: Stage | null;
  kind: EmailKind | null;
  layout: string | null;
  variants: Record<string, VariantOverride>;
  utm: UtmDefaults;
}

interface CompiledHead {
  subject: Delegate;
  preheader: Delegate;
  from?: Delegate;
}

export interface CompiledTemplate {
  info: TemplateInfo;
  html: Delegate;
  text: Delegate;
  /** '' is the base; one entry per persona variant, already merged with the base */
  heads: ReadonlyMap<string, CompiledHead>;
}

/** The lead fields templates read; the Lead entity fits, and so does a plain object. */
export interface TemplateLead {
  id?: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  company?: string | null;
  jobTitle?: string | null;
  industry?: string | null;
  companySize?: number | null;
  country?: string | null;
  timezone?: string | null;
  locale?: string | null;
  attributes?: Record<string, unknown>;
}

export interface RenderContext {
  lead: TemplateLead;
  /** selects the front-matter variant and drives {{#ifPersona}}; unknown personas get the base */
  persona?: string | null;
  /** anything else the template reads at the top level (assignment, rep, score, ...) */
  extra?: Record<string, unknown>;
  /** named URLs; `unsubscribe` is required for marketing kinds and becomes {{unsubscribeUrl}} */
  links?: { unsubscribe?: string; [name: string]: string | undefined };
}

export interface RenderOptions {
  /**
   * Delivery's click-tracking hook: called for every http(s) href of an <a> in the template, in
   * document order; the text part gets the same replacement. Without it links stay as the
   * template wrote them. (HTML inserted raw with {{{…}}} is not looked into.)
   */
  rewriteLink?: (url: string, index: number) => string;
}

export interface RenderedEmail {
  subject: string;
  preheader: string;
  from: string | null;
  html: string;
  text: string;
  /** original http(s) link URLs of the HTML, in order: index i is what rewriteLink saw as i */
  links: string[];
  version: string;
}

/** One recipient's email from a compiled template: Handlebars only, no MJML, no HTML parsing. */
export function renderTemplate(t: CompiledTemplate, ctx: RenderContext, opts: RenderOptions = {}): RenderedEmail {
  const { info } = t;
  const links = ctx.links ?? {};
  if (info.kind && isMarketingKind(info.kind) && !links.unsubscribe) {
    throw new EmailError('unsubscribe_link_missing', `Template "${info.name}" is a ${info.kind} email and needs links.unsubscribe`);
  }
  const persona = ctx.persona ?? null;
  const head = (persona !== null && t.heads.get(persona)) || t.heads.get('')!;
  const base = {
    ...ctx.extra,
    lead: ctx.lead,
    persona,
    links,
    unsubscribeUrl: links.unsubscribe ?? null,
    template: { name: info.name, stage: info.stage, kind: info.kind },
  };
  const data: HelperData = { template: { name: info.name, utm: info.utm } };
  try {
    const subject = oneLine(head.subject(base, { data }));
    const preheader = oneLine(head.preheader(base, { data }));
    const from = head.from ? oneLine(head.from(base, { data })) : null;
    const root = { ...base, subject, preheader };
    // Links are numbered and rewritten inside the Handlebars pass (see instrumentLinks): no second scan of the HTML
    const links: LinkState = { pass: 'html', urls: [], rewritten: new Map(), rewrite: opts.rewriteLink };
    const bodyData: HelperData = { ...data, links };
    const html = t.html(root, { data: bodyData });
    links.pass = 'text';
    const text = wrapText(collapseBlankLines(t.text(root, { data: bodyData })));
    return { subject, preheader, from, html, text, links: links.urls, version: info.version };
  } catch (e) {
    if (e instanceof EmailError) throw e;
    throw new EmailError('template_render_failed', `Rendering "${info.name}" failed: ${(e as Error).message}`);
  }
}

/** Header values: no line breaks (header injection), no runs of spaces. */
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
