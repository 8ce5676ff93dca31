import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import mjml2html from 'mjml';
import { parseFrontMatter } from '../../../src/email/front-matter.rules';
import { rewriteLinks } from '../../../src/email/link-rewrite.rules';
import { htmlToTextTemplate } from '../../../src/email/plain-text.rules';
import { loadTemplateCatalog } from '../../../src/email/template-catalog';
import { TemplateCompiler } from '../../../src/email/template-compiler';
import { readTemplateFiles } from '../../../src/email/template-files';
import { createHandlebars } from '../../../src/email/template.helpers';
import { RenderContext, renderTemplate } from '../../../src/email/template-render';
import { SourceFile, composeTemplate, parseSource } from '../../../src/email/template-source.rules';
import { emailFrontMatterSchema } from '../../../src/email/template.schemas';
import { BenchOptions, BenchResult, Scenario, perSecond, result } from '../bench';

const NAME = 'render';
/** A bottom-funnel email with persona variants, branches between sections and partials: the realistic worst case. */
const TEMPLATE = 'demo-invitation';
const DEFAULT_ROWS = 20_000;
const WARMUP = 300;
const ROUNDS = 10;
const GOAL_RATIO = 100;
const GOAL_MS = 1;

export const renderScenario: Scenario = {
  name: NAME,
  description: `personalised emails/s from the compiled ${TEMPLATE} template vs compiling its MJML per recipient`,
  run: runRender,
};

async function runRender(opts: BenchOptions): Promise<BenchResult[]> {
  const rows = opts.rows ?? DEFAULT_ROWS;
  const naiveRows = Math.min(Math.max(Math.ceil(rows / 100), 20), 200);
  const dir = process.env.TEMPLATES_DIR ?? resolve('templates');
  const recipients = Array.from({ length: Math.max(rows, naiveRows) }, (_, i) => recipient(i));
  const rewriteLink = (_url: string, index: number) => `https://kindling.example/t/c/bench.${index}`;

  const compiler = new TemplateCompiler();
  const catalog = await loadTemplateCatalog(dir, compiler);
  if (catalog.problems.length) throw new Error(`templates in ${dir} have problems; run npm run cli -- templates check`);
  const template = catalog.templates.get(TEMPLATE);
  if (!template) throw new Error(`no template "${TEMPLATE}" in ${dir}`);
  opts.log(`loaded ${catalog.templates.size} templates from ${dir} (MJML ran ${compiler.mjmlRuns} times)`);

  const naive = await naiveRenderer(dir);
  for (let i = 0; i < WARMUP; i++) renderTemplate(template, recipients[i % recipients.length], { rewriteLink });
  for (let i = 0; i < 3; i++) await naive(recipients[i], rewriteLink);

  // Interleaved rounds, so a busy machine slows both paths alike instead of whichever ran second
  const runsBefore = compiler.mjmlRuns;
  let compiledMs = 0;
  let naiveMs = 0;
  let bytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const from = Math.floor((rows * round) / ROUNDS);
    const to = Math.floor((rows * (round + 1)) / ROUNDS);
    const start = performance.now();
    for (let i = from; i < to; i++) bytes += renderTemplate(template, recipients[i], { rewriteLink }).html.length;
    compiledMs += performance.now() - start;
    const naiveStart = performance.now();
    for (let i = Math.floor((naiveRows * round) / ROUNDS); i < Math.floor((naiveRows * (round + 1)) / ROUNDS); i++) await naive(recipients[i], rewriteLink);
    naiveMs += performance.now() - naiveStart;
  }
  if (compiler.mjmlRuns !== runsBefore) throw new Error('MJML ran while rendering: the compile cache is not used');
  opts.log(`compiled: ${rows} emails in ${Math.round(compiledMs)} ms (${(compiledMs / rows).toFixed(3)} ms each, ${Math.round(bytes / rows / 1024)} KiB HTML)`);
  opts.log(`baseline: ${naiveRows} emails with MJML compiled per recipient in ${Math.round(naiveMs)} ms (${(naiveMs / naiveRows).toFixed(1)} ms each)`);

  // Both paths must produce the same email: same subject, same links in the same order
  for (const r of recipients.slice(0, 8)) {
    const a = renderTemplate(template, r, { rewriteLink });
    const b = await naive(r, rewriteLink);
    if (a.subject !== b.subject || a.links.join() !== b.links.join()) throw new Error(`the two paths disagree for ${r.lead.email}`);
  }

  const perEmail = compiledMs / rows;
  const results = [
    result(NAME, 'emails_rendered_per_s', perSecond(rows, compiledMs), 'emails/s', perSecond(naiveRows, naiveMs)),
    result(NAME, 'ms_per_email', perEmail, 'ms', naiveMs / naiveRows),
  ];
  const ratio = results[0].ratio;
  opts.log(`goal: ratio >= ${GOAL_RATIO} and < ${GOAL_MS} ms per email: ${ratio >= GOAL_RATIO && perEmail < GOAL_MS ? 'met' : 'MISSED'} (${ratio}x, ${perEmail.toFixed(3)} ms)`);
  return results;
}

