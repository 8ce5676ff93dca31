import { simpleParser } from 'mailparser';
import { OutgoingMail } from './message-composer';
import { base64Lines, buildMime, isSevenBit, nodemailerHeaders, plainHeaders } from './mime-message';

const mail = (over: Partial<OutgoingMail> = {}): OutgoingMail => ({
  from: 'Acme News <news@acme.test>',
  to: 'lead@example.net',
  subject: 'Hello',
  html: '<html><body><p>Hi</p></body></html>',
  text: 'Hi',
  messageId: '<0193-send@acme.test>',
  headers: { 'X-Kindling-Send': '0193-send', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  ...over,
});

describe('buildMime', () => {
  it('writes a multipart/alternative message that parses back to the same parts and headers', async () => {
    const html = `<html><body><p>Grüße, Zoë — “quoted”</p>${'<td style="padding:4px">x</td>\n'.repeat(60)}\n<a href="https://acme.test/a?b=1">a</a></body></html>`;
    const m = mail({ subject: 'Grüße aus Köln: Ihr Angebot für 2026 ist da und wartet auf eine Antwort von Ihnen', to: '"Doe, Jürgen" <juergen@example.net>', html, text: 'Grüße\nline two' });
    const { raw, envelope } = buildMime(m, new Date('2026-01-02T03:04:05Z'));
    expect(envelope).toEqual({ from: 'news@acme.test', to: ['juergen@example.net'] });
    const text = raw.toString('latin1');
    expect(text).not.toMatch(/[^\r]\n/);
    for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(m.subject);
    expect(parsed.html).toBe(html);
    expect(parsed.text).toBe('Grüße\nline two');
    expect(parsed.messageId).toBe('<0193-send@acme.test>');
    expect(parsed.date?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(parsed.to && !Array.isArray(parsed.to) && parsed.to.value).toEqual([{ address: 'juergen@example.net', name: 'Doe, Jürgen' }]);
    expect(parsed.headers.get('x-kindling-send')).toBe('0193-send');
    expect(text).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
  });

  it('sends ASCII bodies with short lines as they are and anything else as base64', async () => {
    const ascii = buildMime(mail({ text: 'plain\nascii', html: '<p>ascii</p>' })).raw.toString('latin1');
    expect(ascii.match(/Content-Transfer-Encoding: 7bit/g)).toHaveLength(2);
    expect(ascii).toContain('plain\r\nascii');
    const long = buildMime(mail({ html: `<p>${'a'.repeat(1200)}</p>` })).raw;
    expect(long.toString('latin1')).toMatch(/text\/html; charset=utf-8\r\nContent-Transfer-Encoding: base64/);
    expect((await simpleParser(long)).html).toBe(`<p>${'a'.repeat(1200)}</p>`);
  });
});

describe('plainHeaders', () => {
  const date = new Date('2026-03-04T05:06:07Z');
  const boundary = '--_NmP-0123456789abcdef-Part_1';
  const unsubscribe = '<https://t.acme.test/u/1QMBk59eEjR6vI3vASNFZ4mrAABXWKXTsYRZEbYKja2fYBmC>, <mailto:unsubscribe@acme.test?subject=unsubscribe%201QMBk59eEjR6vI3vASNFZ4mrAABXWKXTsYRZEbYKja2fYBmC>';

  it.each([
    ['a short message', mail()],
    ['a long subject and List-Unsubscribe (folded)', mail({ subject: 'How Brightwater Logistics closes nine entities in four days, and what your finance team can copy', headers: { 'List-Unsubscribe': unsubscribe } })],
    ['a quoted display name with a comma', mail({ from: '"Acme, Inc. News" <news@acme.test>' })],
    ['a bare sender and a plus address', mail({ from: 'news@acme.test', to: 'first.last+tag@sub.example.net' })],
    ['a very long display name', mail({ from: `${'Very Long Sender Name '.repeat(5)}<news@acme.test>` })],
  ])('writes %s exactly as nodemailer does', (_name, m) => {
    const fast = plainHeaders(m, date, boundary);
    expect(fast).toBeDefined();
    expect(fast).toEqual(nodemailerHeaders(m, date, boundary));
  });

  it('leaves non-ASCII, display names in To and look-alike encoded words to nodemailer', () => {
    expect(plainHeaders(mail({ subject: 'Grüße' }), date)).toBeUndefined();
    expect(plainHeaders(mail({ to: '"Rita Rep" <rita@acme.test>' }), date)).toBeUndefined();
    expect(plainHeaders(mail({ to: 'Lead@Example.COM' }), date)).toBeUndefined();
    expect(plainHeaders(mail({ subject: 'see =?utf-8?q?x?=' }), date)).toBeUndefined();
  });
});

describe('isSevenBit', () => {
  it('takes ASCII with lines up to 998 characters only', () => {
    expect(isSevenBit('a\nb\r\nc')).toBe(true);
    expect(isSevenBit('é')).toBe(false);
    expect(isSevenBit('😀')).toBe(false);
    expect(isSevenBit('a\rb')).toBe(false);
    expect(isSevenBit('a\0b')).toBe(false);
    expect(isSevenBit('x'.repeat(998))).toBe(true);
    expect(isSevenBit(`ok\n${'x'.repeat(999)}\nok`)).toBe(false);
  });
});

describe('base64Lines', () => {
  it('encodes UTF-8 in CRLF-separated lines of 76 characters', () => {
    const s = 'Grüße '.repeat(40);
    const out = base64Lines(Buffer.from(s, 'utf8')).toString('latin1');
    const lines = out.split('\r\n');
    expect(lines.slice(0, -1).every((l) => l.length === 76)).toBe(true);
    expect(lines[lines.length - 1].length).toBeLessThanOrEqual(76);
    expect(Buffer.from(lines.join(''), 'base64').toString('utf8')).toBe(s);
    expect(base64Lines(Buffer.alloc(0)).length).toBe(0);
  });
});
