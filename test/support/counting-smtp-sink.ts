import { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMessage {
  /** the X-Kindling-Send header: the email_sends row the message was for */
  sendId: string | undefined;
  messageId: string | undefined;
  at: number;
}

/** Only the header block is read; bodies are drained. */
const HEADER_LIMIT = 64 * 1024;

/**
 * A real SMTP server that accepts everything and keeps, per message received in full, its
 * X-Kindling-Send and Message-ID headers. Cheap enough for thousands of messages in the test
 * process: no MIME parsing. A message whose connection died mid-DATA is not counted (the
 * server never said 250 to it).
 */
export class CountingSmtpSink {
  readonly messages: ReceivedMessage[] = [];
  /** connections that went away in the middle of a message */
  aborted = 0;
  port = 0;
  private server!: SMTPServer;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => this.receive(stream, callback),
    });
    // a client killed mid-conversation is expected here, not worth an unhandled 'error'
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}/?tls=off`;
  }

  /** How many messages arrived for each send id. */
  countsBySend(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.messages) if (m.sendId) counts.set(m.sendId, (counts.get(m.sendId) ?? 0) + 1);
    return counts;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private receive(stream: Readable, done: (err?: Error | null) => void): void {
    let header = '';
    let inHeader = true;
    stream.on('data', (chunk: Buffer) => {
      if (!inHeader) return;
      header += chunk.toString('latin1');
      const end = header.indexOf('\r\n\r\n');
      if (end >= 0 || header.length > HEADER_LIMIT) {
        header = header.slice(0, end >= 0 ? end : HEADER_LIMIT);
        inHeader = false;
      }
    });
    stream.on('error', () => {
      this.aborted++;
    });
    stream.on('end', () => {
      const unfolded = header.replace(/\r\n[ \t]+/g, ' ');
      this.messages.push({ sendId: headerValue(unfolded, 'x-kindling-send'), messageId: headerValue(unfolded, 'message-id'), at: Date.now() });
      done();
    });
  }
}

function headerValue(header: string, name: string): string | undefined {
  return new RegExp(`^${name}:[ \\t]*(\\S.*?)\\s*$`, 'im').exec(header)?.[1];
}
