/**
 * MJML tags whose content MJML keeps as raw HTML ("ending tags"). Handlebars inside them is
 * safe; anywhere else between components MJML drops plain text, so `{{#if}}` around an
 * mj-section would vanish and both branches would render. Kept in sync with mjml-preset-core
 * by a unit test.
 */
export const MJML_ENDING_TAGS: ReadonlySet<string> = new Set([
  'mj-accordion-text',
  'mj-accordion-title',
  'mj-breakpoint',
  'mj-button',
  'mj-carousel-image',
  'mj-navbar-link',
  'mj-preview',
  'mj-raw',
  'mj-social-element',
  'mj-style',
  'mj-table',
  'mj-text',
  'mj-title',
]);

const TOKEN_PREFIX = '__KINDLING_HB_';
const TOKEN_RE = /__KINDLING_HB_(\d+)__/g;

export interface ProtectedMjml {
  /** the MJML with every exposed Handlebars tag replaced by `<mj-raw>token</mj-raw>`; same line count */
  text: string;
  /** the original tags, by token number */
  tags: string[];
  /** offset of each tag in the input, to report a lost tag at its line */
  offsets: number[];
}

// A mustache: a comment (the long form may contain "}}"), a triple-stash, or a regular tag (which may
// hold quoted strings containing "}").
const MUSTACHE = /\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}|\{\{\{[\s\S]*?\}\}\}|\{\{(?:[^}"']|"[^"]*"|'[^']*'|\}(?!\}))*\}\}/y;
const TAG = /<(\/?)([a-zA-Z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/y;

/**
 * Wraps every Handlebars tag that sits between MJML components (not inside an ending tag's
 * content, not inside a tag's attributes, not in an HTML comment) in `<mj-raw>` holding a
 * numbered token. mj-raw passes its content through verbatim, in place, so after compiling the
 * tokens are swapped back (restoreHandlebars) and Handlebars sees its block tags exactly around
 * the HTML of the components they enclosed. Handlebars comments outside raw content are
 * dropped. Line count is preserved for error positions.
 */
export function protectHandlebars(mjml: string): ProtectedMjml {
  if (mjml.includes(TOKEN_PREFIX)) throw new Error(`the template contains the reserved text ${TOKEN_PREFIX}`);
  const tags: string[] = [];
  const offsets: number[] = [];
  let out = '';
  let i = 0;
  let copied = 0;
  let rawUntil: string | undefined;
  const lower = mjml.toLowerCase();
  while (i < mjml.length) {
    if (rawUntil) {
      const close = lower.indexOf(`</${rawUntil}`, i);
      if (close < 0) break;
      i = close;
      rawUntil = undefined;
      continue;
    }
    const ch = mjml[i];
    if (ch === '{' && mjml[i + 1] === '{') {
      MUSTACHE.lastIndex = i;
      const m = MUSTACHE.exec(mjml);
      if (m && m[0].startsWith('{{!')) {
        // A comment renders nothing: drop it here rather than ask MJML to carry it (it could sit outside <mjml>)
        out += mjml.slice(copied, i) + '\n'.repeat(countNewlines(m[0]));
        i += m[0].length;
        copied = i;
        continue;
      }
      if (m) {
        const n = tags.length;
        tags.push(m[0]);
        offsets.push(i);
        out += `${mjml.slice(copied, i)}<mj-raw>${TOKEN_PREFIX}${n}__</mj-raw>${'\n'.repeat(countNewlines(m[0]))}`;
        i += m[0].length;
        copied = i;
        continue;
      }
    } else if (ch === '<') {
      if (mjml.startsWith('<!--', i)) {
        const end = mjml.indexOf('-->', i + 4);
        i = end < 0 ? mjml.length : end + 3;
        continue;
      }
      TAG.lastIndex = i;
      const m = TAG.exec(mjml);
      if (m) {
        const [whole, closing, name, attrs] = m;
        const tag = name.toLowerCase();
        if (!closing && !attrs.trimEnd().endsWith('/') && MJML_ENDING_TAGS.has(tag)) rawUntil = tag;
        i += whole.length;
        continue;
      }
    }
    i++;
  }
  out += mjml.slice(copied);
  return { text: out, tags, offsets };
}

/**
 * Puts the original tags back in the compiled HTML. Returns the numbers of tags MJML lost,
 * duplicated or reordered (each must appear exactly once, in order), so a silent change of
 * meaning is reported instead of shipped.
 */
export function restoreHandlebars(html: string, tags: readonly string[]): { html: string; lost: number[] } {
  const seen: number[] = [];
  const restored = html.replace(TOKEN_RE, (_m, n: string) => {
    seen.push(Number(n));
    return tags[Number(n)] ?? '';
  });
  const lost = new Set<number>();
  const count = new Map<number, number>();
  for (const n of seen) count.set(n, (count.get(n) ?? 0) + 1);
  for (let n = 0; n < tags.length; n++) if (count.get(n) !== 1) lost.add(n);
  let last = -1;
  for (const n of seen) {
    if (n < last) lost.add(n);
    last = Math.max(last, n);
  }
  return { html: restored, lost: [...lost].sort((a, b) => a - b) };
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}
