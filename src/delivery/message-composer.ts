import type { RenderedEmail } from '../email/template-render';
import { TrackingUrls } from '../tracking/tracking-urls';

export interface ComposeInput {
  sendId: string;
  messageId: string;
  to: string;
  from: string;
  category: 'marketing' | 'transactional';
  unsubscribeMailto: string;
  render: (hooks: { unsubscribeUrl: string; rewriteLink: (url: string, index: number) => string }) => RenderedEmail;
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
 * and the send's stable Message-ID.
 */
export function composeMessage(input: ComposeInput, urls: TrackingUrls): ComposedMessage {
  const unsubscribeUrl = urls.url('unsubscribe', input.sendId);
  const rendered = input.render({ unsubscribeUrl, rewriteLink: (_url, index) => urls.url('click', input.sendId, index) });
  const pixel = `<img src="${urls.url('open', input.sendId)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;
  const html = /<\/body>/i.test(rendered.html) ? rendered.html.replace(/<\/body>/i, `${pixel}</body>`) : rendered.html + pixel;
  const headers: Record<string, string> = { 'X-Kindling-Send': input.sendId };
  if (input.category === 'marketing') {
    const token = unsubscribeUrl.slice(unsubscribeUrl.lastIndexOf('/') + 1);
    headers['List-Unsubscribe'] = `<${unsubscribeUrl}>, <mailto:${input.unsubscribeMailto}?subject=unsubscribe%20${token}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  return {
    mail: {
      from: rendered.from ?? input.from,
      to: input.to,
      subject: rendered.subject,
      html,
      text: rendered.text,
      messageId: input.messageId,
      headers,
    },
    subject: rendered.subject,
    links: rendered.links,
    version: rendered.version,
  };
}
