import 'mjml';
import { components } from 'mjml-core';
import { MJML_ENDING_TAGS, protectHandlebars, restoreHandlebars } from './block-protection.rules';

describe('protectHandlebars', () => {
  it('wraps tags between components in mj-raw and leaves raw content and attributes alone', () => {
    const src = [
      '<mj-body>',
      '{{#if vip}}',
      '<mj-section><mj-column><mj-text>{{#if a}}Hi {{name}}{{/if}}</mj-text><mj-button href="{{link url}}">Go</mj-button></mj-column></mj-section>',
      '{{else}}',
      '<mj-section></mj-section>',
      '{{/if}}',
      '</mj-body>',
    ].join('\n');
    const p = protectHandlebars(src);
    expect(p.tags).toEqual(['{{#if vip}}', '{{else}}', '{{/if}}']);
    expect(p.text).toContain('<mj-raw>__KINDLING_HB_0__</mj-raw>\n<mj-section>');
    expect(p.text).toContain('<mj-text>{{#if a}}Hi {{name}}{{/if}}</mj-text>');
    expect(p.text).toContain('href="{{link url}}"');
    expect(p.text.split('\n')).toHaveLength(src.split('\n').length);
    expect(p.offsets[1]).toBe(src.indexOf('{{else}}'));
  });

  it('keeps the line count for tags spanning lines, drops comments, copes with quotes and braces', () => {
    const src = '<mj-body>\n{{#each (filter items\n  kind="a}b")}}\n{{! don\'t }}\n{{!-- <mj-section>{{x}}</mj-section> --}}\n{{/each}}</mj-body>';
    const p = protectHandlebars(src);
    expect(p.tags).toEqual(['{{#each (filter items\n  kind="a}b")}}', '{{/each}}']);
    expect(p.text.split('\n')).toHaveLength(src.split('\n').length);
    expect(p.text).not.toContain('don');
  });

  it('ignores Handlebars inside HTML comments and self-closing ending tags do not swallow the rest', () => {
    const p = protectHandlebars('<!-- {{#if x}} --><mj-raw /><mj-column>{{#if y}}<mj-text>a</mj-text>{{/if}}</mj-column>');
    expect(p.tags).toEqual(['{{#if y}}', '{{/if}}']);
  });

  it('refuses templates that contain its token text', () => {
    expect(() => protectHandlebars('<mj-text>__KINDLING_HB_1__</mj-text>')).toThrow(/reserved/);
  });

  it('knows every ending tag mjml registers, so raw content is never touched', () => {
    const ending = Object.entries(components)
      .filter(([, c]) => c.endingTag)
      .map(([name]) => name)
      .sort();
    expect([...MJML_ENDING_TAGS].sort()).toEqual(ending);
  });
});

describe('restoreHandlebars', () => {
  it('puts every tag back and reports none lost when each token appears once, in order', () => {
    expect(restoreHandlebars('<p>__KINDLING_HB_0__</p>x__KINDLING_HB_1__', ['{{#if a}}', '{{/if}}'])).toEqual({ html: '<p>{{#if a}}</p>x{{/if}}', lost: [] });
  });

  it('reports tokens dropped, duplicated or out of order', () => {
    expect(restoreHandlebars('__KINDLING_HB_0__', ['a', 'b']).lost).toEqual([1]);
    expect(restoreHandlebars('__KINDLING_HB_0____KINDLING_HB_0____KINDLING_HB_1__', ['a', 'b']).lost).toEqual([0]);
    expect(restoreHandlebars('__KINDLING_HB_1____KINDLING_HB_0__', ['a', 'b']).lost).toEqual([0]);
  });
});
