import { FormatCallback, compile } from 'html-to-text';

type Sibling = { type: string; name?: string; data?: string; next?: Sibling | null };

// A table cell stays on its row with " | " before the next cell, so "Score | 87" reads as
// a pair; MJML's layout tables have one cell per row and are unaffected.
const cell: FormatCallback = (elem, walk, builder) => {
  walk(elem.children, builder);
  // htmlparser2 nodes link to their siblings; @types/html-to-text does not declare it
  let next = (elem as unknown as Sibling).next;
  let spaced = false;
  while (next && next.type === 'text' && !(next.data ?? '').trim()) {
    spaced = true;
    next = next.next;
  }
  // The whitespace between cells, when there is some, already becomes one space
  if (next && next.type === 'tag' && (next.name === 'td' || next.name === 'th')) builder.addLiteral(spaced ? ' |' : ' | ');
};

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } }));

const convert = compile({
  // Wrapping here could split a {{helper "with spaces"}}; rendered text is wrapped per recipient
  wordwrap: false,
  formatters: { kindlingCell: cell },
  selectors: [
    { selector: 'img', format: 'skip' },
    // MJML's hidden preheader: it is the inbox preview, not content
    { selector: 'div[style*="display:none"]', format: 'skip' },
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true, noAnchorUrl: true } },
    // Upper-casing would turn {{lead.firstName}} into {{LEAD.FIRSTNAME}}
    ...HEADINGS,
    // The cell MJML wraps each component in (text, button, image): a paragraph of its own
    { selector: 'td[style*="word-break:break-word"]', format: 'block', options: { leadingLineBreaks: 2, trailingLineBreaks: 2 } },
    { selector: 'th', format: 'kindlingCell' },
    { selector: 'td', format: 'kindlingCell' },
    { selector: 'tr', format: 'block', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
  ],
});

/**
 * The plain-text part, as a Handlebars template: the compiled HTML (Handlebars tags still in
 * it) converted once per template version, then rendered per recipient like the HTML. Converting
 * per recipient would cost milliseconds per email; this costs one Handlebars run.
 */
export function htmlToTextTemplate(html: string): string {
  return tidyText(convert(html));
}

/** Trailing spaces off, at most one blank line in a row (removed blocks leave gaps), no blank start or end. */
export function tidyText(text: string): string {
  const out: string[] = [];
  let blank = true;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') {
      if (!blank) out.push('');
      blank = true;
    } else {
      out.push(line);
      blank = false;
    }
  }
  if (out.length && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}

/** Per recipient: removed blocks leave runs of blank lines, values may end in spaces. */
export function collapseBlankLines(text: string): string {
  return text
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+|\n+$/g, '');
}

/**
 * Wraps lines longer than `width` at spaces, per recipient (only then are line lengths known).
 * Words longer than the width (URLs) are never broken, so links stay clickable; list items
 * continue under their text, not their bullet.
 */
export function wrapText(text: string, width = 78): string {
  let out = '';
  let copied = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end - start > width) {
      out += text.slice(copied, start) + wrapLine(text.slice(start, end), width);
      copied = end;
    }
    start = end + 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function wrapLine(line: string, width: number): string {
  const lead = /^\s*(?:[*-] |\d+\. )?/.exec(line)?.[0] ?? '';
  const indent = ' '.repeat(lead.length);
  let out = '';
  let current = lead;
  for (let i = lead.length; i < line.length; ) {
    let space = line.indexOf(' ', i);
    if (space < 0) space = line.length;
    if (space > i) {
      const word = line.slice(i, space);
      if (current.length > lead.length && current.length + 1 + word.length > width) {
        out += `${current}\n`;
        current = indent + word;
      } else current += current.length > lead.length ? ` ${word}` : word;
    }
    i = space + 1;
  }
  return out + current;
}

const BLOCK_TAG = /\{\{~?\s*(?:[#^/]|else\b)/g;

/** Handlebars block tags ({{#…}}, {{^…}}, {{else…}}, {{/…}}) in the text the reader sees, i.e. outside markup and styles. */
export function visibleBlockTagCount(html: string): number {
  const body = /<body\b[\s\S]*<\/body>/i.exec(html)?.[0] ?? html;
  const visible = body
    .replace(/<style\b[\s\S]*?<\/style>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(?:[^>"']|"[^"]*"|'[^']*')*>/g, ' ');
  return countBlockTags(visible);
}

export function countBlockTags(text: string): number {
  return text.match(BLOCK_TAG)?.length ?? 0;
}
