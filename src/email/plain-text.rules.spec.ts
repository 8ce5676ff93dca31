import { collapseBlankLines, countBlockTags, htmlToTextTemplate, tidyText, visibleBlockTagCount, wrapText } from './plain-text.rules';

describe('plain text', () => {
  it('keeps links readable as "label [url]", drops images and the hidden preheader, keeps Handlebars intact', () => {
    const html = `<html><head><title>{{subject}}</title></head><body>
      <div style="display:none;font-size:1px;">{{preheader}}</div>
      <h1>Hello {{lead.firstName}}</h1>
      <p>Read <a href="{{link 'https://x.test/a' utm_content='hero'}}">the guide</a> or <a href="https://x.test/b">https://x.test/b</a>. <img src="p.png" alt="pixel"></p>
      {{#if vip}}<p>VIP</p>{{/if}}
      <table><tr><td>Score</td><td>{{score}}</td></tr></table>
      <a href="#top">top</a>
    </body></html>`;
    const text = htmlToTextTemplate(html);
    expect(text).toBe(
      "Hello {{lead.firstName}}\n\nRead the guide [{{link 'https://x.test/a' utm_content='hero'}}] or https://x.test/b.\n\n{{#if vip}}\n\nVIP\n\n{{/if}}\nScore | {{score}}\n\ntop",
    );
    expect(countBlockTags(text)).toBe(visibleBlockTagCount(html));
  });

  it('counts only the block tags a reader could see', () => {
    expect(visibleBlockTagCount('<head><style>{{#if a}}{{/if}}</style></head><body><a title="{{#if x}}y{{/if}}">{{#each i}}{{else}}{{/each}}</a></body>')).toBe(3);
  });

  it('wraps long lines at spaces without breaking URLs, under list bullets', () => {
    const url = `https://x.test/${'a'.repeat(90)}`;
    expect(wrapText(`one two three ${url} four`, 20)).toBe(`one two three\n${url}\nfour`);
    expect(wrapText(' * alpha beta gamma delta epsilon', 16)).toBe(' * alpha beta\n   gamma delta\n   epsilon');
    expect(wrapText('short', 20)).toBe('short');
  });

  it('tidies blank runs and trailing spaces left by removed blocks', () => {
    expect(tidyText('\n * a  \n\n\n\nb\t\n')).toBe(' * a\n\nb');
    expect(collapseBlankLines('\n\na \n\n\n\nb\n\n')).toBe('a\n\nb');
  });
});