/**
 * The design the compile cache replaces: per recipient, run Handlebars over the MJML source,
 * compile that with MJML, convert the HTML to text, rewrite the links.
 */
async function naiveRenderer(dir: string): Promise<(ctx: RenderContext, rewrite: (url: string, i: number) => string) => Promise<{ subject: string; links: string[] }>> {
  const { files } = await readTemplateFiles(dir);
  const source = (kind: string, name: string): SourceFile => {
    const f = files.find((x) => x.kind === kind && x.name === name);
    const parsed = f && parseSource(f.display, f.source).parsed;
    if (!parsed) throw new Error(`missing ${kind} ${name}`);
    return parsed;
  };
  const file = files.find((f) => f.kind === 'email' && f.name === TEMPLATE)!;
  const fm = parseFrontMatter(file.source, emailFrontMatterSchema);
  const meta = fm.data!;
  const body = parseSource(file.display, fm.body, fm.bodyLine).parsed!;
  const partials = new Map(files.filter((f) => f.kind === 'partial').map((f) => [f.name, source('partial', f.name)]));
  const mjmlSource = composeTemplate({ body, layout: source('layout', meta.layout), partials }).composed.text;
  const hb = createHandlebars();
  // Handlebars is compiled once here too: the baseline differs only in running MJML (and the text conversion) per recipient
  const personalise = hb.compile(mjmlSource);
  const line = (source: string) => hb.compile(source, { noEscape: true });
  const heads = new Map([['', { subject: line(meta.subject), preheader: line(meta.preheader) }]]);
  for (const [persona, v] of Object.entries(meta.variants)) heads.set(persona, { subject: line(v.subject ?? meta.subject), preheader: line(v.preheader ?? meta.preheader) });
  return async (ctx, rewrite) => {
    const head = heads.get(ctx.persona ?? '') ?? heads.get('')!;
    const data = { template: { name: TEMPLATE, utm: meta.utm ?? {} } };
    const root = { ...ctx.extra, lead: ctx.lead, persona: ctx.persona ?? null, links: ctx.links, unsubscribeUrl: ctx.links?.unsubscribe };
    const subject = head.subject(root, { data }).replace(/\s+/g, ' ').trim();
    const preheader = head.preheader(root, { data });
    const { html } = await mjml2html(personalise({ ...root, subject, preheader }, { data }), { validationLevel: 'skip', keepComments: false });
    const rewritten = rewriteLinks(html, rewrite);
    htmlToTextTemplate(rewritten.html);
    return { subject, links: rewritten.links };
  };
}

const FIRST = ['Ada', 'Grace', 'Jamal', 'Priya', 'Sven', 'Yuki', 'María', 'Liam', '', 'Chloé'];
const COMPANIES = ['Northwind Logistics', 'Globex GmbH', 'Initech', null, 'Hooli Ltd', 'Vandelay Industries'];
const ZONES: [string, string][] = [['America/Chicago', 'en-US'], ['Europe/Berlin', 'de-DE'], ['Asia/Tokyo', 'ja-JP'], ['Europe/London', 'en-GB']];
const PERSONAS = ['decision-maker', 'influencer', 'user', null];

function recipient(i: number): RenderContext {
  const [timezone, locale] = ZONES[i % ZONES.length];
  return {
    lead: { id: `lead-${i}`, email: `lead${i}@bench.example`, firstName: FIRST[i % FIRST.length] || null, company: COMPANIES[i % COMPANIES.length], timezone, locale },
    persona: PERSONAS[i % PERSONAS.length],
    links: { unsubscribe: `https://kindling.example/t/u/bench.${i}` },
  };
}
