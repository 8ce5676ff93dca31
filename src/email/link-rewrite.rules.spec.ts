import { decodeEntities, extractLinks, rewriteLinks } from './link-rewrite.rules';

describe('rewriteLinks', () => {
  const html = [
    '<a href="https://a.test/x?u=1&amp;v=2">A</a>',
    '<a class="btn" HREF=\'http://b.test/\' target="_blank">B</a>',
    '<a href="mailto:sales@x.test">mail</a>',
    '<a href="tel:+4912345">call</a>',
    '<a href="#top">top</a>',
    '<a data-href="https://not-a-link.test" name="n">anchor</a>',
    '<img src="https://img.test/p.png">',
    '<a title="x > y" href=https://c.test/?q&#x3D;1>C</a>',
    '<a href="https://a.test/x?u=1&amp;v=2">A again</a>',
  ].join('\n');

  it('rewrites every http(s) href of <a> tags in order and returns the originals, decoded', () => {
    const seen: [string, number][] = [];
    const r = rewriteLinks(html, (url, i) => {
      seen.push([url, i]);
      return `https://t.test/c/${i}?a=1&b=2`;
    });
    expect(r.links).toEqual(['https://a.test/x?u=1&v=2', 'http://b.test/', 'https://c.test/?q=1', 'https://a.test/x?u=1&v=2']);
    expect(seen.map(([, i]) => i)).toEqual([0, 1, 2, 3]);
    expect(r.html).toContain('<a href="https://t.test/c/0?a=1&amp;b=2">A</a>');
    expect(r.html).toContain('<a class="btn" HREF="https://t.test/c/1?a=1&amp;b=2" target="_blank">B</a>');
    expect(r.html).toContain('<a title="x > y" href="https://t.test/c/2?a=1&amp;b=2">C</a>');
  });

  it('leaves mailto:, tel:, anchors, other attributes and images alone', () => {
    const r = rewriteLinks(html, () => 'https://t.test/');
    for (const kept of ['href="mailto:sales@x.test"', 'href="tel:+4912345"', 'href="#top"', 'data-href="https://not-a-link.test"', 'src="https://img.test/p.png"']) {
      expect(r.html).toContain(kept);
    }
  });

  it('extracts the same list without changing anything', () => {
    expect(extractLinks(html)).toEqual(rewriteLinks(html, (u) => u).links);
  });

  it('decodes the entities Handlebars and MJML write into attributes', () => {
    expect(decodeEntities('a&#x3D;b&amp;c&#39;d&quot;&#x60;&unknown;')).toBe('a=b&c\'d"`&unknown;');
  });
});
