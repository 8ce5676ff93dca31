/**
 * The delivery hook for click tracking: finds the href of every `<a>` whose URL is http(s),
 * in document order, and lets `rewrite` replace it (e.g. with a signed /t/c/:token redirect
 * carrying the link's index). mailto:, tel:, #anchors and other schemes are left alone and
 * do not get an index. Returns the original URLs in that order.
 */
export function rewriteLinks(html: string, rewrite: (url: string, index: number) => string): { html: string; links: string[] } {
  // Runs for every email sent over ~20 KB of HTML: find "<a " with a regex, the rest by hand
  const anchors = /<a\s/gi;
  const links: string[] = [];
  let out = '';
  let copied = 0;
  for (let m = anchors.exec(html); m; m = anchors.exec(html)) {
    const start = m.index;
    const end = tagEnd(html, start + 2);
    if (end < 0) break;
    const pos = end + 1;
    anchors.lastIndex = pos;
    const tag = html.slice(start, pos);
    const href = HREF.exec(tag);
    if (!href) continue;
    const url = decodeEntities(href[2] ?? href[3] ?? href[4] ?? '').trim();
    if (!/^https?:\/\//i.test(url)) continue;
    const index = links.push(url) - 1;
    out += html.slice(copied, start) + tag.slice(0, href.index) + `${href[1]}"${encodeAttribute(rewrite(url, index))}"` + tag.slice(href.index + href[0].length);
    copied = pos;
  }
  return { html: copied === 0 ? html : out + html.slice(copied), links };
}

/** Index of the ">" closing a tag, skipping quoted attribute values (they may contain ">"). */
export function tagEnd(html: string, from: number): number {
  let quote = 0;
  for (let i = from; i < html.length; i++) {
    const c = html.charCodeAt(i);
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 62) return i;
  }
  return -1;
}

/** The http(s) links `rewriteLinks` would index, in the same order. */
export function extractLinks(html: string): string[] {
  return rewriteLinks(html, (url) => url).links;
}

// The href attribute inside it, in any quoting style
export const HREF = /(\shref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i;

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Attribute values arrive HTML-encoded (Handlebars writes `=` as `&#x3D;`); URLs are compared decoded. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return NAMED[e.toLowerCase()] ?? m;
  });
}

export function encodeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
