import { TrackingUrls } from '../tracking/tracking-urls';
import { verifyToken } from '../tracking/tracking-token.rules';
import { composeMessage, formatAddress } from './message-composer';
import { SendCategory } from './send-policy.rules';

const urls = new TrackingUrls('https://t.example.com', 'a-secret-key-that-is-long-enough-for-tests');
const sendId = '01939f5e-1234-7abc-8def-0123456789ab';

const input = (category: SendCategory) => ({
  sendId,
  messageId: `<${sendId}@example.com>`,
  to: 'lead@example.net',
  from: 'Acme <news@example.com>',
  category,
  unsubscribeMailto: 'unsubscribe@example.com',
  render: (hooks: { unsubscribeUrl?: string; rewriteLink?: (url: string, i: number) => string }) => ({
    subject: 'Hello',
    preheader: '',
    from: null,
    html: `<html><body><a href="${hooks.rewriteLink?.('https://acme.test/a', 0) ?? 'https://acme.test/a'}">a</a>${hooks.unsubscribeUrl ? `<a href="${hooks.unsubscribeUrl}">unsubscribe</a>` : ''}</body></html>`,
    text: 'a',
    links: ['https://acme.test/a'],
    version: 'v1',
  }),
});

describe('composeMessage', () => {
  it('adds signed click links, an open pixel before </body> and the stable Message-ID', () => {
    const m = composeMessage(input('marketing'), urls);
    const html = m.mail.html;
    const click = /href="https:\/\/t\.example\.com\/t\/c\/([^"]+)"/.exec(html)![1];
    expect(verifyToken(click, urls.accepted)).toEqual({ kind: 'click', sendId, linkIndex: 0 });
    const open = /<img src="https:\/\/t\.example\.com\/t\/o\/([^"]+)"[^>]*\/><\/body>/.exec(html)![1];
    expect(verifyToken(open, urls.accepted)?.kind).toBe('open');
    expect(m.mail.messageId).toBe(`<${sendId}@example.com>`);
    expect(m.links).toEqual(['https://acme.test/a']);
  });

  it('puts RFC 8058 unsubscribe headers on marketing mail only', () => {
    const headers = composeMessage(input('marketing'), urls).mail.headers;
    expect(headers['List-Unsubscribe']).toMatch(/^<https:\/\/t\.example\.com\/u\/[A-Za-z0-9_-]{48}>, <mailto:unsubscribe@example\.com\?subject=unsubscribe%20[A-Za-z0-9_-]{48}>$/);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const transactional = composeMessage(input('transactional'), urls).mail.headers;
    expect(transactional['List-Unsubscribe']).toBeUndefined();
  });

  it('leaves internal mail untracked: links as written, no pixel, no unsubscribe headers, nothing stored to redirect', () => {
    const m = composeMessage(input('internal'), urls);
    expect(m.mail.html).toBe('<html><body><a href="https://acme.test/a">a</a></body></html>');
    expect(m.mail.headers).toEqual({ 'X-Kindling-Send': sendId });
    expect(m.links).toEqual([]);
    expect(m.mail.messageId).toBe(`<${sendId}@example.com>`);
  });
});

describe('formatAddress', () => {
  it('quotes the name so commas and quotes stay in it, and drops line breaks', () => {
    expect(formatAddress('rep@acme.test')).toBe('rep@acme.test');
    expect(formatAddress('rep@acme.test', 'Doe, Jane "JD"')).toBe('"Doe, Jane \\"JD\\"" <rep@acme.test>');
    expect(formatAddress('rep@acme.test', 'Jane\r\nBcc: x@evil.test')).toBe('"Jane Bcc: x@evil.test" <rep@acme.test>');
  });
});
