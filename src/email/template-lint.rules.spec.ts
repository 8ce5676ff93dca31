import Handlebars from 'handlebars';
import { HELPER_NAMES } from './template.helpers';
import { BUILTIN_HELPERS, lintTemplateAst } from './template-lint.rules';

const helpers = new Set([...BUILTIN_HELPERS, ...HELPER_NAMES]);
const lint = (source: string, personas: string[] = []) => lintTemplateAst(Handlebars.parse(source), { helpers, personas });

describe('lintTemplateAst', () => {
  it('accepts known helpers, plain values and sections', () => {
    const r = lint('{{lead.firstName}} {{#lead}}{{company}}{{/lead}} {{default lead.firstName "there"}} {{#each reasons}}{{this}}{{/each}} {{formatDate at "short-datetime"}}');
    expect(r.problems).toEqual([]);
  });

  it('flags unknown helpers where they are used, including in sub-expressions', () => {
    expect(lint('a\n  {{upperr lead.firstName}}\n{{#if (equals a b)}}x{{/if}}').problems).toEqual([
      { line: 2, column: 2, message: 'unknown helper "upperr"' },
      { line: 3, column: 6, message: 'unknown helper "equals"' },
    ]);
  });

  it('checks ifPersona names against the declared variants', () => {
    const r = lint('{{#ifPersona "decision-maker"}}a{{else ifPersona "influenser"}}b{{/ifPersona}}', ['decision-maker', 'influencer']);
    expect(r.problems.map((p) => p.message)).toEqual(['persona "influenser" has no variant in the front matter (variants: decision-maker, influencer)']);
    expect(lint('{{#ifPersona persona}}x{{/ifPersona}}').problems[0].message).toMatch(/quoted strings/);
    expect(lint('{{#ifPersona "anyone"}}x{{/ifPersona}}').problems).toEqual([]);
  });

  it('wants absolute http(s) URLs and utm_* keys for link, and known formatDate styles', () => {
    expect(lint('{{link "/relative"}} {{link "https://ok.test" utm_campain="x"}} {{formatDate d "fancy"}}').problems.map((p) => p.message)).toEqual([
      'link needs an absolute http(s) URL, not "/relative"',
      'link takes utm_source, utm_medium, utm_campaign, utm_content or utm_term, not "utm_campain"',
      expect.stringMatching(/^formatDate style must be one of date, /) as unknown as string,
    ]);
  });

  it('notices whether the unsubscribe link is used', () => {
    expect(lint('<a href="{{unsubscribeUrl}}">x</a>').usesUnsubscribeUrl).toBe(true);
    expect(lint('{{#with lead}}{{@root.unsubscribeUrl}}{{/with}}').usesUnsubscribeUrl).toBe(true);
    expect(lint('nothing').usesUnsubscribeUrl).toBe(false);
  });
});
