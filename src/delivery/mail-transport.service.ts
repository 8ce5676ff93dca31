import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OutgoingMail } from './message-composer';

/** The outbox's sidecar: the message as sent, plus where and when. */
export type OutboxSummary = OutgoingMail & { id: string; date: string };

export interface TransportResult {
  response: string;
  /** where the outbox transport wrote the message; absent for SMTP */
  file?: string;
}

/**
 * SMTP_URL set: a pooled nodemailer SMTP transport (optionally DKIM-signing).
 * SMTP_URL unset: the development outbox, one .eml file per message under DATA_DIR/outbox,
 * readable at /dev/outbox. Errors from SMTP are thrown as nodemailer reports them
 * (responseCode, code) for the send policy to classify.
 */
@Injectable()
export class MailTransport implements OnApplicationShutdown {
  private readonly logger = new Logger('MailTransport');
  private readonly transporter: Transporter;
  readonly outboxDir: string | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const dkim = config.mail.dkim;
    if (config.smtpUrl) {
      const url = new URL(config.smtpUrl);
      this.transporter = createTransport({
        pool: true,
        host: url.hostname,
        port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
        secure: url.protocol === 'smtps:',
        auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
        maxConnections: config.mail.poolSize,
        maxMessages: 1000,
        connectionTimeout: config.mail.timeoutMs,
        greetingTimeout: config.mail.timeoutMs,
        socketTimeout: config.mail.timeoutMs,
        // a local relay or test sink often runs without a certificate
        ignoreTLS: url.searchParams.get('tls') === 'off',
        tls: { rejectUnauthorized: url.searchParams.get('tls') !== 'insecure' },
        dkim,
      });
    } else {
      this.outboxDir = join(config.dataDir, 'outbox');
      this.transporter = createTransport({ streamTransport: true, buffer: true, newline: 'unix', dkim });
    }
  }

  get mode(): 'smtp' | 'outbox' {
    return this.outboxDir ? 'outbox' : 'smtp';
  }

  async send(message: OutgoingMail, fileStem: string): Promise<TransportResult> {
    // base64 bodies: nodemailer's quoted-printable encoder was the largest cost per message
    const info = (await this.transporter.sendMail({ ...message, textEncoding: 'base64' })) as { response?: string; message?: Buffer };
    if (!this.outboxDir) return { response: String(info.response ?? '') };
    await mkdir(this.outboxDir, { recursive: true });
    const file = join(this.outboxDir, `${fileStem}.eml`);
    await writeFile(file, info.message ?? Buffer.alloc(0));
    // a sidecar with the parts as sent, so /dev/outbox can show them without a MIME parser
    const summary: OutboxSummary = { id: fileStem, date: new Date().toISOString(), ...message };
    await writeFile(join(this.outboxDir, `${fileStem}.json`), JSON.stringify(summary));
    return { response: `250 written to outbox ${fileStem}.eml`, file };
  }

  onApplicationShutdown(): void {
    this.transporter.close();
    this.logger.debug('mail transport closed');
  }
}
