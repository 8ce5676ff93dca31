import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { TemplateCatalog, loadTemplateCatalog } from './template-catalog';
import { TemplateCompiler } from './template-compiler';
import { formatProblem } from './template-source.rules';

const REPO_TEMPLATES = resolve(__dirname, '../../templates');

function templateDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-templates-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe('the templates in the repository', () => {
  let catalog: TemplateCatalog;
  beforeAll(async () => {
    catalog = await loadTemplateCatalog(REPO_TEMPLATES, TemplateCompiler.shared);
  });

  it('all load without a problem', () => {
    expect(catalog.problems.map(formatProblem)).toEqual([]);
  });

  it('cover the funnel: 3 emails per stage, a rep notification and the unsubscribe page', () => {
    const infos = [...catalog.templates.values()].map((t) => t.info);
    const byStage = (stage: string) => infos.filter((i) => i.stage === stage).map((i) => i.kind).sort();
    expect(byStage('top')).toEqual(['pain-point', 'pain-point', 'pain-point']);
    expect(byStage('middle')).toEqual(['ebook', 'webinar', 'whitepaper']);
    expect(byStage('bottom')).toEqual(['case-study', 'comparison', 'demo']);
    expect(infos.filter((i) => i.kind === 'notification').map((i) => i.name)).toEqual(['rep-lead-reassigned', 'rep-new-lead', 'workflow-notification']);
    expect(infos.filter((i) => i.type === 'page').map((i) => i.name)).toEqual(['unsubscribed']);
    expect(Object.keys(catalog.templates.get('demo-invitation')!.info.variants).sort()).toEqual(['decision-maker', 'influencer', 'user']);
  });
});

describe('loadTemplateCatalog on broken templates', () => {
  const layout = '<mjml><mj-body>{{> body}}{{> footer}}</mj-body></mjml>';
  const footer = '<mj-section><mj-column><mj-text><a href="{{unsubscribeUrl}}">u</a></mj-text></mj-column></mj-section>';
  const ok = '---\nsubject: fine\nstage: top\nkind: blog\n---\n<mj-section><mj-column><mj-text>ok</mj-text></mj-column></mj-section>\n';

  it('reports every problem in every file as file:line, counting front-matter lines', async () => {
    const dir = templateDir({
      'layouts/default.mjml': layout,
      'partials/footer.mjml': footer,
      'partials/broken.mjml': 'a\n{{#if x}}',
      'emails/good.mjml': ok,
      'emails/a/dup.mjml': ok,
      'emails/b/dup.mjml': ok,
      'emails/bad.mjml': [
        '---',
        'subject: Hi {{upperr lead.firstName}}',
        'stage: upper',
        'kind: blog',
        'variants:',
        '  user: { subject: "x" }',
        '---',
        '<mj-section>',
        '  <mj-column>',
        '    <mj-text>{{#ifPersona "influencer"}}x{{/ifPersona}}</mj-text>',
        '    {{> nope}}',
        '    <mj-image src="x.png" width="wide" />',
        '  </mj-column>',
        '</mj-section>',
      ].join('\n'),
      'emails/layoutless.mjml': '---\nsubject: x\nstage: top\nkind: blog\nlayout: fancy\n---\n<mj-section></mj-section>',
      'emails/Bad Name.mjml': ok,
      'stray.mjml': ok,
    });
    const { templates, problems } = await loadTemplateCatalog(dir, new TemplateCompiler());
    const lines = problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.message}`);
    expect(lines).toEqual([
      'emails/b/dup.mjml:1: duplicate template name "dup" (also ' + join(dir, 'emails/a/dup.mjml') + ')',
      'emails/Bad Name.mjml:1: the file name "Bad Name" must be kebab-case (a-z, 0-9, -): it is the email\'s name',
      'emails/bad.mjml:2: front matter: subject: unknown helper "upperr"',
      'emails/bad.mjml:3: front matter: stage: Invalid option: expected one of "top"|"middle"|"bottom"',
      'emails/bad.mjml:10: persona "influencer" has no variant in the front matter (variants: user)',
      'emails/bad.mjml:11: unknown partial "nope" (partials are the files in templates/partials, by name)',
      'emails/bad.mjml:12: MJML: Attribute width has invalid value: wide for type Unit, only accepts (px) units and 1 value(s)',
      'emails/layoutless.mjml:5: layout "fancy" not found in layouts/ (use layout: none for a whole <mjml> document)',
      'partials/broken.mjml:2: Handlebars: {{#if}} is never closed (add {{/if}})',
      'stray.mjml:1: ignored: templates go in emails/, pages/, layouts/ or partials/',
    ]);
    expect([...templates.keys()].sort()).toEqual(['dup', 'good']);
  });

  it('says when the directory is missing', async () => {
    const { problems } = await loadTemplateCatalog(join(tmpdir(), 'no-such-kindling-dir'), new TemplateCompiler());
    expect(problems[0].message).toMatch(/does not exist/);
  });

  it('requires an unsubscribe link in marketing emails but not in notifications', async () => {
    const body = '<mjml><mj-body><mj-section><mj-column><mj-text>hi</mj-text></mj-column></mj-section></mj-body></mjml>';
    const dir = templateDir({
      'emails/promo.mjml': `---\nsubject: x\nstage: top\nkind: newsletter\nlayout: none\n---\n${body}`,
      'emails/alert.mjml': `---\nsubject: x\nkind: notification\nlayout: none\n---\n${body}`,
    });
    const { problems } = await loadTemplateCatalog(dir, new TemplateCompiler());
    expect(problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.message.split(':')[0]}`)).toEqual(['emails/promo.mjml:1: marketing emails must link {{unsubscribeUrl}}']);
  });
});
