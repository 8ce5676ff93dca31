import { instrumentLinks } from './link-tracking.rules';
import { LinkState, createHandlebars } from './template.helpers';

describe('instrumentLinks', () => {
  it('routes every <a href> through trackedLink, keeping literal and Handlebars parts apart', () => {
    const { template, problems } = instrumentLinks(
      [
        `<a href="https://x.test/?a=1&amp;b='2'">static</a>`,
        `<a style="color:red" href="{{link url utm_content='button'}}" target="_blank">button</a>`,
        '<a href="{{assignment.acceptUrl}}">accept</a>',
        '<a href="mailto:{{lead.email}}">mail</a>',
        "<A HREF='https://y.test/p/{{{id}}}/x'>upper</A>",
        '<abbr title="not a link">x</abbr><a name="anchor">no href</a>',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(template.split('\n')).toEqual([
      `<a href="{{trackedLink 'https://x.test/?a=1&b=\\'2\\''}}">static</a>`,
      `<a style="color:red" href="{{trackedLink (link url utm_content='button')}}" target="_blank">button</a>`,
      '<a href="{{trackedLink assignment.acceptUrl}}">accept</a>',
      '<a href="mailto:{{lead.email}}">mail</a>',
      `<A HREF="{{trackedLink 'https://y.test/p/' id '/x'}}">upper</A>`,
      '<abbr title="not a link">x</abbr><a name="anchor">no href</a>',
    ]);
  });

  it('refuses blocks inside an href: they belong around the whole tag', () => {
    const { problems } = instrumentLinks('<a href="{{#if vip}}https://a.test{{else}}https://b.test{{/if}}">x</a>');
    expect(problems).toEqual(['a Handlebars block or partial inside a link URL; put it around the whole <a> tag: href="{{#if vip}}https://a.test{{else}}https://b.test{{/if}}"']);
  });

  it('at render time numbers http(s) links in order, rewrites them, and leaves other schemes alone', () => {
    const hb = createHandlebars();
    const tpl = hb.compile(instrumentLinks('<a href="https://a.test/?q=1&amp;r=2">A</a><a href="mailto:{{email}}">M</a><a href="{{url}}">B</a><a href="https://a.test/?q=1&amp;r=2">A</a>').template);
    const links: LinkState = { pass: 'html', urls: [], rewritten: new Map(), rewrite: (_u, i) => `https://t.test/c/${i}?s=1&t=2` };
    const html = tpl({ email: 'ada@x.test', url: 'http://b.test/' }, { data: { template: { name: 'x', utm: {} }, links } });
    expect(links.urls).toEqual(['https://a.test/?q=1&r=2', 'http://b.test/', 'https://a.test/?q=1&r=2']);
    expect(html).toBe(
      '<a href="https://t.test/c/0?s&#x3D;1&amp;t&#x3D;2">A</a><a href="mailto:ada@x.test">M</a><a href="https://t.test/c/1?s&#x3D;1&amp;t&#x3D;2">B</a><a href="https://t.test/c/2?s&#x3D;1&amp;t&#x3D;2">A</a>',
    );
    links.pass = 'text';
    expect(hb.compile('[{{trackedLink "https://a.test/?q=1&r=2"}}]', { noEscape: true })({}, { data: { links } })).toBe('[https://t.test/c/0?s=1&t=2]');
  });
});
