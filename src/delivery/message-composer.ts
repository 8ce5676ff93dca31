import type { RenderedEmail } from '../email/template-render';
import { TrackingUrls } from '../tracking/tracking-urls';
import type { SendCategory } from './send-policy.rules';

export interface ComposeInput {
  sendId: string;
  messageId: string;
  to: string;
  from: string;
  category: SendCategory;
  unsubscribeMailto: string;
  /** hooks are absent for internal mail: its links stay as written and it has no unsubscribe URL */
  render: (hooks: { unsubscribeUrl?: string; rewriteLink?: (url: string, index: number) => string }) => RenderedEmail;
}

/** Exactly what goes to the transport: strings only, so the outbox can show it as sent. */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
}

export interface ComposedMessage {
  mail: OutgoingMail;
  subject: string;
  links: string[];
  version: string;
}

/**
 * Turns a rendered template into the MIME message: every http(s) link through the signed
 * click redirect, an open pixel, RFC 8058 one-click unsubscribe headers on marketing mail,
 * and the send's stable Message-ID. Internal mail (to our own people) gets none of the
 * tracking: a rep opening a notification must not count as the lead's open or click.
 */
export function composeMessage(input: ComposeInput, urls: TrackingUrls): ComposedMessage {
  if (input.category === 'internal') return untracked(input, input.render({}));
  const unsubscribeUrl = urls.url('unsubscribe', input.sendId);
  const rendered = input.render({ unsubscribeUrl, rewriteLink: (_url, index) => urls.url('click', input.sendId, index) });
  const pixel = `<img src="${urls.url('open', input.sendId)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;
  // searched from the end: </body> closes ~20 KB of HTML
  const exact = rendered.html.lastIndexOf('</body>');
  const at = exact >= 0 ? exact : rendered.html.search(/<\/body>/i);
  const html = at < 0 ? rendered.html + pixel : rendered.html.slice(0, at) + pixel + rendered.html.slice(at);
  const headers: Record<string, string> = { 'X-Kindling-Send': input.sendId };
  if (input.category === 'marketing') {
    const token = unsubscribeUrl.slice(unsubscribeUrl.lastIndexOf('/') + 1);
    headers['List-Unsubscribe'] = `<${unsubscribeUrl}>, <mailto:${input.unsubscribeMailto}?subject=unsubscribe%20${token}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  return {
    mail: { from: rendered.from ?? input.from, to: input.to, subject: rendered.subject, html, text: rendered.text, messageId: input.messageId, headers },
    subject: rendered.subject,
    links: rendered.links,
    version: rendered.version,
  };
}

function untracked(input: ComposeInput, rendered: RenderedEmail): ComposedMessage {
  const mail = { from: rendered.from ?? input.from, to: input.to, subject: rendered.subject, html: rendered.html, text: rendered.text, messageId: input.messageId };
  // no links stored: nothing in this message points at a click token
  return { mail: { ...mail, headers: { 'X-Kindling-Send': input.sendId } }, subject: rendered.subject, links: [], version: rendered.version };
}

/**
 * An address header value from a name and an address. The name is quoted (commas, brackets and
 * quotes in it stay part of the name) and loses line breaks, so it cannot add a header.
 */
export function formatAddress(address: string, name?: string | null): string {
  const clean = name?.replace(/[\r\n]+/g, ' ').trim();
  return clean ? `"${clean.replace(/(["\\])/g, '\\$1')}" <${address}>` : address;
}
