import { randomBytes } from 'node:crypto';
import { foldLines } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import type { OutgoingMail } from './message-composer';

export interface MimeMessage {
  /** the whole message, CRLF line ends, ready for SMTP DATA (or the outbox); a Buffer lives outside the JS heap the GC copies */
  raw: Buffer;
  envelope: { from: string; to: string[] };
}

/** RFC 5322: a line is at most 998 octets before its CRLF */
const MAX_LINE = 998;
/** RFC 2045: base64 lines of at most 76 characters */
const BASE64_LINE = 76;

/**
 * The finished MIME text of an outgoing message. nodemailer's composer streams every body
 * through JavaScript encoders and scans it several times, which cost more than rendering the
 * template; here each body is encoded once with Buffer's native base64 (or sent as it is when it
 * is ASCII with short lines). Headers that are plain ASCII are written here the way nodemailer
 * writes them (mime-message.spec compares the two); anything else (non-ASCII names or subjects,
 * display names in To) goes through nodemailer's MimeNode for encoded words and address parsing.
 */
export function buildMime(mail: OutgoingMail, date = new Date()): MimeMessage {
  const { head, boundary, envelope } = plainHeaders(mail, date) ?? nodemailerHeaders(mail, date);
  const raw = Buffer.concat([
    Buffer.from(`${head}\r\n\r\n--${boundary}\r\n`, 'utf8'),
    ...part('text/plain', mail.text),
    Buffer.from(`\r\n--${boundary}\r\n`, 'latin1'),
    ...part('text/html', mail.html),
    Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'),
  ]);
  return { raw, envelope };
}

interface HeaderBlock {
  head: string;
  boundary: string;
  envelope: MimeMessage['envelope'];
}

export function nodemailerHeaders(mail: OutgoingMail, date: Date, boundary?: string): HeaderBlock {
  const root = new MimeNode('multipart/alternative');
  root.date = date;
  root.setHeader('From', mail.from);
  root.setHeader('To', mail.to);
  root.setHeader('Subject', mail.subject);
  root.setHeader('Message-ID', mail.messageId);
  for (const [key, value] of Object.entries(mail.headers)) root.setHeader(key, value);
  if (boundary) root.boundary = boundary;
  const head = root.buildHeaders();
  if (!root.boundary) throw new Error('multipart node has no boundary');
  const { from, to } = root.getEnvelope();
  if (!from || !to.length) throw new Error(`message ${mail.messageId} has no sender or recipient address`);
  return { head, boundary: root.boundary, envelope: { from, to } };
}

// printable ASCII that cannot be mistaken for an encoded word
const PLAIN_VALUE = /^(?!.*=\?)[\x20-\x7e]*$/;
const HEADER_NAME = /^[A-Za-z0-9-]+$/;
// the addresses nodemailer writes back unchanged (it lower-cases domains and quotes unusual local parts)
const BARE_ADDRESS = /^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*@[a-z0-9-]+(\.[a-z0-9-]+)+$/;
/** From lines are few (MAIL_FROM, a template's own from): each is worked out by nodemailer once */
const senders = new Map<string, { line: string; address: string }>();

/** The header block for the common case (ASCII everywhere, a bare To address), without nodemailer; undefined otherwise. */
export function plainHeaders(mail: OutgoingMail, date: Date, boundary = newBoundary()): HeaderBlock | undefined {
  if (!BARE_ADDRESS.test(mail.to) || !PLAIN_VALUE.test(mail.subject) || !PLAIN_VALUE.test(mail.messageId)) return undefined;
  const custom = Object.entries(mail.headers);
  if (!custom.every(([key, value]) => HEADER_NAME.test(key) && PLAIN_VALUE.test(value))) return undefined;
  const sender = senderOf(mail.from);
  const lines = [
    sender.line,
    `To: ${mail.to}`,
    ...(mail.subject.trim() ? [foldLines(`Subject: ${mail.subject}`, 76)] : []),
    `Message-ID: ${mail.messageId}`,
    ...custom.filter(([, value]) => value.trim()).map(([key, value]) => foldLines(`${key}: ${value}`, 76)),
    `Date: ${date.toUTCString().replace(/GMT/, '+0000')}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
  ];
  return { head: lines.join('\r\n'), boundary, envelope: { from: sender.address, to: [mail.to] } };
}

function senderOf(from: string): { line: string; address: string } {
  let sender = senders.get(from);
  if (!sender) {
    const { head, envelope } = nodemailerHeaders({ from, to: 'x@example.invalid', subject: '', messageId: '<x@example.invalid>', html: '', text: '', headers: {} }, new Date(0));
    // the From line and its folded continuation lines, if any
    const lines = head.split('\r\n');
    let end = 1;
    while (end < lines.length && /^[ \t]/.test(lines[end])) end++;
    sender = { line: lines.slice(0, end).join('\r\n'), address: envelope.from };
    if (!sender.line.startsWith('From: ')) throw new Error(`cannot write a From header for ${from}`);
    if (senders.size < 100) senders.set(from, sender);
  }
  return sender;
}

// unguessable per process, unique per message: it only has to differ from every line of the bodies
const BOUNDARY_PREFIX = `--_NmP-${randomBytes(8).toString('hex')}`;
let boundaries = 0;
const newBoundary = (): string => `${BOUNDARY_PREFIX}-${(++boundaries).toString(36)}-Part_1`;

/** One body part: 7bit when the text can go as it is, base64 otherwise (quoted-printable is the slow one to encode). */
function part(type: 'text/plain' | 'text/html', content: string): [Buffer, Buffer] {
  const utf8 = Buffer.from(content, 'utf8');
  // ASCII exactly when every character became one byte (no second scan of the text in JS)
  const plain = utf8.length === content.length && isSevenBit(content);
  const head = `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${plain ? '7bit' : 'base64'}\r\n\r\n`;
  return [Buffer.from(head, 'latin1'), plain ? Buffer.from(content.replace(/\r?\n/g, '\r\n'), 'latin1') : base64Lines(utf8)];
}

/** ASCII without NUL or lone CR, no line longer than RFC 5322 allows. */
export function isSevenBit(s: string): boolean {
  // a string is ASCII exactly when its UTF-8 form has one byte per character (counted natively)
  if (Buffer.byteLength(s, 'utf8') !== s.length || s.includes('\0') || /\r(?!\n)/.test(s)) return false;
  let start = 0;
  for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', start)) {
    if (nl - start > MAX_LINE) return false;
    start = nl + 1;
  }
  return s.length - start <= MAX_LINE;
}

/** Base64 in CRLF-separated lines of 76 characters. */
export function base64Lines(bytes: Buffer): Buffer {
  const b64 = bytes.toString('base64');
  // slices of a flat string are cheap views, and join copies once in native code (faster than Buffer#copy per line)
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += BASE64_LINE) lines.push(b64.slice(i, i + BASE64_LINE));
  return Buffer.from(lines.join('\r\n'), 'latin1');
}
