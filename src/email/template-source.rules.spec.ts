import { SourceFile, composeTemplate, handlebarsErrorPosition, parseSource } from './template-source.rules';

const src = (file: string, source: string, firstLine = 1): SourceFile => {
  const { parsed, problems } = parseSource(file, source, firstLine);
  if (!parsed) throw new Error(problems.map((p) => p.message).join());
  return parsed;
};

describe('parseSource', () => {
  it('reports a syntax error at its line in the file, counting the front matter', () => {
    expect(parseSource('e.mjml', 'ok\n{{#if a}}\nx{{/each}}', 5).problems).toEqual([{ file: 'e.mjml', line: 6, message: "Handlebars: if doesn't match each" }]);
    expect(parseSource('e.mjml', 'a\n\n{{foo', 10).problems).toEqual([
      { file: 'e.mjml', line: 12, message: 'Handlebars syntax error near "a{{foo": a {{…}} is not closed or holds characters Handlebars does not allow' },
    ]);
  });

  it('blames an unclosed block on the line that opens it, not on the end of the file', () => {
    expect(parseSource('e.mjml', '{{#each a}}\n{{#if b}}\nx\n{{/each}}', 4).problems[0]).toMatchObject({ line: 5, message: "Handlebars: if doesn't match each" });
    expect(parseSource('e.mjml', '{{#each a}}\n{{!-- {{#if}} --}}{{#if b}}\nx{{/if}}\n\n', 4).problems).toEqual([
      { file: 'e.mjml', line: 4, message: 'Handlebars: {{#each}} is never closed (add {{/each}})' },
    ]);
  });

  it('turns the parser\'s token list into a sentence', () => {
    expect(handlebarsErrorPosition(new Error("Parse error on line 1:\nHi {{#if x}}\n------------^\nExpecting 'A', 'B', got 'EOF'")).message).toMatch(/ends inside an unclosed/);
  });
});

describe('composeTemplate', () => {
  const partials = new Map([
    ['footer', src('partials/footer.mjml', '<mj-section>\n  <mj-text>{{unsubscribeUrl}}</mj-text>\n</mj-section>')],
    ['cta', src('partials/cta.mjml', '<mj-button href="{{link url}}">{{label}}</mj-button>')],
    ['loop-a', src('partials/loop-a.mjml', '{{> loop-b}}')],
    ['loop-b', src('partials/loop-b.mjml', '{{> loop-a}}')],
  ]);
  const layout = src('layouts/default.mjml', '<mjml>\n<mj-body>\n{{> body}}\n{{> footer}}\n</mj-body>\n</mjml>');

  it('puts the body in the layout slot and splices partials in, remembering where each line came from', () => {
    const body = src('emails/a.mjml', '<mj-section>\n{{> cta url="https://x.test" label="Go"}}\n</mj-section>', 7);
    const { composed, problems, partialsUsed } = composeTemplate({ body, layout, partials });
    expect(problems).toEqual([]);
    expect(partialsUsed).toEqual(['cta', 'footer']);
    expect(composed.text).toBe(
      '<mjml>\n<mj-body>\n<mj-section>\n{{#with (partialScope this url="https://x.test" label="Go")}}<mj-button href="{{link url}}">{{label}}</mj-button>{{/with}}\n</mj-section>\n<mj-section>\n  <mj-text>{{unsubscribeUrl}}</mj-text>\n</mj-section>\n</mj-body>\n</mjml>',
    );
    const lines = composed.text.split('\n');
    const origin = (needle: string) => composed.locateLine(lines.findIndex((l) => l.includes(needle)) + 1);
    expect(origin('<mjml>')).toEqual({ file: 'layouts/default.mjml', line: 1 });
    expect(origin('<mj-section>')).toEqual({ file: 'emails/a.mjml', line: 7 });
    expect(composed.locate(composed.text.indexOf('<mj-button'))).toEqual({ file: 'partials/cta.mjml', line: 1 });
    expect(origin('{{unsubscribeUrl}}')).toEqual({ file: 'partials/footer.mjml', line: 2 });
    expect(origin('</mj-body>')).toEqual({ file: 'layouts/default.mjml', line: 5 });
  });

  it('reports unknown partials, cycles, misuse of the slot and dynamic partials where they are written', () => {
    const body = src('emails/b.mjml', 'x\n{{> nope}}\n{{> loop-a}}\n{{> body}}\n{{> (lookup . "p")}}\n{{#> cta}}{{/cta}}', 3);
    const { problems } = composeTemplate({ body, layout, partials });
    expect(problems.map((p) => `${p.file}:${p.line}: ${p.message.split(' (')[0]}`)).toEqual([
      'emails/b.mjml:4: unknown partial "nope"',
      'partials/loop-b.mjml:1: partial "loop-a" includes itself',
      'emails/b.mjml:6: {{> body}} is the slot of a layout; templates and partials cannot use it',
      'emails/b.mjml:7: dynamic partials',
      'emails/b.mjml:8: partial blocks',
    ]);
  });

  it('needs exactly one slot in a layout, and works without a layout', () => {
    const body = src('emails/c.mjml', '<mjml></mjml>');
    expect(composeTemplate({ body, layout: src('layouts/x.mjml', '<mjml/>'), partials }).problems[0].message).toMatch(/no {{> body}} slot/);
    expect(composeTemplate({ body, partials }).composed.text).toBe('<mjml></mjml>');
  });
});
