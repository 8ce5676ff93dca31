import { z } from 'zod';
import { parseFrontMatter } from './front-matter.rules';
import { emailFrontMatterSchema } from './template.schemas';

const doc = (...lines: string[]) => lines.join('\n');

describe('parseFrontMatter', () => {
  it('splits the YAML from the body and says on which file line the body starts', () => {
    const fm = parseFrontMatter(doc('---', 'subject: Hello {{lead.firstName}}', 'stage: top', 'kind: blog', '---', '<mj-section>', '</mj-section>'), emailFrontMatterSchema);
    expect(fm.problems).toEqual([]);
    expect(fm.data).toMatchObject({ subject: 'Hello {{lead.firstName}}', stage: 'top', kind: 'blog', layout: 'default', preheader: '', variants: {} });
    expect(fm.bodyLine).toBe(6);
    expect(fm.body).toBe('<mj-section>\n</mj-section>');
  });

  it('reports schema problems at the line of the key, counting the opening ---', () => {
    const fm = parseFrontMatter(
      doc('---', 'subject: Hi', 'stage: upper', 'kind: blog', 'variants:', '  influencer:', '    subjet: typo', '---', 'body'),
      emailFrontMatterSchema,
    );
    expect(fm.data).toBeUndefined();
    expect(fm.problems).toEqual([
      { line: 3, message: expect.stringMatching(/^front matter: stage: .*top/) },
      { line: 7, message: 'front matter: unknown key "variants.influencer.subjet"' },
    ]);
    expect(fm.bodyLine).toBe(9);
    expect(fm.lineOf(['variants', 'influencer'])).toBe(6);
  });

  it('says a missing required key "is required", at the opening line', () => {
    const fm = parseFrontMatter(doc('---', 'kind: webinar', '---', ''), emailFrontMatterSchema);
    expect(fm.problems).toEqual([{ line: 1, message: 'front matter: subject: is required' }]);
    const noStage = parseFrontMatter(doc('---', 'subject: Hi', 'kind: webinar', '---', ''), emailFrontMatterSchema);
    expect(noStage.problems).toEqual([{ line: 1, message: 'front matter: stage: is required for a webinar email (top, middle or bottom)' }]);
  });

  it('points YAML syntax errors at their file line and keeps the raw value for other checks', () => {
    const bad = parseFrontMatter(doc('---', 'subject: ok', 'kind: [unclosed', '---', 'x'), z.object({}));
    expect(bad.problems[0].line).toBeGreaterThanOrEqual(3);
    expect(bad.problems[0].line).toBeLessThanOrEqual(4);
    expect(bad.problems[0].message).toMatch(/not valid YAML/);
    const raw = parseFrontMatter(doc('---', 'subject: ok', 'kind: nope', '---'), emailFrontMatterSchema);
    expect(raw.raw).toEqual({ subject: 'ok', kind: 'nope' });
  });

  it('requires the front matter to be there and closed', () => {
    expect(parseFrontMatter('<mjml></mjml>', emailFrontMatterSchema).problems[0]).toMatchObject({ line: 1, message: expect.stringMatching(/must start with front matter/) });
    expect(parseFrontMatter('---\nsubject: x\n', emailFrontMatterSchema).problems[0].message).toMatch(/not closed/);
  });

  it('handles Windows line endings and a BOM without shifting lines', () => {
    const fm = parseFrontMatter('\uFEFF---\r\nsubject: Hi\r\nkind: notification\r\n---\r\nbody', emailFrontMatterSchema);
    expect(fm.problems).toEqual([]);
    expect(fm.bodyLine).toBe(5);
    expect(fm.body).toBe('body');
  });
});
