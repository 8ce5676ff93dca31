import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OutgoingMail } from './message-composer';
import { MimeMessage, buildMime } from './mime-message';

/** A message ready for the transport; the outbox also keeps its parts for /dev/outbox. */
export interface PreparedMail extends MimeMessage {
  outbox?: OutgoingMail;
}

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

  /**
   * The message as it will go out: finished MIME, so nodemailer only signs (DKIM) and transmits
   * it (its composer was the largest cost per message). Done before the send is claimed so that
   * only a Buffer outside the JS heap, not the rendered strings, waits for the claim and for SMTP.
   */
  prepare(message: OutgoingMail): PreparedMail {
    return { ...buildMime(message), outbox: this.outboxDir ? message : undefined };
  }

  async send(mail: PreparedMail, fileStem: string): Promise<TransportResult> {
    const info = (await this.transporter.sendMail({ raw: mail.raw, envelope: mail.envelope })) as { response?: string; message?: Buffer };
    if (!this.outboxDir) return { response: String(info.response ?? '') };
    if (!mail.outbox) throw new Error(`message ${fileStem} was prepared for SMTP, not for the outbox`);
    await mkdir(this.outboxDir, { recursive: true });
    const file = join(this.outboxDir, `${fileStem}.eml`);
    await writeFile(file, info.message ?? Buffer.alloc(0));
    // a sidecar with the parts as sent, so /dev/outbox can show them without a MIME parser
    const summary: OutboxSummary = { id: fileStem, date: new Date().toISOString(), ...mail.outbox };
    await writeFile(join(this.outboxDir, `${fileStem}.json`), JSON.stringify(summary));
    return { response: `250 written to outbox ${fileStem}.eml`, file };
  }

  onApplicationShutdown(): void {
    this.transporter.close();
    this.logger.debug('mail transport closed');
  }
}
