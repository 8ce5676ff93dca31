import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadTemplateCatalog } from './template-catalog';
import { TemplateCompiler } from './template-compiler';
import { renderTemplate } from './template-render';
import { formatProblem } from './template-source.rules';

function templateDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-templates-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const LAYOUT = '<mjml>\n<mj-head><mj-title>{{subject}}</mj-title><mj-preview>{{preheader}}</mj-preview></mj-head>\n<mj-body>\n{{> body}}\n<mj-section><mj-column><mj-text><a href="{{unsubscribeUrl}}">Unsubscribe</a></mj-text></mj-column></mj-section>\n</mj-body>\n</mjml>';
const BRANCHES = `---
subject: 'Offer for {{default lead.firstName "you"}}'
stage: top
kind: newsletter
---
{{#if vip}}
<mj-section><mj-column><mj-text>VIP-SECTION for {{lead.firstName}}</mj-text></mj-column></mj-section>
{{else}}
<mj-section><mj-column><mj-text>STANDARD-SECTION</mj-text></mj-column></mj-section>
{{/if}}
<mj-section>
  {{#each columns}}
  <mj-column><mj-text>COLUMN-{{this}}</mj-text></mj-column>
  {{/each}}
</mj-section>
`;
const ctx = (vip: boolean) => ({ lead: { email: 'a@b.test', firstName: 'Ada' }, extra: { vip, columns: ['x', 'y'] }, links: { unsubscribe: 'https://u.test/1' } });

describe('TemplateCompiler with MJML', () => {
  it('keeps Handlebars blocks around mj-sections through MJML: only one branch is rendered', async () => {
    const compiler = new TemplateCompiler();
    const { templates, problems } = await loadTemplateCatalog(templateDir({ 'layouts/default.mjml': LAYOUT, 'emails/offer.mjml': BRANCHES }), compiler);
    expect(problems.map(formatProblem)).toEqual([]);
    const t = templates.get('offer')!;

    const vip = renderTemplate(t, ctx(true));
    expect(vip.html).toContain('VIP-SECTION for Ada');
    expect(vip.html).not.toContain('STANDARD-SECTION');
    expect(vip.text).toContain('VIP-SECTION for Ada');
    expect(vip.text).not.toContain('STANDARD-SECTION');

    const standard = renderTemplate(t, ctx(false));
    expect(standard.html).toContain('STANDARD-SECTION');
    expect(standard.html).not.toContain('VIP-SECTION');
    expect(standard.text).not.toContain('VIP-SECTION');
    // the branch takes its whole section with it, including the Outlook table wrappers
    expect((vip.html.match(/<!--\[if mso \| IE\]>/g) ?? []).length).toBe((standard.html.match(/<!--\[if mso \| IE\]>/g) ?? []).length);
    expect(standard.html).not.toMatch(/\{\{|__KINDLING_HB_/);

    // {{#each}} between columns repeats the column
    expect(standard.html.match(/COLUMN-[xy]/g)).toEqual(['COLUMN-x', 'COLUMN-y']);
    expect(vip.subject).toBe('Offer for Ada');
  });

  it('compiles MJML once per version: reloads and renders never run it again', async () => {
    const compiler = new TemplateCompiler();
    const dir = templateDir({ 'layouts/default.mjml': LAYOUT, 'emails/offer.mjml': BRANCHES });
    const first = await loadTemplateCatalog(dir, compiler);
    expect(compiler.mjmlRuns).toBe(1);
    for (let i = 0; i < 200; i++) renderTemplate(first.templates.get('offer')!, ctx(i % 2 === 0));
    const again = await loadTemplateCatalog(dir, compiler);
    expect(compiler.mjmlRuns).toBe(1);
    expect(again.templates.get('offer')!.info.version).toBe(first.templates.get('offer')!.info.version);

    writeFileSync(join(dir, 'emails/offer.mjml'), BRANCHES.replace('STANDARD-SECTION', 'REGULAR-SECTION'));
    const changed = await loadTemplateCatalog(dir, compiler);
    expect(compiler.mjmlRuns).toBe(2);
    expect(changed.templates.get('offer')!.info.version).not.toBe(first.templates.get('offer')!.info.version);
  });

  it('reports a Handlebars tag MJML would drop, at its line', async () => {
    const doc = [
      '---',
      'subject: x',
      'stage: top',
      'kind: blog',
      'layout: none',
      '---',
      '<mjml><mj-head><mj-attributes>',
      '{{#if dark}}<mj-all color="#ffffff" />{{/if}}',
      '</mj-attributes></mj-head>',
      '<mj-body><mj-section><mj-column><mj-text><a href="{{unsubscribeUrl}}">u</a></mj-text></mj-column></mj-section></mj-body></mjml>',
    ].join('\n');
    const { problems } = await loadTemplateCatalog(templateDir({ 'emails/dropped.mjml': doc }), new TemplateCompiler());
    expect(problems.map((p) => [p.line, p.message.slice(0, 37)])).toEqual([
      [8, 'MJML moved or dropped {{#if dark}}: p'],
      [8, 'MJML moved or dropped {{/if}}: put Ha'],
    ]);
  });
});
