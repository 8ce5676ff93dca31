import Handlebars from 'handlebars';
import { HREF, decodeEntities, tagEnd } from './link-rewrite.rules';

/** The helper every <a href> of a compiled template goes through (see template.helpers). */
export const LINK_HELPER = 'trackedLink';

const MUSTACHE = /\{\{\{([\s\S]*?)\}\}\}|\{\{([\s\S]*?)\}\}/g;

/**
 * Rewrites, once per template version, every `<a href="…">` of the compiled HTML template into
 * `href="{{trackedLink …}}"`, with the literal parts of the URL as strings and its Handlebars
 * parts as arguments. At render time that helper records each http(s) URL in order and applies
 * delivery's rewrite, so link tracking costs no second pass over every email's HTML
 * (rewriteLinks does the same on finished HTML). An href with a block tag inside cannot be
 * expressed that way and is reported; put the block around the whole <a> instead.
 */
export function instrumentLinks(template: string): { template: string; problems: string[] } {
  const anchors = /<a\s/gi;
  const problems: string[] = [];
  let out = '';
  let copied = 0;
  for (let m = anchors.exec(template); m; m = anchors.exec(template)) {
    const start = m.index;
    const end = tagEnd(template, start + 2);
    if (end < 0) break;
    anchors.lastIndex = end + 1;
    const tag = template.slice(start, end + 1);
    const href = new RegExp(HREF.source, 'gi');
    const rewritten = tag.replace(href, (attr: string, lead: string, dq?: string, sq?: string, bare?: string) => {
      const value = dq ?? sq ?? bare ?? '';
      // mailto:, tel:, #anchors can never become http(s) links: left as written (html-to-text shows them best)
      if (!/^\s*(https?:|\{\{)/i.test(value)) return attr;
      const call = helperCall(value);
      if (typeof call !== 'string') {
        problems.push(`${call.problem}: href="${value}"`);
        return attr;
      }
      // Double quotes outside, single inside: the result stays valid for html-to-text, which reads it at compile time
      return `${lead}"{{${LINK_HELPER} ${call}}}"`;
    });
    out += template.slice(copied, start) + rewritten;
    copied = end + 1;
  }
  return { template: copied === 0 ? template : out + template.slice(copied), problems };
}

/** `https://x/?a={{id}}` → `'https://x/?a=' id`; `{{link url utm_content='b'}}` → `(link url utm_content='b')`. */
function helperCall(value: string): string | { problem: string } {
  const parts: string[] = [];
  let last = 0;
  for (const m of value.matchAll(MUSTACHE)) {
    if (m.index > last) parts.push(literal(value.slice(last, m.index)));
    last = m.index + m[0].length;
    const expr = (m[1] ?? m[2]).replace(/^~|~$/g, '').trim();
    if (/^[#^/>!]|^else\b/.test(expr)) return { problem: 'a Handlebars block or partial inside a link URL; put it around the whole <a> tag' };
    let node: hbs.AST.MustacheStatement;
    try {
      node = Handlebars.parse(`{{${expr}}}`).body[0] as hbs.AST.MustacheStatement;
    } catch {
      return { problem: 'a link URL Handlebars cannot parse' };
    }
    parts.push(node.params.length || node.hash?.pairs.length ? `(${expr})` : expr);
  }
  if (last < value.length || parts.length === 0) parts.push(literal(value.slice(last)));
  return parts.join(' ');
}

// Handlebars unescapes only \' in strings; a backslash has no business in a URL anyway
const literal = (text: string): string => `'${decodeEntities(text).replace(/\\/g, '%5C').replace(/'/g, "\\'")}'`;
