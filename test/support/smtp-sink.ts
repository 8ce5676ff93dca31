import { ParsedMail, simpleParser } from 'mailparser';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export type Reply = 'accept' | 421 | 451 | 550;

/**
 * A real SMTP server in the test process. Every accepted message is parsed back with
 * mailparser. `script` answers RCPT TO: a queue of replies used up one per attempt, then
 * `fallback`; `perRecipient` pins a reply to an address.
 */
export class SmtpSink {
  readonly messages: ParsedMail[] = [];
  readonly script: Reply[] = [];
  readonly perRecipient = new Map<string, Reply>();
  attempts = 0;
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        this.attempts++;
        const reply = this.perRecipient.get(address.address.toLowerCase()) ?? this.script.shift() ?? 'accept';
        if (reply === 'accept') return callback();
        const message = reply === 550 ? '5.1.1 mailbox unavailable' : '4.3.0 try again later';
        return callback(Object.assign(new Error(message), { responseCode: reply }));
      },
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.messages.push(mail);
            callback();
          })
          .catch((e: Error) => callback(e));
      },
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}/?tls=off`;
  }

  to(address: string): ParsedMail[] {
    return this.messages.filter((m) => (Array.isArray(m.to) ? m.to : [m.to]).some((t) => t?.value.some((v) => v.address === address)));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
